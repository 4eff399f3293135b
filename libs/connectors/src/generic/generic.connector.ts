import type { Connector, ConnectorContext, ResolvedConnection, TestResult } from '../connector';
import { reachTarget } from '../probes/reach';
import { secretScrubber, TestRun } from '../probes/test-run';

export class GenericConnector implements Connector {
  readonly type = 'generic' as const;

  async test(connection: ResolvedConnection, context: ConnectorContext): Promise<TestResult> {
    const host = String(connection.config.host);
    const port = Number(connection.config.port);
    const where = `${host}:${port}`;
    const run = new TestRun('tcp', secretScrubber(connection.secrets));
    try {
      await reachTarget(run, context, host, port);
      return run.succeed(`${where} accepts TCP connections.`);
    } catch (error) {
      return run.fail(error);
    }
  }
}
