import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { MariaDbServer } from '../../test/support/mariadb';
import type { TargetDatabase } from './seed-api';
import { catalogTableName, EVENTS_TABLE } from './seed-target';

/** MySQL has no schemas in databases: the catalog of (e) is a database of its own, like PostgreSQL's schema "catalog". */
export const MYSQL_CATALOG_DATABASE = 'catalog';
/** The database of the events table of (f) and (g): the connection's default database. */
export const MYSQL_EVENTS_DATABASE = 'bench_target';
const READER = 'bench_reader';
/** CREATE TABLEs per multi-statement round trip, and sessions sending them. */
const TABLES_PER_BATCH = 100;
const PARALLEL_SESSIONS = 4;
/** Holds the events table (about 100 MiB) and the catalog's pages, as PostgreSQL's page cache does; mariadb.ts starts with 32 MiB. */
const BUFFER_POOL_BYTES = 256 * 1024 * 1024;

type Root = mysql.ConnectionOptions;

async function withConnection<T>(options: Root, work: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection({ ...options, multipleStatements: true });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

/** The same small tables as the PostgreSQL catalog: a key, three typed columns. */
async function createCatalogTables(root: Root, count: number): Promise<void> {
  let next = 0;
  const session = () =>
    withConnection(root, async (connection) => {
      while (next < count) {
        const first = next;
        next = Math.min(count, next + TABLES_PER_BATCH);
        const statements = Array.from(
          { length: next - first },
          (_, offset) =>
            `CREATE TABLE ${MYSQL_CATALOG_DATABASE}.${catalogTableName(first + offset)} (id bigint PRIMARY KEY, name text NOT NULL, ` +
            'amount decimal(12,2), created_at timestamp NOT NULL DEFAULT current_timestamp())',
        );
        await connection.query(statements.join(';\n'));
      }
    });
  await Promise.all(Array.from({ length: PARALLEL_SESSIONS }, session));
}

/** The PostgreSQL events table's columns and values, ~100-byte rows, from MariaDB's sequence engine. */
async function createEventsTable(root: Root, rows: number): Promise<void> {
  await withConnection(root, async (connection) => {
    await connection.query(`CREATE TABLE ${MYSQL_EVENTS_DATABASE}.${EVENTS_TABLE} (
      id bigint PRIMARY KEY, occurred_at timestamp NOT NULL, kind varchar(16) NOT NULL,
      customer_id int NOT NULL, amount decimal(12,2) NOT NULL, note varchar(64) NOT NULL)`);
    await connection.query(
      `INSERT INTO ${MYSQL_EVENTS_DATABASE}.${EVENTS_TABLE}
       SELECT seq, TIMESTAMP '2026-01-01 00:00:00' + INTERVAL seq SECOND, ELT(1 + seq % 4, 'order', 'refund', 'signup', 'visit'),
              seq % 50000, ROUND((seq % 100000) / 7.0, 2), CONCAT(MD5(seq), ' ', LEFT(MD5(seq * 7), 14))
         FROM ${MYSQL_EVENTS_DATABASE}.seq_1_to_${Math.max(1, Math.floor(rows))}`,
    );
    await connection.query(`ANALYZE TABLE ${MYSQL_EVENTS_DATABASE}.${EVENTS_TABLE}`);
  });
}

/** How long a phase may wait for the target to be idle. */
const IDLE_TIMEOUT_MS = 30_000;

/**
 * Resolves once the target runs no statement of the bench's login, ending what is left of the
 * previous phase (a statement still finishing after its client closed), so no phase starts on
 * top of another's work. The phase is over: nobody waits for those answers.
 */
export async function waitUntilIdle(server: MariaDbServer, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  const root = { host: server.host, port: server.port, user: server.rootUser, password: server.rootPassword };
  const killed = new Set<number>();
  await withConnection(root, async (connection) => {
    for (;;) {
      const [rows] = await connection.query<mysql.RowDataPacket[]>(
        `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND = 'Query'`,
        [READER],
      );
      if (rows.length === 0) break;
      if (Date.now() - started > IDLE_TIMEOUT_MS) throw new Error(`the MariaDB target still runs ${rows.length} statement(s)`);
      for (const id of rows.map((row) => Number(row.id)).filter((id) => !killed.has(id))) {
        killed.add(id);
        // Gone meanwhile (error 1094, unknown thread): fine.
        await connection.query(`KILL CONNECTION ${id}`).catch(() => undefined);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  if (killed.size)
    log(`    ended ${killed.size} leftover statement(s) of the previous phase on the MariaDB target (${Date.now() - started} ms)`);
}

/**
 * The MariaDB introspection target: database "catalog" with `catalogTables` small tables,
 * database "bench_target" with the events table, and a login that can only read both.
 * InnoDB; the tables share the system tablespace (file_per_table off), which seeds 10,000
 * tables twice as fast and changes nothing the catalog reads (names and types come from the
 * .frm files).
 */
export async function seedMysqlTarget(
  server: MariaDbServer,
  sizes: { catalogTables: number; bigTableRows: number },
): Promise<TargetDatabase> {
  const root: Root = { host: server.host, port: server.port, user: server.rootUser, password: server.rootPassword };
  const password = randomBytes(12).toString('hex');
  await withConnection(root, (connection) =>
    connection.query(
      [
        `SET GLOBAL innodb_buffer_pool_size = ${BUFFER_POOL_BYTES}`,
        'SET GLOBAL innodb_file_per_table = OFF',
        // A throwaway: stop without flushing the buffer pool (10 s at full size otherwise).
        'SET GLOBAL innodb_fast_shutdown = 2',
        `CREATE DATABASE ${MYSQL_CATALOG_DATABASE} CHARACTER SET utf8mb4`,
        `CREATE DATABASE ${MYSQL_EVENTS_DATABASE} CHARACTER SET utf8mb4`,
      ].join(';\n'),
    ),
  );
  await Promise.all([createCatalogTables(root, sizes.catalogTables), createEventsTable(root, sizes.bigTableRows)]);
  await withConnection(root, (connection) =>
    connection.query(
      ['%', '127.0.0.1']
        .flatMap((host) => [
          `CREATE USER '${READER}'@'${host}' IDENTIFIED BY '${password}'`,
          `GRANT SELECT ON ${MYSQL_CATALOG_DATABASE}.* TO '${READER}'@'${host}'`,
          `GRANT SELECT ON ${MYSQL_EVENTS_DATABASE}.* TO '${READER}'@'${host}'`,
        ])
        .join(';\n'),
    ),
  );
  return { host: server.host, port: server.port, database: MYSQL_EVENTS_DATABASE, username: READER, password };
}
