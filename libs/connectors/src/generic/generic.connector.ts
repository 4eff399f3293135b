import net from 'node:net';
import type { Connector, ConnectorContext, ResolvedConnection, TestResult } from '../connector';
import { classifyNetworkError } from '../testing/network-errors';
import { secretScrubber, TestRun } from '../testing/test-run';

/** Opens a TCP connection to the checked address and closes it: reachability, nothing more. */
export function connectTcp(address: string, port: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    const abort = () => socket.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    signal.addEventListener('abort', abort, { once: true });
    socket.once('connect', () => {
      signal.removeEventListener('abort', abort);
      socket.end();
      resolve();
    });
    socket.once('error', (error) => {
      signal.removeEventListener('abort', abort);
      reject(error);
    });
  });
}

export class GenericConnector implements Connector {
  readonly type = 'generic' as const;

  async test(connection: ResolvedConnection, context: ConnectorContext): Promise<TestResult> {
    const host = String(connection.config.host);
    const port = Number(connection.config.port);
    const where = `${host}:${port}`;
    const run = new TestRun('tcp', secretScrubber(connection.secrets));
    try {
      const target = await run.stage(
        'dns',
        () => context.egress.resolve(host, port, context.signal),
        (error) => classifyNetworkError(error, where),
      );
      await run.stage(
        'tcp',
        () => connectTcp(target.address, port, context.signal),
        (error) => classifyNetworkError(error, where),
      );
      return run.succeed(`${where} accepts TCP connections.`);
    } catch (error) {
      return run.fail(error);
    }
  }
}
