import fs from 'node:fs';
import path from 'node:path';
import { SOAK_WINDOW_SECONDS } from './soak';

/** One of the seven scenarios of issue 6, (f) through an SSH tunnel (issue 16), or (e)-(g) against the MariaDB target. */
export type ScenarioId = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'f-ssh' | 'g' | 'e-mysql' | 'f-mysql' | 'g-mysql';
export const ALL_SCENARIOS: readonly ScenarioId[] = ['a', 'b', 'c', 'd', 'e', 'f', 'f-ssh', 'g', 'e-mysql', 'f-mysql', 'g-mysql'];

/** What a run seeds and how long it loads: the full benchmark, or the smoke check CI runs. */
export interface BenchOptions {
  smoke: boolean;
  /** The repository root: dist/ and bench/results/ are found from here. */
  root: string;
  /** The production build of the service (`npm run build`). */
  serviceEntry: string;
  /** The node flags `npm start` gives the service (package.json), so the bench runs it as users do. */
  serviceNodeFlags: string[];
  /** Modules node preloads into the service (e.g. the alias hook of the test build, to run it from .build). */
  serviceRequires: string[];
  scenarios: readonly ScenarioId[];
  /** Run (a)-(c) and (e)-(g) with the service's metadata on the embedded SQLite too. */
  sqlite: boolean;
  /** Run the PostgreSQL-metadata suite (`--no-postgres`: the SQLite suite alone, e.g. to soak it). */
  postgres: boolean;
  /** Write a CPU profile of each service process (and a summary of where its time goes) under bench/results/. */
  profile: boolean;
  /** `--soak=SECONDS`: instead of rounds, each scenario loads the service alone, then its baseline alone, this long (soak.ts). */
  soakSeconds?: number;
  rounds: number;
  /** Connections of (a)-(c): 50 as issue 6 fixes it; fewer in smoke mode. */
  apiConcurrency: number;
  /**
   * Requests in flight in (e)-(g), one per project: 4 by default (the service's cap of outbound
   * operations per project, and no queueing for its 2 pooled clients); 1 measures a lone console click.
   */
  targetConcurrency: number;
  warmupSeconds: number;
  roundSeconds: number;
  projects: number;
  connectionsPerProject: number;
  catalogTables: number;
  bigTableRows: number;
  /** (d) spends the 60-tests-a-minute budget of fresh projects: this many per phase, 4 tests in flight each. */
  testProjectsPerPhase: number;
  /** (d) requests per autocannon connection and phase (4 connections per project: 4 x this <= 60). */
  testsPerConnection: number;
  /** (f-ssh): tunnels opened at once (a connection, key and SSH connection each) to measure the service's RSS with them. */
  liveTunnels: number;
}

const FULL = {
  rounds: 3,
  apiConcurrency: 50,
  warmupSeconds: 3,
  roundSeconds: 10,
  projects: 10,
  connectionsPerProject: 1_000,
  catalogTables: 10_000,
  bigTableRows: 1_000_000,
  testProjectsPerPhase: 10,
  testsPerConnection: 12,
  liveTunnels: 50,
};

/** Small enough to run in well under a minute; it proves every scenario answers 2xx, not the targets. */
const SMOKE = {
  rounds: 1,
  apiConcurrency: 10,
  warmupSeconds: 0,
  // HTTP rounds send a fixed number of requests in smoke mode; this only bounds the direct loop of (e)-(g).
  roundSeconds: 0.3,
  projects: 2,
  connectionsPerProject: 20,
  catalogTables: 200,
  bigTableRows: 20_000,
  testProjectsPerPhase: 2,
  testsPerConnection: 3,
  liveTunnels: 5,
};

const USAGE = `Usage: npm run bench -- [--smoke] [--only=a,b,e,f-ssh,e-mysql] [--no-sqlite] [--no-postgres] [--rounds=N] [--duration=S] [--warmup=S] [--profile] [--soak=SECONDS] [--connections=N] [--target-concurrency=1..4] [--entry=path/to/main.js] [--require=path/to/hook.js]`;

/** `--name=value` and `--flag` arguments; anything else is a usage error. */
function parseArgs(argv: readonly string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument "${arg}"\n${USAGE}`);
    args.set(match[1], match[2] ?? 'true');
  }
  return args;
}

function positive(args: Map<string, string>, name: string, fallback: number): number {
  const raw = args.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number, got "${raw}"`);
  return value;
}

function scenariosFrom(raw: string | undefined): ScenarioId[] {
  if (!raw) return [...ALL_SCENARIOS];
  const ids = raw.split(',').map((id) => id.trim());
  const unknown = ids.filter((id) => !(ALL_SCENARIOS as readonly string[]).includes(id));
  if (unknown.length) throw new Error(`--only: unknown scenario ${unknown.join(', ')} (use ${ALL_SCENARIOS.join(', ')})`);
  return ids as ScenarioId[];
}

function startFlags(root: string): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  return (manifest.scripts?.start ?? '').split(/\s+/).filter((word) => word.startsWith('--'));
}

export function parseOptions(argv: readonly string[], root = process.cwd()): BenchOptions {
  const args = parseArgs(argv);
  const known = [
    'smoke',
    'only',
    'no-sqlite',
    'no-postgres',
    'rounds',
    'duration',
    'warmup',
    'entry',
    'require',
    'profile',
    'soak',
    'connections',
    'target-concurrency',
    'help',
  ];
  const unknown = [...args.keys()].filter((name) => !known.includes(name));
  if (unknown.length || args.has('help')) throw new Error(unknown.length ? `unknown option --${unknown[0]}\n${USAGE}` : USAGE);
  const smoke = args.has('smoke');
  const sizes = smoke ? SMOKE : FULL;
  if (args.has('no-sqlite') && args.has('no-postgres')) throw new Error(`--no-sqlite and --no-postgres leave nothing to run\n${USAGE}`);
  const soakSeconds = args.has('soak') ? positive(args, 'soak', 0) : undefined;
  if (soakSeconds !== undefined && (smoke || soakSeconds < 2 * SOAK_WINDOW_SECONDS))
    throw new Error(`--soak takes at least ${2 * SOAK_WINDOW_SECONDS} seconds (two windows to compare) and no --smoke`);
  return {
    ...sizes,
    smoke,
    root,
    serviceEntry: path.resolve(root, args.get('entry') ?? 'dist/apps/api/apps/api/src/main.js'),
    serviceNodeFlags: startFlags(root),
    serviceRequires: args.has('require') ? [path.resolve(root, args.get('require')!)] : [],
    connectionsPerProject: Math.max(1, Math.round(positive(args, 'connections', sizes.connectionsPerProject))),
    targetConcurrency: Math.min(4, Math.max(1, Math.round(positive(args, 'target-concurrency', 4)))),
    scenarios: scenariosFrom(args.get('only')),
    sqlite: !args.has('no-sqlite'),
    postgres: !args.has('no-postgres'),
    profile: args.has('profile'),
    soakSeconds,
    rounds: Math.max(1, Math.round(positive(args, 'rounds', sizes.rounds))),
    roundSeconds: positive(args, 'duration', sizes.roundSeconds),
    warmupSeconds: positive(args, 'warmup', sizes.warmupSeconds),
  };
}
