import type { DatabaseConfig } from '@switchboard/common';
import type { ProtectedTarget } from './egress-policy';

const POSTGRES_PORT = 5432;

/**
 * The TCP endpoints of the service's own PostgreSQL, read the way pg reads DATABASE_URL
 * (`?host=` and `?port=` override the authority); none for embedded SQLite or a Unix socket.
 */
export function metadataDatabaseTargets(database: DatabaseConfig): ProtectedTarget[] {
  if (database.driver !== 'postgres') return [];
  const url = new URL(database.url);
  const port = Number(url.searchParams.getAll('port').at(-1) ?? url.port) || POSTGRES_PORT;
  return [decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1'), ...url.searchParams.getAll('host')]
    .filter((host) => host !== '' && !host.startsWith('/'))
    .map((host) => ({ host, port }));
}
