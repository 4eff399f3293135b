/**
 * The direct baseline of (e)-(g): the same catalog / preview / query SQL sent with the driver
 * from a plain Node loop, no HTTP: pg (introspection.ts) for the PostgreSQL target, mysql2
 * (introspection-mysql.ts) for the MariaDB one. `concurrency` loops, each on its own session
 * (connected before the timing), run for `warmupSeconds` unmeasured, then `seconds` measured.
 *
 *   node direct.js '<json: {driver, target, work, concurrency, seconds, warmupSeconds}>'
 *
 * Prints one JSON line: {latenciesMs: [...], seconds}. Its own process, so the bench can
 * sample its RSS like a server's; only the driver it uses is loaded.
 */
import { performance } from 'node:perf_hooks';
import type { TargetWork } from './introspection';

/** One connected session of the loop, doing one unit of work at a time. */
export interface DirectSession {
  /** One unit of (e), (f) or (g); resolves once its result is in hand (what a latency covers). */
  run(work: TargetWork): Promise<unknown>;
  /** Resolves once the session can take the next unit (the MySQL reset the service does after answering). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export type DirectDriver = 'pg' | 'mysql';

interface DirectPlan {
  driver?: DirectDriver;
  target: { host: string; port: number; database: string; username: string; password: string };
  work: TargetWork;
  concurrency: number;
  seconds: number;
  warmupSeconds: number;
}

type OpenSessions = (target: DirectPlan['target'], count: number, work: TargetWork) => Promise<DirectSession[]>;
/* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand: one driver per process, so its RSS is that driver's alone */
const DRIVERS: Record<DirectDriver, () => OpenSessions> = {
  pg: () => (require('./introspection') as typeof import('./introspection')).openDirectSessions,
  mysql: () => (require('./introspection-mysql') as typeof import('./introspection-mysql')).openDirectSessions,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** At least once, then until `until` (a slow machine still yields a measurement). */
async function loop(session: DirectSession, work: TargetWork, until: number, latencies?: number[]): Promise<void> {
  do {
    await session.ready();
    const started = performance.now();
    await session.run(work);
    latencies?.push(performance.now() - started);
  } while (performance.now() < until);
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2]) as DirectPlan;
  const sessions = await DRIVERS[plan.driver ?? 'pg']()(plan.target, plan.concurrency, plan.work);
  const warmUntil = performance.now() + plan.warmupSeconds * 1000;
  await Promise.all(sessions.map((session) => loop(session, plan.work, warmUntil)));
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + plan.seconds * 1000;
  await Promise.all(sessions.map((session) => loop(session, plan.work, until, latencies)));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(sessions.map((session) => session.close()));
  process.stdout.write(JSON.stringify({ latenciesMs: latencies, seconds }) + '\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
