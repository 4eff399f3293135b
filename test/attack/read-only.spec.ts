/**
 * Issue 13 against a real server: a long unquoted identifier followed by `$$` hid a call from
 * the old statement checks, and the call then acted outside the read-only transaction (a
 * dblink_exec INSERT committed; pg_terminate_backend, pg_file_write, pg_reload_conf and a
 * replication slot all ran). Through the PostgreSQL connector, as a superuser and as a
 * non-superuser, every shape must be refused and nothing it aimed at may happen.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AppError, ErrorCode } from '@switchboard/common';
import { EgressGuard, EgressPolicy, type IntrospectionContext, type ResolvedConnection, SessionCache } from '@switchboard/connectors';
import { Client } from 'pg';
import { PostgresConnector } from '../../libs/connectors/src/postgres/postgres.connector';
import { READ_ONLY_FIXTURES } from './read-only-corpus';

const serverUrl = process.env.SWITCHBOARD_TEST_PG_URL;
if (!serverUrl) throw new Error('SWITCHBOARD_TEST_PG_URL is not set: run the specs through test/run.js, which starts PostgreSQL');
const server = new URL(serverUrl);
const suffix = randomBytes(4).toString('hex');
const DB = `sb_attack_13_${suffix}`;
const USER = `sb_attack_user_${suffix}`;
const USER_PASSWORD = randomBytes(12).toString('hex');
const SLOT = `sb_canary_${suffix}`;
const FILE = `sb-canary-${suffix}`;

const urlOf = (database: string, user?: string, password?: string): string => {
  const url = new URL(server.href);
  url.pathname = `/${database}`;
  if (user) url.username = user;
  if (password) url.password = password;
  return url.href;
};

/** The shape: 1,025 characters of unquoted identifier, `$$`, the call, and `$$` closing the "quote". */
const bypass = (call: string): string => `SELECT 1 AS ${'a'.repeat(1025)}$$, ${call} AS b$$`;

describe('attack: the issue-13 bypass of the PostgreSQL read-only query, against a real server', () => {
  const connector = new PostgresConnector();
  const cache = new SessionCache();
  const guard = new EgressGuard(EgressPolicy.parse({}));
  let admin: Client;
  let bystander: Client;
  let bystanderPid = 0;

  const connectionAs = (username: string, password: string): ResolvedConnection => ({
    type: 'postgres',
    generation: `${username}-g1`,
    config: { host: server.hostname, port: Number(server.port), database: DB, username, sslMode: 'disable' },
    secrets: { password },
  });
  const superuser = connectionAs(decodeURIComponent(server.username), decodeURIComponent(server.password));
  const user = connectionAs(USER, USER_PASSWORD);

  const context = (connection: ResolvedConnection): IntrospectionContext => ({
    signal: AbortSignal.timeout(30_000),
    remainingMs: () => 30_000,
    egress: guard,
    session: (variant, open, work) => cache.use(connection.config.username as string, connection.generation!, open, work, variant),
  });
  const run = (connection: ResolvedConnection, sql: string) =>
    connector.query(connection, context(connection), { sql, limit: 10, timeoutMs: 10_000 });

  /** What the attacks aim at, read by the superuser outside any of them. */
  async function targets() {
    const { rows } = await admin.query(
      `SELECT (SELECT count(*) FROM public.victim WHERE id = 1000)::int AS inserted,
              pg_catalog.pg_conf_load_time()::text AS conf_loaded,
              (SELECT count(*) FROM pg_catalog.pg_replication_slots WHERE slot_name = $1)::int AS slots,
              (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE pid = $2)::int AS bystanders,
              (SELECT count(*) FROM pg_catalog.pg_ls_dir('.') AS f WHERE f = $3)::int AS files`,
      [SLOT, bystanderPid, FILE],
    );
    return rows[0] as Record<string, unknown>;
  }

  before(async () => {
    const root = new Client({ connectionString: urlOf('postgres') });
    await root.connect();
    try {
      await root.query(`CREATE DATABASE "${DB}"`);
      await root.query(`CREATE ROLE "${USER}" LOGIN PASSWORD '${USER_PASSWORD}'`);
    } finally {
      await root.end();
    }
    admin = new Client({ connectionString: urlOf(DB) });
    await admin.connect();
    const { rows } = await admin.query<{ name: string }>(`SELECT name FROM pg_available_extensions WHERE name IN ('dblink', 'adminpack')`);
    for (const { name } of rows) await admin.query(`CREATE EXTENSION ${name}`);
    await admin.query(READ_ONLY_FIXTURES);
    await admin.query(`GRANT SELECT ON public.victim TO "${USER}"`);
    // Another session of the same (non-superuser) role: pg_terminate_backend needs no privilege to end it.
    bystander = new Client({ connectionString: urlOf(DB, USER, USER_PASSWORD) });
    bystander.on('error', () => undefined);
    await bystander.connect();
    bystanderPid = Number((await bystander.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  });

  after(async () => {
    await cache.onApplicationShutdown();
    await bystander?.end().catch(() => undefined);
    await admin
      ?.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [SLOT])
      .catch(() => undefined);
    await admin?.end().catch(() => undefined);
    const root = new Client({ connectionString: urlOf('postgres') });
    await root.connect();
    await root.query(`DROP DATABASE IF EXISTS "${DB}" WITH (FORCE)`);
    await root.query(`DROP ROLE IF EXISTS "${USER}"`);
    await root.end();
  });

  it('refuses every shape of the bypass, and nothing it aimed at happens', async () => {
    const dblink = `dbname=${DB} host=${server.hostname} port=${server.port} user=${decodeURIComponent(server.username)} password=${decodeURIComponent(server.password)}`;
    const attacks: [ResolvedConnection, string, string][] = [
      [superuser, 'dblink_exec', `dblink_exec('${dblink}', 'INSERT INTO public.victim VALUES (1000, ''written'')')`],
      [user, 'pg_terminate_backend', `pg_terminate_backend(${bystanderPid})`],
      [superuser, 'pg_file_write', `pg_file_write('${FILE}', 'written', false)`],
      [superuser, 'pg_reload_conf', `pg_reload_conf()`],
      [superuser, 'pg_create_physical_replication_slot', `pg_create_physical_replication_slot('${SLOT}')`],
      [user, 'pg_terminate_backend', `(${bystanderPid}).pg_terminate_backend`],
    ];
    const initial = await targets();
    assert.deepEqual({ ...initial, conf_loaded: '' }, { inserted: 0, conf_loaded: '', slots: 0, bystanders: 1, files: 0 });
    for (const [connection, name, call] of attacks) {
      const outcome = await run(connection, bypass(call)).then(
        () => 'it ran',
        (caught: unknown) => caught,
      );
      // pg_reload_conf takes effect when the postmaster gets to the signal: a moment to show it, had it been sent.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(await targets(), initial, `${name}: what it aimed at changed (${String(outcome)})`);
      assert.ok(outcome instanceof AppError, `${name}: ${String(outcome)}`);
      assert.equal(outcome.code, ErrorCode.READ_ONLY_VIOLATION, `${name}: ${outcome.detail}`);
      assert.equal(outcome.detail, `${name}() acts outside the read-only transaction and is refused.`);
    }
    assert.deepEqual((await bystander.query('SELECT 1 AS alive')).rows, [{ alive: 1 }]);
  });

  it('still runs the same shape without the call, as the server reads it', async () => {
    const result = await run(user, `SELECT 1 AS ${'a'.repeat(1025)}$$, 2 AS b$$`);
    assert.deepEqual(result.rows, [[1, 2]]);
    assert.deepEqual(
      result.columns.map((column) => column.name),
      [`${'a'.repeat(63)}`, 'b$$'],
    );
  });
});
