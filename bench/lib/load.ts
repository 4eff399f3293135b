import { performance } from 'node:perf_hooks';
import { roundStats, type RoundStats } from './stats';

/** One HTTP request as a load script builds it. */
export interface LoadRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * What one load connection sends, in a loop: each function builds its next request, so a
 * script can vary names and carry state (the name it just created, to delete it next).
 */
export type ClientScript = readonly (() => LoadRequest)[];

export interface LoadPlan {
  /** Concurrent keep-alive connections, one request in flight on each. */
  connections: number;
  /** Run for this long ... */
  seconds?: number;
  /** ... or until each connection has sent this many requests. */
  requestsPerConnection?: number;
  /** The script of connection number `slot` (0-based): scenarios use it to spread connections over projects. */
  script(slot: number): ClientScript;
}

/** Thrown when a round saw any non-2xx answer or transport error: such a measurement is worthless. */
export class LoadFailure extends Error {}

// autocannon ships no types; this is the part of its API the bench uses.
interface AutocannonRequest {
  setupRequest?: (request: Record<string, unknown>, context: Record<string, unknown>) => Record<string, unknown>;
  onResponse?: (status: number, body: string) => void;
}
interface AutocannonClient {
  setRequests(requests: AutocannonRequest[]): void;
}
interface AutocannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonInstance {
  on(event: 'response', listener: (client: AutocannonClient, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (options: Record<string, unknown>, done: (error: Error | null, result: AutocannonResult) => void) => AutocannonInstance;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

/** The first few failing answers, so a failure says what the server said (429? 500? which body?). */
class FailureSamples {
  readonly samples: string[] = [];

  record(request: LoadRequest, status: number, body: string): void {
    if (status >= 200 && status < 300) return;
    if (this.samples.length < 5) this.samples.push(`${request.method} ${request.path} -> ${status} ${body.slice(0, 300)}`);
  }
}

function toAutocannonRequests(script: ClientScript, failures: FailureSamples): AutocannonRequest[] {
  return script.map((build) => {
    let last: LoadRequest | undefined;
    return {
      setupRequest: (request) => {
        last = build();
        return { ...request, ...last, body: last.body ?? '' };
      },
      onResponse: (status, body) => failures.record(last!, status, body),
    };
  });
}

function describeFailure(label: string, result: AutocannonResult, failures: FailureSamples): string {
  const codes = Object.entries(result.statusCodeStats)
    .map(([code, { count }]) => `${code}: ${count}`)
    .join(', ');
  return (
    `${label}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts (status counts ${codes})\n  ` +
    failures.samples.join('\n  ')
  );
}

/**
 * Runs `plan` against `baseUrl` with autocannon and measures every 2xx answer's latency
 * precisely (autocannon's own histogram rounds to whole milliseconds). Any non-2xx answer,
 * connection error or timeout makes it throw.
 */
export function runLoad(
  label: string,
  baseUrl: string,
  plan: LoadPlan,
  /** Told of every 2xx answer: its latency and when it came (performance.now()); the soak windows them. */
  onAnswer?: (latencyMs: number, at: number) => void,
): Promise<RoundStats> {
  const failures = new FailureSamples();
  const latencies: number[] = [];
  let slot = 0;
  const started = performance.now();
  // The rate is over the time to the last answer: autocannon itself only notices the end at its next sampling tick.
  let lastAnswer = started;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: baseUrl,
        connections: plan.connections,
        pipelining: 1,
        timeout: 30,
        // Its per-second histograms are unused here; a short tick ends each run promptly.
        sampleInt: 100,
        ...(plan.requestsPerConnection ? { maxConnectionRequests: plan.requestsPerConnection } : { duration: plan.seconds ?? 1 }),
        setupClient: (client: AutocannonClient) => client.setRequests(toAutocannonRequests(plan.script(slot++), failures)),
      },
      (error, result) => {
        const seconds = (lastAnswer - started) / 1000;
        if (error) return reject(error);
        if (result.non2xx || result.errors || result.timeouts) return reject(new LoadFailure(describeFailure(label, result, failures)));
        if (latencies.length === 0) return reject(new LoadFailure(`${label}: no request completed`));
        resolve(roundStats(latencies, seconds));
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      lastAnswer = performance.now();
      if (status < 200 || status >= 300) return;
      latencies.push(ms);
      onAnswer?.(ms, lastAnswer);
    });
  });
}
