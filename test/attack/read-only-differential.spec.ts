/**
 * The read-only corpus fed to both the service's statement analysis (PostgreSQL's parser,
 * compiled in) and the PostgreSQL server the tests run: they must agree, entry by entry, on how
 * the text splits into statements, whether it only reads, and which listed functions it calls
 * (see support/postgres-view.ts for how the server is asked). A disagreement names the entry.
 * Each entry's verdict is pinned too, so a change that keeps them agreeing but lets an attack
 * through still fails.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { StatementSyntaxError } from '../../libs/connectors/src/postgres/postgres.parser';
import { analyseStatement, OUTSIDE_EFFECT_FUNCTIONS } from '../../libs/connectors/src/postgres/postgres.statement';
import { READ_ONLY_FIXTURES, type TrickySql, trickySql, type Verdict, writeAttacks } from './read-only-corpus';
import { PostgresView, type ServerView } from './support/postgres-view';

const serverUrl = process.env.SWITCHBOARD_TEST_PG_URL;
if (!serverUrl) throw new Error('SWITCHBOARD_TEST_PG_URL is not set: run the specs through test/run.js, which starts PostgreSQL');
const suffix = randomBytes(4).toString('hex');
const DB = `sb_attack_ro_${suffix}`;
const PROBE = `sb_probe_${suffix}`;
const PROBE_PASSWORD = randomBytes(12).toString('hex');

const urlOf = (database: string, user?: string, password?: string): string => {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  if (user) url.username = user;
  if (password) url.password = password;
  return url.href;
};

interface Analysed {
  verdict: Verdict;
  read?: boolean;
  calls: string[];
  detail?: string;
}

async function analysed(sql: string): Promise<Analysed> {
  try {
    const { statements, notRead, outsideEffects } = await analyseStatement(sql);
    if (statements !== 1) return { verdict: statements === 0 ? 'empty' : 'several', calls: [] };
    return { verdict: notRead || outsideEffects.length ? 'refused' : 'runs', read: !notRead, calls: outsideEffects, detail: notRead };
  } catch (error) {
    if (error instanceof StatementSyntaxError) return { verdict: 'syntax', calls: [], detail: error.message };
    throw error;
  }
}

const SPLIT: Record<Verdict, ServerView['parse']> = { syntax: 'syntax', empty: 'none', several: 'several', runs: 'one', refused: 'one' };
const sameSet = (a: string[], b: string[]): boolean => new Set(a).size === new Set(b).size && a.every((name) => b.includes(name));

/** How the analyser and the server disagree on an entry, if they do. */
function disagreement(ours: Analysed, server: ServerView): string | undefined {
  if (SPLIT[ours.verdict] !== server.parse)
    return `split: the analyser says ${ours.verdict} (${ours.detail ?? ''}), the server ${server.parse} (${server.error ?? ''})`;
  if (server.parse !== 'one') return undefined;
  if (server.read !== undefined && server.read !== ours.read) {
    return `read: the analyser says ${String(ours.read)} (${ours.detail ?? ''}), the server ${String(server.read)}`;
  }
  if (server.calls !== undefined && !sameSet(ours.calls, server.calls)) {
    return `listed calls: the analyser found [${ours.calls.join(', ')}], the server resolved [${server.calls.join(', ')}]`;
  }
  return undefined;
}

const VERDICT_OF_LAYER = { refused: 'refused', 'one-statement': 'several', server: 'runs', wrote: 'runs' } as const;

describe('attack: read-only corpus, the service parser against PostgreSQL itself', () => {
  let admin: Client;
  let probe: Client;
  let view: PostgresView;
  let serverMajor = 0;

  before(async () => {
    const root = new Client({ connectionString: urlOf('postgres') });
    await root.connect();
    try {
      await root.query(`CREATE DATABASE "${DB}"`);
      await root.query(`CREATE ROLE "${PROBE}" LOGIN PASSWORD '${PROBE_PASSWORD}'`);
    } finally {
      await root.end();
    }
    admin = new Client({ connectionString: urlOf(DB) });
    await admin.connect();
    serverMajor = Math.floor(Number((await admin.query('SHOW server_version_num')).rows[0].server_version_num) / 10_000);
    const { rows } = await admin.query<{ name: string }>(`SELECT name FROM pg_available_extensions WHERE name IN ('dblink', 'adminpack')`);
    for (const { name } of rows) await admin.query(`CREATE EXTENSION ${name}`);
    await admin.query(READ_ONLY_FIXTURES);
    await admin.query(`GRANT ALL ON public.victim, public.victim_seq TO "${PROBE}";
                       GRANT USAGE ON SCHEMA kinds TO "${PROBE}"; GRANT SELECT ON kinds.mv TO "${PROBE}"`);
    // The probe may call none of the listed functions (pg_proc is per database: only this one changes).
    const listed = [...OUTSIDE_EFFECT_FUNCTIONS].map((name) => `'${name}'`).join(', ');
    await admin.query(`DO $$ DECLARE f regprocedure; BEGIN
        FOR f IN SELECT oid::regprocedure FROM pg_catalog.pg_proc WHERE proname IN (${listed}) LOOP
          EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        END LOOP; END $$`);
    probe = new Client({ connectionString: urlOf(DB, PROBE, PROBE_PASSWORD) });
    await probe.connect();
    view = new PostgresView(admin, probe, OUTSIDE_EFFECT_FUNCTIONS);
  });

  after(async () => {
    await probe?.end().catch(() => undefined);
    await admin?.end().catch(() => undefined);
    const root = new Client({ connectionString: urlOf('postgres') });
    await root.connect();
    await root.query(`DROP DATABASE IF EXISTS "${DB}" WITH (FORCE)`);
    await root.query(`DROP ROLE IF EXISTS "${PROBE}"`);
    await root.end();
  });

  it('agrees with the server on every entry, and gives each the verdict it pins', async () => {
    const canaries = { programFile: '/tmp/sb-never', copyFile: '/tmp/sb-never', largeObjectFile: '/tmp/sb-never', largeObject: 1 };
    const entries = [
      ...writeAttacks(canaries).map((attack): TrickySql => ({ sql: attack.sql, verdict: VERDICT_OF_LAYER[attack.layer] })),
      ...trickySql(),
    ];
    const problems: string[] = [];
    let compared = 0;
    for (const [index, { sql, verdict, since, olderServersAccept }] of entries.entries()) {
      const ours = await analysed(sql);
      const server = await view.of(sql, ours.verdict === 'runs');
      const shown = `#${index} ${JSON.stringify(sql.length > 160 ? `${sql.slice(0, 100)}…${sql.slice(-50)}` : sql)}`;
      if (ours.verdict !== verdict)
        problems.push(`${shown}\n    the analyser says ${ours.verdict} (${ours.detail ?? ''}), the corpus ${verdict}`);
      if (since && serverMajor < since) {
        // Only a newer grammar accepts it: this server must refuse it as a syntax error, not run it as something else.
        if (server.parse !== 'syntax')
          problems.push(`${shown}\n    a PostgreSQL ${serverMajor} server parsed newer syntax: ${JSON.stringify(server)}`);
        continue;
      }
      // The parser is stricter than this server here: a syntax error refuses the statement whatever the server would make of it.
      if (olderServersAccept && ours.verdict === 'syntax') continue;
      const found = disagreement(ours, server);
      if (found) problems.push(`${shown}\n    ${found}`);
      if (server.read !== undefined || server.calls !== undefined) compared += 1;
    }
    assert.equal(problems.length, 0, `${problems.length} of ${entries.length} entries:\n${problems.join('\n')}`);
    // Most entries are compared beyond the split (the server's analysis succeeded), or the test proves little.
    assert.ok(compared > entries.length * 0.75, `only ${compared} of ${entries.length} entries compared beyond the split`);
  });
});
