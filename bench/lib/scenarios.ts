import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { ClientScript, LoadPlan, LoadRequest } from './load';
import { type Contender, directContender, httpContender } from './measure';
import type { BenchOptions, ScenarioId } from './options';
import type { ServerProcess } from './processes';
import type { ScenarioProfiler } from './profile-summary';
import type { TableSize } from './soak';
import {
  connectionName,
  connectionType,
  MYSQL_WAREHOUSE,
  type SeededProject,
  type SeededService,
  type TargetDatabase,
  WAREHOUSE,
  WAREHOUSE_SSH,
} from './seed-api';
import { MYSQL_CATALOG_DATABASE, MYSQL_EVENTS_DATABASE } from './seed-mysql-target';
import { CATALOG_SCHEMA, EVENTS_SCHEMA, EVENTS_TABLE } from './seed-target';
import type { Target } from './targets';
import type { TunnelChecks } from './tunnel-checks';
import type { DirectDriver } from '../baseline/direct';
import type { TargetWork } from '../baseline/introspection';

export interface Scenario {
  id: ScenarioId;
  title: string;
  concurrency: number;
  /** Why this concurrency, and anything else a reader of the figures must know. */
  note: string;
  /** The service first; the others are its baselines. */
  contenders: Contender[];
  /** The baseline the headline ratio is taken against. */
  versus: string;
  /** Checked on the PostgreSQL suite and reported (never enforced). */
  targets?: Target[];
  /** Shown instead of targets when there are none to check. */
  targetNote?: string;
  /** Before each warm-up and round: waits until the target has finished what the previous phase left it doing. */
  settle?: () => Promise<void>;
  /** (f)/(g): report the service's peak RSS during the rounds against its idle RSS. */
  memory?: boolean;
  /** (f)/(g): every HTTP side's probe must answer the service's columns and rows, cell for cell (the same work), or the run fails. */
  sameRows?: boolean;
  /** (f-ssh): proves the traffic went through the bastion, then measures the RSS of `liveTunnels` tunnels at once. */
  tunnel?: { checks: TunnelChecks; projectsLoaded: number; liveTunnels: number };
}

/** What the scenarios run against: one metadata database, the service and the baseline on it. */
export interface Suite {
  name: 'postgres' | 'sqlite';
  service: ServerProcess;
  baseline: ServerProcess;
  /** The metadata database's tables now (`--soak` reports what a scenario made grow). */
  tableSizes(): Promise<TableSize[]>;
  /** The PostgreSQL servers a soak watches for autovacuum and checkpoints (database-activity.ts). */
  databaseUrls?: { name: string; url: string }[];
  seed: SeededService;
  target?: TargetDatabase;
  /** The MariaDB introspection target of e-mysql, f-mysql, g-mysql. */
  mysqlTarget?: TargetDatabase;
  /** Resolves once the MariaDB target runs no statement of the bench's login (see seed-mysql-target.ts). */
  mysqlTargetIdle?: () => Promise<void>;
  /** Compiled bench/baseline/direct.js. */
  directEntry: string;
  /** With --profile: records the service's CPU per scenario. */
  profiler?: ScenarioProfiler;
  /** With --profile: the same for the HTTP baseline's process (its "http floor" requests included). */
  baselineProfiler?: ScenarioProfiler;
  /** (f-ssh): the bastion's checks, when it runs. */
  tunnelChecks?: TunnelChecks;
}

const TABLES_PER_PAGE = 100;
const PREVIEW_LIMIT = 100;
const QUERY_LIMIT = 1_000;

const bearer = (project: SeededProject): Record<string, string> => ({ authorization: `Bearer ${project.apiKey}` });
const json = (project: SeededProject): Record<string, string> => ({ ...bearer(project), 'content-type': 'application/json' });
const projectFor = (projects: readonly SeededProject[], slot: number): SeededProject => projects[slot % projects.length];
const connectionsPath = (project: SeededProject): string => `/api/v1/projects/${project.slug}/connections`;

/** Indices of the seeded postgres connections: (a) reads them, (b) lists them. */
function postgresIndices(seed: SeededService): number[] {
  return Array.from({ length: seed.connectionsPerProject }, (_, index) => index).filter((index) => connectionType(index) === 'postgres');
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];

/** Smoke: each connection sends this many requests, so a slow (cold, busy) machine still completes every scenario. */
const SMOKE_REQUESTS_PER_CONNECTION = 2;

function fixedPlan(options: BenchOptions, connections: number, seconds: number, script: (slot: number) => ClientScript): LoadPlan {
  return options.smoke ? { connections, requestsPerConnection: SMOKE_REQUESTS_PER_CONNECTION, script } : { connections, seconds, script };
}

/** The service at least `ratio` times `versus`'s req/s. */
const atLeast = (source: string, versus: string, ratio: number): Target => ({
  source,
  bounds: [{ measure: 'reqPerSec', versus, atLeast: ratio }],
});

// --- (a)-(c): the API on the metadata database -------------------------------------------

function getOneScript(seed: SeededService): (slot: number) => ClientScript {
  const indices = postgresIndices(seed);
  return (slot) => {
    const project = projectFor(seed.projects, slot);
    const headers = bearer(project);
    return [(): LoadRequest => ({ method: 'GET', path: `${connectionsPath(project)}/${connectionName(pick(indices))}`, headers })];
  };
}

function listScript(seed: SeededService): (slot: number) => ClientScript {
  const pages = Math.max(1, Math.floor(postgresIndices(seed).length / 50));
  return (slot) => {
    const project = projectFor(seed.projects, slot);
    const headers = bearer(project);
    const path = () => `${connectionsPath(project)}?type=postgres&perPage=50&page=${1 + Math.floor(Math.random() * pages)}`;
    return [(): LoadRequest => ({ method: 'GET', path: path(), headers })];
  };
}

/** POST a new postgres connection with an inline secret, then DELETE it: two requests per cycle. */
function createDeleteScript(seed: SeededService, side: string): (slot: number) => ClientScript {
  const run = randomBytes(3).toString('hex');
  return (slot) => {
    const project = projectFor(seed.projects, slot);
    let counter = 0;
    let name = '';
    const create = (): LoadRequest => {
      name = `bench-${side}-${run}-${slot}-${++counter}`;
      const body = {
        name,
        type: 'postgres',
        description: 'Created and deleted by the benchmark',
        config: { host: 'pg-7.db.internal.example.com', database: 'orders_3', username: 'reader_data' },
        secrets: { password: randomBytes(18).toString('base64url') },
        labels: { team: 'data', env: 'production' },
      };
      return { method: 'POST', path: connectionsPath(project), headers: json(project), body: JSON.stringify(body) };
    };
    const remove = (): LoadRequest => ({ method: 'DELETE', path: `${connectionsPath(project)}/${name}`, headers: bearer(project) });
    return [create, remove];
  };
}

export function apiScenarios(suite: Suite, options: BenchOptions): Scenario[] {
  const { seed } = suite;
  const seconds = (phase: number) => (phase === 0 ? options.warmupSeconds : options.roundSeconds);
  const concurrency = options.apiConcurrency;
  const pair = (script: (side: string) => (slot: number) => ClientScript): Contender[] => [
    httpContender('service', suite.service, (phase) => fixedPlan(options, concurrency, seconds(phase), script('s'))),
    httpContender('baseline', suite.baseline, (phase) => fixedPlan(options, concurrency, seconds(phase), script('b'))),
  ];
  const spread = `${concurrency} connections spread over the ${seed.projects.length} projects, each with its project's API key`;
  return [
    {
      id: 'a',
      title: 'GET one connection by name (API key)',
      concurrency,
      note: `${spread}; a random postgres connection of ${seed.connectionsPerProject} per request.`,
      contenders: pair(() => getOneScript(seed)),
      versus: 'baseline',
      targets: [
        {
          source: 'issues 6, 19',
          bounds: [
            { measure: 'reqPerSec', versus: 'baseline', atLeast: 0.75 },
            { measure: 'p99Ms', atMost: 30 },
          ],
        },
      ],
    },
    {
      id: 'b',
      title: 'List 50 with total, type filter',
      concurrency,
      note: `${spread}; ?type=postgres&perPage=50 on a random page.`,
      contenders: pair(() => listScript(seed)),
      versus: 'baseline',
      targets: [atLeast('issue 6', 'baseline', 0.6), atLeast('issue 19', 'baseline', 0.8)],
    },
    {
      id: 'c',
      title: 'Create + delete (inline secret)',
      concurrency,
      note: `${spread}; each cycle is POST then DELETE, both counted as requests.`,
      contenders: pair((side) => createDeleteScript(seed, side)),
      versus: 'baseline',
      targets: [atLeast('issue 6', 'baseline', 0.5), atLeast('issue 19', 'baseline', 0.8)],
    },
  ];
}

// --- (d): connection test ------------------------------------------------------------------

/** 4 connections per project (the service's cap), a fixed number of tests each (the 60-a-minute budget). */
function testPlan(projects: readonly SeededProject[], perConnection: number, extraHeaders: Record<string, string> = {}): LoadPlan {
  return {
    connections: 4 * projects.length,
    requestsPerConnection: perConnection,
    script: (slot) => {
      const project = projectFor(projects, slot);
      const request: LoadRequest = {
        method: 'POST',
        path: `${connectionsPath(project)}/${WAREHOUSE}/test`,
        headers: { ...json(project), ...extraHeaders },
        body: '{}',
      };
      return [() => request];
    },
  };
}

export function testScenario(suite: Suite, options: BenchOptions): Scenario {
  const groups = suite.seed.testProjectGroups;
  const perConnection = options.testsPerConnection;
  return {
    id: 'd',
    title: 'Test a postgres connection',
    concurrency: 4 * options.testProjectsPerPhase,
    note:
      `4 in flight per project (the service's cap) on ${options.testProjectsPerPhase} projects, ${perConnection} tests per connection ` +
      `and phase; each phase uses fresh projects so the limit of 60 tests a minute per project is never hit. The service opens a ` +
      `fresh connection per test today; "baseline" answers from a pooled session (the target of issue 6), "baseline fresh" connects anew like the service.`,
    contenders: [
      httpContender('service', suite.service, (phase) => testPlan(groups[phase], perConnection)),
      httpContender('baseline', suite.baseline, (phase) => testPlan(groups[phase], perConnection)),
      httpContender('baseline fresh', suite.baseline, (phase) => testPlan(groups[phase], perConnection, { 'x-baseline-test': 'fresh' })),
    ],
    versus: 'baseline',
  };
}

// --- (e)-(g): introspection of the targets ----------------------------------------------------

function targetRequest(
  project: SeededProject,
  connection: string,
  work: TargetWork,
  extraHeaders: Record<string, string> = {},
): () => LoadRequest {
  const base = `${connectionsPath(project)}/${connection}`;
  const headers = { ...bearer(project), ...extraHeaders };
  switch (work.kind) {
    case 'tables':
      return () => ({
        method: 'GET',
        path: `${base}/tables?schema=${work.schema}&perPage=${work.perPage}&page=${1 + Math.floor(Math.random() * work.pages)}`,
        headers,
      });
    case 'preview': {
      const request: LoadRequest = {
        method: 'GET',
        path: `${base}/preview?schema=${work.schema}&table=${work.table}&limit=${work.limit}`,
        headers,
      };
      return () => request;
    }
    case 'query': {
      const body = JSON.stringify({ sql: work.sql, limit: work.limit, timeoutMs: work.timeoutMs });
      const request: LoadRequest = { method: 'POST', path: `${base}/query`, headers: { ...json(project), ...extraHeaders }, body };
      return () => request;
    }
  }
}

/** One introspection target of (e)-(g): where it is, what its names are, and which baselines it is measured against. */
interface TargetKind {
  ids: { tables: ScenarioId; preview: ScenarioId; query: ScenarioId };
  /** "PostgreSQL" / "MariaDB": in titles and notes. */
  product: string;
  target: TargetDatabase;
  /** The seeded connection to it in every project. */
  connection: string;
  driver: DirectDriver;
  /** The direct loop's label, the headline baseline. */
  direct: string;
  catalogSchema: string;
  eventsSchema: string;
  /** Also measure the Fastify baseline server (PostgreSQL only). */
  fastify: boolean;
  /** Check the targets of issue 6 §4 (they are set for PostgreSQL only). */
  targets: boolean;
  /** What a reader of (g)'s figures must know about this driver. */
  queryNote?: string;
  /** Run before every phase of (g) (Scenario.settle). */
  settleQuery?: () => Promise<void>;
}

/** (e)-(g): one request in flight per project (--target-concurrency, 4 by default). */
function introspectionScenarios(suite: Suite, options: BenchOptions, kind: TargetKind): Scenario[] {
  const inFlight = options.targetConcurrency;
  const seconds = (phase: number) => (phase === 0 ? options.warmupSeconds : options.roundSeconds);
  const contenders = (work: TargetWork): Contender[] => {
    const planWith =
      (extraHeaders?: Record<string, string>) =>
      (phase: number): LoadPlan =>
        fixedPlan(options, inFlight, seconds(phase), (slot) => [
          targetRequest(projectFor(suite.seed.projects, slot), kind.connection, work, extraHeaders),
        ]);
    const plan = planWith();
    return [
      httpContender('service', suite.service, plan),
      ...(kind.fastify
        ? [
            httpContender('baseline', suite.baseline, plan),
            httpContender('http floor', suite.baseline, planWith({ 'x-baseline-floor': '1' })),
          ]
        : []),
      directContender(kind.direct, suite.directEntry, (phase) => ({
        driver: kind.driver,
        target: kind.target,
        work,
        concurrency: inFlight,
        seconds: seconds(phase),
        warmupSeconds: 0,
      })),
    ];
  };
  const note =
    `${inFlight} in flight, one per project (the service allows 4 per project and pools 2 clients per connection, so ` +
    `nothing queues inside it); more would measure the target ${kind.product} saturating the machine's ${os.availableParallelism()} cores, not the service. ` +
    `"${kind.direct}": the same SQL from a plain Node loop on ${inFlight} sessions` +
    (kind.fastify
      ? '; "baseline": the same behind Fastify; "http floor": that Fastify server with the caller and connection resolved once and ' +
        'no audit row, the driver work behind HTTP and nothing else.'
      : '.');
  // Issue 6's against the direct driver (PostgreSQL only), issue 19's against the full baseline (both targets).
  const latency: Target = { source: 'issue 6', bounds: [{ measure: 'p50', versus: kind.direct, atMost: 1.5 }] };
  const memory: Target = { ...latency, bounds: [...latency.bounds, { measure: 'rssGrowthMiB', atMost: 64 }] };
  const issue6 = (target: Target): Target[] => (kind.targets ? [target] : []);
  const previewTargets = [...issue6(memory), atLeast('issue 19', 'baseline', 0.9)];
  const queryTargets: Target[] = [
    ...issue6(memory),
    { source: 'issue 19', bounds: [{ measure: 'p50', versus: 'baseline', atMost: 1.15 }] },
  ];
  const of = kind.product === 'PostgreSQL' ? '' : ` (${kind.product})`;
  const pages = Math.max(1, Math.floor(options.catalogTables / TABLES_PER_PAGE));
  return [
    {
      id: kind.ids.tables,
      title: `Tables, page of ${TABLES_PER_PAGE} of ${options.catalogTables.toLocaleString('en')}${of}`,
      concurrency: inFlight,
      note: `${note} A random page per request.`,
      contenders: contenders({ kind: 'tables', schema: kind.catalogSchema, pages, perPage: TABLES_PER_PAGE }),
      versus: kind.direct,
      ...(kind.targets ? { targets: [latency] } : { targetNote: 'none (issue 6 sets them for PostgreSQL)' }),
    },
    {
      id: kind.ids.preview,
      title: `Preview ${PREVIEW_LIMIT} rows of ${options.bigTableRows.toLocaleString('en')}${of}`,
      concurrency: inFlight,
      note,
      contenders: contenders({ kind: 'preview', schema: kind.eventsSchema, table: EVENTS_TABLE, limit: PREVIEW_LIMIT }),
      versus: kind.direct,
      targets: previewTargets,
      memory: true,
      sameRows: true,
    },
    {
      id: kind.ids.query,
      title: `Query limit ${QUERY_LIMIT.toLocaleString('en')} over ${options.bigTableRows.toLocaleString('en')} rows${of}`,
      concurrency: inFlight,
      note: kind.queryNote ? `${note} ${kind.queryNote}` : note,
      contenders: contenders({
        kind: 'query',
        sql: `SELECT * FROM ${kind.eventsSchema}.${EVENTS_TABLE}`,
        limit: QUERY_LIMIT,
        timeoutMs: 30_000,
      }),
      versus: kind.direct,
      targets: queryTargets,
      memory: true,
      sameRows: true,
      settle: kind.settleQuery,
    },
  ];
}

/** (e)-(g) on the PostgreSQL target ("warehouse"), against the direct pg loop and the Fastify baseline, with issue 6's targets. */
export function targetScenarios(suite: Suite, options: BenchOptions): Scenario[] {
  return introspectionScenarios(suite, options, {
    ids: { tables: 'e', preview: 'f', query: 'g' },
    product: 'PostgreSQL',
    target: suite.target!,
    connection: WAREHOUSE,
    driver: 'pg',
    direct: 'direct pg',
    catalogSchema: CATALOG_SCHEMA,
    eventsSchema: EVENTS_SCHEMA,
    fastify: true,
    targets: true,
  });
}

/** (e)-(g) on the MariaDB target ("warehouse-mysql"), against the direct mysql2 loop; issue 6 sets no targets for them. */
export function mysqlTargetScenarios(suite: Suite, options: BenchOptions): Scenario[] {
  return introspectionScenarios(suite, options, {
    ids: { tables: 'e-mysql', preview: 'f-mysql', query: 'g-mysql' },
    product: 'MariaDB',
    target: suite.mysqlTarget!,
    connection: MYSQL_WAREHOUSE,
    driver: 'mysql',
    direct: 'direct mysql2',
    catalogSchema: MYSQL_CATALOG_DATABASE,
    eventsSchema: MYSQL_EVENTS_DATABASE,
    fastify: true,
    targets: false,
    queryNote:
      'At row limit + 1 the connector closes the connection (its socket destroyed) and opens a new one for the next query, ' +
      'on both sides alike; before each phase the bench ends any statement the target still runs from the previous one.',
    settleQuery: suite.mysqlTargetIdle,
  });
}

// --- (f-ssh): (f) through an SSH bastion --------------------------------------------------------

/**
 * (f)'s preview through the tunnel ("warehouse-ssh": the same target through the bastion, a key
 * per project, so one SSH connection per project) against the same preview without it, taking
 * turns in the same rounds: the tunnel's own cost once it is warm (the probe and warm-up open it).
 */
export function tunnelScenario(suite: Suite, options: BenchOptions): Scenario {
  const inFlight = options.targetConcurrency;
  const seconds = (phase: number) => (phase === 0 ? options.warmupSeconds : options.roundSeconds);
  const work: TargetWork = { kind: 'preview', schema: EVENTS_SCHEMA, table: EVENTS_TABLE, limit: PREVIEW_LIMIT };
  const plan =
    (connection: string) =>
    (phase: number): LoadPlan =>
      fixedPlan(options, inFlight, seconds(phase), (slot) => [targetRequest(projectFor(suite.seed.projects, slot), connection, work)]);
  return {
    id: 'f-ssh',
    title: `Preview ${PREVIEW_LIMIT} rows of ${options.bigTableRows.toLocaleString('en')} through an SSH tunnel`,
    concurrency: inFlight,
    note:
      `(f) on ${inFlight} projects' "${WAREHOUSE_SSH}" connections: the same PostgreSQL target reached through a local OpenSSH ` +
      `sshd as bastion (host key pinned, an ed25519 key per project, so one SSH connection each); "service direct" is (f)'s ` +
      `"${WAREHOUSE}" on the same projects, in the same rounds. Checked: the tunneled connection test passes the ssh and tunnel ` +
      `stages, and the bastion's log shows each loaded project's key signing in and the forwarded channels to the target.`,
    contenders: [
      httpContender('service via ssh', suite.service, plan(WAREHOUSE_SSH)),
      httpContender('service direct', suite.service, plan(WAREHOUSE)),
    ],
    versus: 'service direct',
    sameRows: true,
    targets: [{ source: 'issue 16', bounds: [{ measure: 'p50', versus: 'service direct', atMost: 1.3 }] }],
    tunnel: {
      checks: suite.tunnelChecks!,
      projectsLoaded: Math.min(inFlight, suite.seed.projects.length),
      liveTunnels: options.liveTunnels,
    },
  };
}
