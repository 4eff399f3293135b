import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';

interface PgPool {
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
 * A hot read as a named prepared statement on PostgreSQL, so the server parses and plans it
 * once per pooled session instead of on every request. `text` must come from a fixed set
 * (values only ever as parameters): each distinct text is a statement kept by every session.
 * On SQLite it is a plain query; TypeORM's better-sqlite3 driver already reuses statements.
 */
export async function preparedQuery<T = Record<string, unknown>>(dataSource: DataSource, text: string, values: unknown[]): Promise<T[]> {
  if (dataSource.options.type !== 'postgres') return (await dataSource.query(text, values)) as T[];
  const pool = (dataSource.driver as unknown as { master: PgPool }).master;
  const result = await pool.query({ name: statementName(text), text, values });
  return result.rows as T[];
}
