import { createHash } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';

interface PgQueryable {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

const statementNames = new Map<string, string>();

/** One stable name per statement text: pg refuses a name reused for another text. */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `sb_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * SQL on a hot path as a named prepared statement on PostgreSQL, so the server parses and
 * plans it once per pooled session instead of on every request. `text` must come from a fixed
 * set (values only ever as parameters): each distinct text is a statement kept by every session.
 * `target` is the data source, or a transaction's manager to run inside that transaction.
 * On SQLite it is a plain query; TypeORM's better-sqlite3 driver already reuses statements.
 */
export async function preparedQuery<T = Record<string, unknown>>(
  target: DataSource | EntityManager,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const dataSource = target instanceof DataSource ? target : target.connection;
  if (dataSource.options.type !== 'postgres') return (await target.query(text, values)) as T[];
  const runner = target instanceof DataSource ? undefined : target.queryRunner;
  const client = (runner ? await runner.connect() : (dataSource.driver as unknown as { master: PgQueryable }).master) as PgQueryable;
  const result = await client.query({ name: statementName(text), text, values });
  return result.rows as T[];
}

/** The driver's placeholder for the n-th parameter (1-based): `$n` on PostgreSQL, `?` on SQLite. */
export function placeholder(dataSource: DataSource, n: number): string {
  return dataSource.options.type === 'postgres' ? `$${n}` : '?';
}
