/**
 * `--soak=SECONDS` (issue 19): one scenario at a time, the service alone under its load for the
 * whole time, then the baseline alone, cut into 10 s windows. Ten-second rounds cannot tell a
 * slow decline from noise; windows of one long run can. For the service, each window also
 * carries what its process went through (heap, GC pauses, event-loop delay: see profiler-hook.ts),
 * and the soak ends with the metadata tables the scenario wrote to, before and after.
 */
import { performance } from 'node:perf_hooks';
import { runLoad, type LoadPlan } from './load';
import type { ServerProcess } from './processes';
import { median, quantile } from './stats';

export const SOAK_WINDOW_SECONDS = 10;
/** A soak whose last window is this much below its first fails the run (issue 19). */
export const SOAK_MAX_DECLINE = 0.1;

/** What the service's process did in one window, from the hook preloaded into it. */
export interface ProcessWindow {
  /** Heap used right after the window's last full (mark-compact) GC; absent when none ran. */
  heapAfterMajorGcMiB?: number;
  heapTotalMiB: number;
  rssMiB: number;
  gc: { minor: number; major: number; pauseMs: number; maxPauseMs: number };
  eventLoopDelay: { p50Ms: number; p99Ms: number; maxMs: number };
}

export interface SoakWindow {
  /** Seconds since the soak began, at the window's start. */
  fromSecond: number;
  requests: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  process?: ProcessWindow;
  /** What the PostgreSQL servers did meanwhile (autovacuum, checkpoints; database-activity.ts); empty: nothing. */
  databases?: string;
}

export interface SoakSide {
  label: string;
  seconds: number;
  windows: SoakWindow[];
  /** last window's req/s / first window's, minus 1: -0.12 is a 12% decline. */
  change: number;
  flat: boolean;
  /**
   * What one window against another cannot tell apart from noise (10 s windows of this machine
   * swing ±10% on both sides): the last minute's median req/s against the first minute's, minus 1,
   * and the least-squares slope of req/s over the whole soak, in % of its mean per minute.
   */
  trend: { lastMinuteVsFirst: number; slopePerMinute: number };
  /** The service only: the heap after a forced full GC once the load stopped (MiB): what it retains. */
  retainedHeapMiB?: number;
}

/** Rows and bytes of one metadata table (bytes: table, indexes and TOAST on PostgreSQL; pages on SQLite). */
export interface TableSize {
  table: string;
  rows: number;
  bytes: number;
}

/** The service's end of the hook: a window's figures on request, observed only while a soak runs. */
export class ProcessWindows {
  constructor(private readonly service: ServerProcess) {}

  async start(): Promise<void> {
    const answer = await this.service.ask({ soak: 'start' });
    if (!answer.soaking) throw new Error(`the service did not start its soak figures: ${JSON.stringify(answer)}`);
  }

  /** The window since the last call (or start), and a new one begun. */
  async next(): Promise<ProcessWindow> {
    const answer = await this.service.ask({ soak: 'window' });
    if (!answer.window) throw new Error(`the service sent no soak window: ${JSON.stringify(answer)}`);
    return answer.window as ProcessWindow;
  }

  /** Stops observing; answers the heap used after a forced full GC (MiB). */
  async stop(): Promise<number> {
    const answer = await this.service.ask({ soak: 'stop' });
    return Number(answer.retainedHeapMiB);
  }
}

/** Answers sorted into windows by when they came. */
class Windows {
  private readonly latencies: number[][] = [];

  constructor(
    private readonly started: number,
    private readonly count: number,
  ) {
    for (let index = 0; index < count; index++) this.latencies.push([]);
  }

  add(latencyMs: number, at: number): void {
    // Answers after the last boundary (the load's own tail) count in the last window.
    const index = Math.min(this.count - 1, Math.floor((at - this.started) / 1000 / SOAK_WINDOW_SECONDS));
    this.latencies[index].push(latencyMs);
  }

  stats(): Omit<SoakWindow, 'process'>[] {
    return this.latencies.map((latencies, index) => ({
      fromSecond: index * SOAK_WINDOW_SECONDS,
      requests: latencies.length,
      reqPerSec: latencies.length / SOAK_WINDOW_SECONDS,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
    }));
  }
}

/**
 * Loads `server` with `plan` for `seconds` without a break (whole windows: seconds is rounded
 * down to a multiple of 10), windowing every answer; with `processWindows`, asks the process
 * for its figures at each window's end.
 */
export async function soakSide(
  label: string,
  server: { baseUrl: string },
  plan: LoadPlan,
  seconds: number,
  processWindows?: ProcessWindows,
): Promise<SoakSide> {
  const count = Math.max(2, Math.floor(seconds / SOAK_WINDOW_SECONDS));
  const started = performance.now();
  const windows = new Windows(started, count);
  const processFigures: Promise<ProcessWindow>[] = [];
  await processWindows?.start();
  // Asked at each boundary, while the load goes on; the last one once the load has stopped.
  const timer = processWindows
    ? setInterval(() => {
        if (processFigures.length < count - 1) processFigures.push(processWindows.next());
      }, SOAK_WINDOW_SECONDS * 1000)
    : undefined;
  try {
    await runLoad(
      `${label} (soak)`,
      server.baseUrl,
      { ...plan, seconds: count * SOAK_WINDOW_SECONDS, requestsPerConnection: undefined },
      (ms, at) => windows.add(ms, at),
    );
  } finally {
    clearInterval(timer);
  }
  let retainedHeapMiB: number | undefined;
  if (processWindows) {
    while (processFigures.length < count) processFigures.push(processWindows.next());
    retainedHeapMiB = await processWindows.stop();
  }
  const figures = await Promise.all(processFigures);
  const result = windows.stats().map((window, index) => ({ ...window, process: figures[index] }));
  const change = result[result.length - 1].reqPerSec / result[0].reqPerSec - 1;
  return {
    label,
    seconds: count * SOAK_WINDOW_SECONDS,
    windows: result,
    change,
    flat: change >= -SOAK_MAX_DECLINE,
    trend: trendOf(result.map((window) => window.reqPerSec)),
    retainedHeapMiB,
  };
}

/** SoakSide.trend of req/s per 10 s window. */
export function trendOf(rates: readonly number[]): SoakSide['trend'] {
  const perMinute = Math.max(1, Math.min(Math.floor(rates.length / 2), 60 / SOAK_WINDOW_SECONDS));
  const lastMinuteVsFirst = median(rates.slice(-perMinute)) / median(rates.slice(0, perMinute)) - 1;
  const mean = rates.reduce((sum, rate) => sum + rate, 0) / rates.length;
  const middle = (rates.length - 1) / 2;
  let covariance = 0;
  let variance = 0;
  rates.forEach((rate, index) => {
    covariance += (index - middle) * (rate - mean);
    variance += (index - middle) ** 2;
  });
  const slopePerWindow = variance > 0 ? covariance / variance : 0;
  return { lastMinuteVsFirst, slopePerMinute: (slopePerWindow * (60 / SOAK_WINDOW_SECONDS)) / mean };
}

/** The tables whose rows or bytes changed between two readings, with both. */
export function changedTables(before: TableSize[], after: TableSize[]): { table: string; before?: TableSize; after: TableSize }[] {
  const earlier = new Map(before.map((size) => [size.table, size]));
  return after
    .filter((size) => {
      const old = earlier.get(size.table);
      return !old || old.rows !== size.rows || old.bytes !== size.bytes;
    })
    .map((size) => ({ table: size.table, before: earlier.get(size.table), after: size }));
}
