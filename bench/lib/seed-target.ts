import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { PostgresServer } from '../../test/support/postgres';
import type { TargetDatabase } from './seed-api';

export const TARGET_DATABASE = 'bench_target';
/** The schema holding the many small tables of (e). */
export const CATALOG_SCHEMA = 'catalog';
/** The 1,000,000-row table of (f) and (g). */
export const EVENTS_SCHEMA = 'public';
export const EVENTS_TABLE = 'events';
const READER = 'bench_reader';
/** Tables per transaction: each CREATE TABLE holds locks to commit, and the lock table is finite. */
const TABLES_PER_BATCH = 250;
const PARALLEL_SESSIONS = 4;

export const catalogTableName = (index: number): string => `table_${String(index + 1).padStart(5, '0')}`;

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Small tables like a real warehouse's: a key (so an index too), a few typed columns. */
async function createCatalogTables(url: string, count: number): Promise<void> {
  const batches: [number, number][] = [];
  for (let from = 0; from < count; from += TABLES_PER_BATCH) batches.push([from + 1, Math.min(count, from + TABLES_PER_BATCH)]);
  let next = 0;
  const session = () =>
    withClient(url, async (client) => {
      while (next < batches.length) {
        const [first, last] = batches[next++];
        await client.query(`DO $$ BEGIN
          FOR i IN ${first}..${last} LOOP
            EXECUTE format('CREATE TABLE ${CATALOG_SCHEMA}.%I (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), created_at timestamptz NOT NULL DEFAULT now())',
                           'table_' || lpad(i::text, 5, '0'));
          END LOOP;
        END $$`);
      }
    });
  await Promise.all(Array.from({ length: PARALLEL_SESSIONS }, session));
}

/** ~100-byte rows: 8 + 8 + ~7 + 4 + ~7 + ~47 bytes of data plus the 24-byte tuple header. */
async function createEventsTable(client: Client, rows: number): Promise<void> {
  await client.query(`CREATE TABLE ${EVENTS_SCHEMA}.${EVENTS_TABLE} (
    id bigint PRIMARY KEY, occurred_at timestamptz NOT NULL, kind text NOT NULL,
    customer_id integer NOT NULL, amount numeric(12,2) NOT NULL, note text NOT NULL)`);
  await client.query(
    `INSERT INTO ${EVENTS_SCHEMA}.${EVENTS_TABLE}
     SELECT g, timestamptz '2026-01-01 00:00:00Z' + g * interval '1 second',
            (ARRAY['order','refund','signup','visit'])[1 + g % 4], g % 50000, round((g % 100000) / 7.0, 2),
            md5(g::text) || ' ' || left(md5((g * 7)::text), 14)
     FROM generate_series(1, $1::int) AS g`,
    [rows],
  );
  await client.query(`VACUUM ANALYZE ${EVENTS_SCHEMA}.${EVENTS_TABLE}`);
}

/**
 * The introspection target, a second PostgreSQL (the egress guard refuses the service's own
 * database): `catalogTables` tables in schema "catalog", the events table, and a read-only
 * login the "warehouse" connections use.
 */
export async function seedTarget(server: PostgresServer, sizes: { catalogTables: number; bigTableRows: number }): Promise<TargetDatabase> {
  const url = await server.createDatabase(TARGET_DATABASE);
  const password = randomBytes(12).toString('hex');
  await withClient(url, async (client) => {
    await client.query(`CREATE ROLE ${READER} LOGIN PASSWORD '${password}'`);
    await client.query(`CREATE SCHEMA ${CATALOG_SCHEMA}`);
  });
  await Promise.all([
    createCatalogTables(url, sizes.catalogTables),
    withClient(url, (client) => createEventsTable(client, sizes.bigTableRows)),
  ]);
  await withClient(url, async (client) => {
    await client.query(`GRANT USAGE ON SCHEMA ${CATALOG_SCHEMA} TO ${READER}`);
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${CATALOG_SCHEMA}, ${EVENTS_SCHEMA} TO ${READER}`);
  });
  return { host: '127.0.0.1', port: server.port, database: TARGET_DATABASE, username: READER, password };
}
