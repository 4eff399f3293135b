import os from 'node:os';
import { LoadFailure, runLoad, type LoadPlan } from './load';
import { type ProcessWindows, type SoakSide, soakSide } from './soak';
import type { Figures } from './targets';
import { cpuMs, rssMiB, RssSampler, runNodeScript } from './processes';
import { median, roundStats, type RoundStats } from './stats';

/** Warm-up is phase 0; timed rounds are 1..rounds. */
export type Phase = number;

export interface RoundOutcome {
  stats: RoundStats;
  /** RSS of the process doing the work: before the round, its peak during it, and at its end (MiB). */
  rss: { idleMiB?: number; peakMiB: number; endMiB: number };
  /**
   * CPU time the server process spent per answer in the round (ms, user + system): what each side
   * costs, nearly free of the machine's noise, which moves req/s and latency far more.
   */
  cpuMsPerRequest?: number;
}

/** One side of a comparison: the service, or one of its baselines. */
export interface Contender {
  label: string;
  /** RSS of its process at rest, in MiB (undefined for a process started per round). */
  idleRss(): number | undefined;
  /** One pass through its script before measuring, each answer checked 2xx: the first body. */
  probe?(): Promise<string>;
  run(phase: Phase): Promise<RoundOutcome>;
  /** `--soak`: the timed rounds' load without a break for `seconds`, in windows (HTTP contenders only). */
  soak?(seconds: number, processWindows?: ProcessWindows): Promise<SoakSide>;
}

/** Sends `plan`'s first script once, in order (e.g. create then delete), failing on any non-2xx. */
async function probeOnce(label: string, baseUrl: string, plan: LoadPlan): Promise<string> {
  let firstBody: string | undefined;
  for (const build of plan.script(0)) {
    const request = build();
    const response = await fetch(baseUrl + request.path, { method: request.method, headers: request.headers, body: request.body });
    const body = await response.text();
    if (!response.ok) throw new LoadFailure(`${label}: ${request.method} ${request.path} -> ${response.status} ${body.slice(0, 300)}`);
    firstBody ??= body;
  }
  return firstBody ?? '';
}

/** The parts of a preview or query answer that are the rows: what the service and its baselines must agree on. */
function rowsOf(body: string): { columns: unknown; rows: unknown[]; truncated: unknown } {
  const { columns, rows, truncated } = JSON.parse(body) as { columns: unknown; rows: unknown[]; truncated: unknown };
  return { columns, rows, truncated };
}

const differs = (part: unknown, theirs: unknown): boolean => JSON.stringify(part) !== JSON.stringify(theirs);

/**
 * Fails the run unless every contender's probe answered the first one's columns, rows and
 * truncation, cell for cell: a baseline that answers less (say, timestamps as the server wrote
 * them where the service converts them) does less work, and its ratio says nothing.
 */
export function assertSameRows(probes: ReadonlyMap<string, string>): void {
  const [[first, body], ...others] = [...probes];
  const expected = rowsOf(body);
  for (const [label, other] of others) {
    const actual = rowsOf(other);
    if (differs(expected.columns, actual.columns) || differs(expected.truncated, actual.truncated)) {
      throw new LoadFailure(
        `${label} answered other columns than ${first}: ${JSON.stringify(actual.columns)} (truncated ${String(actual.truncated)})`,
      );
    }
    const row = expected.rows.findIndex((cells, index) => differs(cells, actual.rows[index]));
    if (row >= 0 || expected.rows.length !== actual.rows.length) {
      const at = row >= 0 ? row : Math.min(expected.rows.length, actual.rows.length);
      throw new LoadFailure(
        `${label} answered other rows than ${first} (${actual.rows.length} against ${expected.rows.length}); ` +
          `row ${at}: ${JSON.stringify(actual.rows[at])} against ${JSON.stringify(expected.rows[at])}`,
      );
    }
  }
}

/** A contender that is an HTTP server loaded by autocannon; `plan(phase)` may change with the phase (d). */
export function httpContender(label: string, server: { pid: number; baseUrl: string }, plan: (phase: Phase) => LoadPlan): Contender {
  return {
    label,
    idleRss: () => rssMiB(server.pid),
    probe: () => probeOnce(label, server.baseUrl, plan(0)),
    async run(phase) {
      const idleMiB = rssMiB(server.pid);
      const cpuBefore = cpuMs(server.pid);
      const sampler = new RssSampler(server.pid);
      const stats = await runLoad(`${label} (phase ${phase})`, server.baseUrl, plan(phase)).finally(() => sampler.stop());
      const cpuAfter = cpuMs(server.pid);
      const cpuMsPerRequest =
        cpuBefore === undefined || cpuAfter === undefined || stats.requests === 0 ? undefined : (cpuAfter - cpuBefore) / stats.requests;
      return { stats, rss: { idleMiB, ...sampler.stop() }, cpuMsPerRequest };
    },
    soak: (seconds, processWindows) => soakSide(label, server, plan(1), seconds, processWindows),
  };
}

/** The direct pg loop of (e)-(g): a child process per round, whose RSS is sampled while it runs. */
export function directContender(label: string, entry: string, plan: (phase: Phase) => object): Contender {
  return {
    label,
    idleRss: () => undefined,
    async run(phase) {
      let sampler: RssSampler | undefined;
      const { stdout } = await runNodeScript(entry, [JSON.stringify(plan(phase))], (pid) => (sampler = new RssSampler(pid))).finally(() =>
        sampler?.stop(),
      );
      const measured = JSON.parse(stdout.trim().split('\n').pop()!) as { latenciesMs: number[]; seconds: number };
      // The process has exited: its peak is what was seen while it ran.
      const { peakMiB } = sampler!.stop();
      return { stats: roundStats(measured.latenciesMs, measured.seconds), rss: { peakMiB, endMiB: peakMiB } };
    },
  };
}

export interface ContenderSummary {
  label: string;
  rounds: RoundStats[];
  medianReqPerSec: number;
  medianP50Ms: number;
  medianP99Ms: number;
  /** RSS at the end of the last round (MiB). */
  rssMiB: number;
  /** RSS before the scenario started (the "idle" of (f)/(g)), and the highest seen during it, warm-up included (MiB). */
  idleRssMiB?: number;
  peakRssMiB: number;
  /** Size of one answer's body (bytes): both sides should send about the same. */
  bodyBytes?: number;
  /** Median over the rounds of the server's CPU ms per answer (HTTP contenders). */
  medianCpuMsPerRequest?: number;
}

/** A contender's medians as targets check them. */
export const figuresOf = (summary: ContenderSummary): Figures => ({
  reqPerSec: summary.medianReqPerSec,
  p50Ms: summary.medianP50Ms,
  p99Ms: summary.medianP99Ms,
  rssGrowthMiB: summary.idleRssMiB === undefined ? undefined : summary.peakRssMiB - summary.idleRssMiB,
});

/** The figures of a scenario's other contenders, by label. */
export const othersOf = (summaries: readonly ContenderSummary[]): Map<string, Figures> =>
  new Map(summaries.map((summary) => [summary.label, figuresOf(summary)]));

function summarise(
  label: string,
  idleRssMiB: number | undefined,
  warmUp: RoundOutcome[],
  timed: RoundOutcome[],
): Omit<ContenderSummary, 'bodyBytes'> {
  const rounds = timed.map((outcome) => outcome.stats);
  const cpu = timed.map((outcome) => outcome.cpuMsPerRequest).filter((value) => value !== undefined);
  return {
    label,
    rounds,
    medianReqPerSec: median(rounds.map((round) => round.reqPerSec)),
    medianP50Ms: median(rounds.map((round) => round.p50Ms)),
    medianP99Ms: median(rounds.map((round) => round.p99Ms)),
    rssMiB: timed[timed.length - 1].rss.endMiB,
    idleRssMiB,
    peakRssMiB: Math.max(...[...warmUp, ...timed].map((outcome) => outcome.rss.peakMiB)),
    medianCpuMsPerRequest: cpu.length === timed.length ? median(cpu) : undefined,
  };
}

function logRound(log: (line: string) => void, round: number, label: string, { stats, cpuMsPerRequest }: RoundOutcome): void {
  const cpu = cpuMsPerRequest === undefined ? '' : `  CPU ${cpuMsPerRequest.toFixed(3)} ms/req`;
  log(
    `    round ${round} ${label.padEnd(16)} ${stats.reqPerSec.toFixed(0).padStart(7)} req/s  p50 ${stats.p50Ms.toFixed(2)} ms  ` +
      `p99 ${stats.p99Ms.toFixed(2)} ms${cpu}  (${stats.requests} requests, load ${os.loadavg()[0].toFixed(2)})`,
  );
}

/**
 * A probe of each side (2xx, body size; with `sameRows`, the same rows as the first side), a
 * warm-up (phase 0, unless `warmup` is false), then `rounds` timed rounds in which the
 * contenders take turns, the order reversed every other round (ABBA) so a machine that slows
 * down or speeds up during the run favours no side.
 * `settle`, when given, runs before every warm-up and round: no side starts on another's leftovers.
 */
export async function alternate(
  contenders: readonly Contender[],
  options: { rounds: number; warmup: boolean; log: (line: string) => void; settle?: () => Promise<void>; sameRows?: boolean },
): Promise<ContenderSummary[]> {
  const run = async (contender: Contender, phase: Phase): Promise<RoundOutcome> => {
    await options.settle?.();
    return contender.run(phase);
  };
  const idle = new Map(contenders.map((contender) => [contender.label, contender.idleRss()]));
  const probes = new Map<string, string>();
  for (const contender of contenders) if (contender.probe) probes.set(contender.label, await contender.probe());
  if (options.sameRows) assertSameRows(probes);
  const warmUps = new Map<string, RoundOutcome[]>(contenders.map((contender) => [contender.label, []]));
  if (options.warmup) for (const contender of contenders) warmUps.get(contender.label)!.push(await run(contender, 0));
  const timed = new Map<string, RoundOutcome[]>(contenders.map((contender) => [contender.label, []]));
  for (let round = 1; round <= options.rounds; round++) {
    const order = round % 2 === 1 ? contenders : [...contenders].reverse();
    for (const contender of order) {
      const outcome = await run(contender, round);
      timed.get(contender.label)!.push(outcome);
      logRound(options.log, round, contender.label, outcome);
    }
  }
  return contenders.map((contender) => ({
    ...summarise(contender.label, idle.get(contender.label), warmUps.get(contender.label)!, timed.get(contender.label)!),
    bodyBytes: probes.has(contender.label) ? Buffer.byteLength(probes.get(contender.label)!) : undefined,
  }));
}
