import net from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client } from 'pg';
import type { Connector, ConnectorContext, ResolvedConnection, TestError, TestResult } from '../connector';
import { classifyNetworkError } from '../testing/network-errors';
import { reachTarget } from '../testing/reach';
import { messageOf, secretScrubber, TestRun } from '../testing/test-run';

/** SQLSTATE classes worth a precise code; the rest are protocol errors with the server's text. */
const SQLSTATE_CODES: Record<string, TestError['code']> = {
  '28P01': 'AUTH_FAILED',
  '28000': 'AUTH_FAILED',
  '3D000': 'NOT_FOUND',
  '42501': 'PERMISSION_DENIED',
  '57P03': 'CONNECTION_REFUSED',
};

/** libpq's sslmode, spelled out for node's TLS: connect to the checked address, verify the name. */
export function postgresTls(config: Record<string, unknown>, secrets: Record<string, string>): false | ConnectionOptions {
  const mode = String(config.sslMode ?? 'require');
  if (mode === 'disable') return false;
  const clientCert = secrets.tlsCert && secrets.tlsKey ? { cert: secrets.tlsCert, key: secrets.tlsKey } : {};
  // SNI and the name check use the configured host name; for an IP host node checks the IP itself.
  const name = net.isIP(String(config.host)) ? {} : { servername: String(config.host) };
  if (mode === 'require') return { rejectUnauthorized: false, ...name, ...clientCert };
  const ca = secrets.tlsCa ? { ca: secrets.tlsCa } : {};
  if (mode === 'verify-ca') return { rejectUnauthorized: true, ...name, checkServerIdentity: () => undefined, ...ca, ...clientCert };
  return { rejectUnauthorized: true, ...name, ...ca, ...clientCert };
}

function classify(error: unknown, where: string): TestError {
  const sqlstate = (error as { code?: unknown } | null)?.code;
  if (typeof sqlstate === 'string' && SQLSTATE_CODES[sqlstate]) return { code: SQLSTATE_CODES[sqlstate], message: messageOf(error) };
  // pg reports its own connect and query deadlines as plain errors.
  if (/^timeout expired$|connection timeout|Query read timeout/i.test(messageOf(error))) {
    return { code: 'TIMEOUT', message: `No answer from ${where} before the deadline.` };
  }
  if (/does not support SSL|SSL off|no pg_hba.conf entry .* no encryption/i.test(messageOf(error))) {
    return { code: 'TLS_ERROR', message: messageOf(error) };
  }
  return classifyNetworkError(error, where);
}

export class PostgresConnector implements Connector {
  readonly type = 'postgres' as const;

  async test(connection: ResolvedConnection, context: ConnectorContext): Promise<TestResult> {
    const { config, secrets } = connection;
    const host = String(config.host);
    const port = Number(config.port ?? 5432);
    const where = `${host}:${port}`;
    const run = new TestRun('pg', secretScrubber(secrets));
    let client: Client | undefined;
    const stop = () => void client?.end().catch(() => undefined);
    context.signal.addEventListener('abort', stop, { once: true });
    try {
      const target = await reachTarget(run, context, host, port);
      client = new Client({
        host: target.address,
        port,
        user: typeof config.username === 'string' ? config.username : undefined,
        password: secrets.password,
        database: typeof config.database === 'string' ? config.database : 'postgres',
        ssl: postgresTls(config, secrets),
        connectionTimeoutMillis: Math.max(1, context.remainingMs()),
        query_timeout: Math.max(1, context.remainingMs()),
        application_name: 'switchboard',
      });
      client.on('error', () => undefined);
      await run.stage(
        'auth',
        () => client!.connect(),
        (error) => classify(error, where),
      );
      const version = await run.stage(
        'query',
        async () => (await client!.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version,
        (error) => classify(error, where),
      );
      return run.succeed(`Connected to PostgreSQL ${version} at ${where}.`, version);
    } catch (error) {
      return run.fail(error);
    } finally {
      context.signal.removeEventListener('abort', stop);
      await client?.end().catch(() => undefined);
    }
  }
}
