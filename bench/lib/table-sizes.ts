/** The metadata database's tables, rows and bytes: what a soak's scenario made grow (issue 19). */
import Database from 'better-sqlite3';
import { Client } from 'pg';
import type { TableSize } from './soak';

/** Every table of the public schema: exact row counts, and bytes with indexes and TOAST. */
export async function postgresTableSizes(databaseUrl: string): Promise<TableSize[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ table: string; bytes: string }>(
      `SELECT c.relname AS table, pg_total_relation_size(c.oid) AS bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY c.relname`,
    );
    const sizes: TableSize[] = [];
    for (const row of rows) {
      const counted = await client.query<{ rows: string }>(`SELECT count(*) AS rows FROM "${row.table.replace(/"/g, '""')}"`);
      sizes.push({ table: row.table, rows: Number(counted.rows[0].rows), bytes: Number(row.bytes) });
    }
    return sizes;
  } finally {
    await client.end();
  }
}

/** The same from the service's SQLite file, read-only beside it: bytes are the pages of the table and its indexes (dbstat). */
export function sqliteTableSizes(file: string): Promise<TableSize[]> {
  const database = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const bytes = new Map(
      database
        .prepare(
          `SELECT s.tbl_name AS name, sum(d.pgsize) AS bytes FROM dbstat d JOIN sqlite_schema s ON s.name = d.name GROUP BY s.tbl_name`,
        )
        .all()
        .map((row) => [(row as { name: string }).name, Number((row as { bytes: number }).bytes)]),
    );
    const tables = database
      .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
      .all() as { name: string }[];
    return Promise.resolve(
      tables.map(({ name }) => ({
        table: name,
        rows: Number((database.prepare(`SELECT count(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as { n: number }).n),
        bytes: bytes.get(name) ?? 0,
      })),
    );
  } finally {
    database.close();
  }
}
