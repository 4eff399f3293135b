/**
 * The direct baseline of (e)-(g): the same catalog / preview / query SQL sent with pg from a
 * plain Node loop, no HTTP. `concurrency` loops, each on its own connected client (a cached
 * session), run for `warmupSeconds` unmeasured, then `seconds` measured.
 *
 *   node direct.js '<json: {target, work, concurrency, seconds, warmupSeconds}>'
 *
 * Prints one JSON line: {latenciesMs: [...], seconds}. Its own process, so the bench can
 * sample its RSS like a server's.
 */
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { doTargetWork, targetClientConfig, type TargetWork } from './introspection';

interface DirectPlan {
  target: { host: string; port: number; database: string; username: string; password: string };
  work: TargetWork;
  concurrency: number;
  seconds: number;
  warmupSeconds: number;
}

/** At least once, then until `until` (a slow machine still yields a measurement). */
async function loop(client: Client, work: TargetWork, until: number, latencies?: number[]): Promise<void> {
  do {
    const started = performance.now();
    await doTargetWork(client, work);
    latencies?.push(performance.now() - started);
  } while (performance.now() < until);
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2]) as DirectPlan;
  const clients = await Promise.all(
    Array.from({ length: plan.concurrency }, async () => {
      const client = new Client(targetClientConfig(plan.target));
      await client.connect();
      return client;
    }),
  );
  const warmUntil = performance.now() + plan.warmupSeconds * 1000;
  await Promise.all(clients.map((client) => loop(client, plan.work, warmUntil)));
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + plan.seconds * 1000;
  await Promise.all(clients.map((client) => loop(client, plan.work, until, latencies)));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(clients.map((client) => client.end()));
  process.stdout.write(JSON.stringify({ latenciesMs: latencies, seconds }) + '\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
