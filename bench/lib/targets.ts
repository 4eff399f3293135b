/**
 * The targets the bench reports (never enforces): issue 6 §4's, and issue 19's ratios to the full
 * baselines. Data rather than functions, so `bench/combine.ts` can check them again on the medians
 * of several runs.
 */

/** One bound on the service's figures: absolute, or as a ratio to a named contender of the scenario. */
export type Bound =
  | { measure: 'reqPerSec'; versus: string; atLeast: number }
  | { measure: 'p50'; versus: string; atMost: number }
  | { measure: 'p99Ms'; atMost: number }
  | { measure: 'rssGrowthMiB'; atMost: number };

export interface Target {
  /** Where it was set: "issue 6", "issue 19". */
  source: string;
  bounds: Bound[];
}

/** What a bound is checked on: a contender's medians (of rounds, or of runs). */
export interface Figures {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** The service's peak RSS during the scenario minus its RSS just before it. */
  rssGrowthMiB?: number;
}

export function describeBound(bound: Bound): string {
  switch (bound.measure) {
    case 'reqPerSec':
      return `>= ${bound.atLeast} x ${bound.versus} req/s`;
    case 'p50':
      return `p50 <= ${bound.atMost} x ${bound.versus}`;
    case 'p99Ms':
      return `p99 <= ${bound.atMost} ms`;
    case 'rssGrowthMiB':
      return `peak RSS <= idle + ${bound.atMost} MiB`;
  }
}

export const describeTarget = (target: Target): string => `${target.source}: ${target.bounds.map(describeBound).join(', ')}`;

/** Whether `service` meets `bound`; `others` are the scenario's other contenders by label. */
export function boundMet(bound: Bound, service: Figures, others: ReadonlyMap<string, Figures>): boolean {
  switch (bound.measure) {
    case 'reqPerSec': {
      const versus = others.get(bound.versus);
      return versus !== undefined && service.reqPerSec >= bound.atLeast * versus.reqPerSec;
    }
    case 'p50': {
      const versus = others.get(bound.versus);
      return versus !== undefined && service.p50Ms <= bound.atMost * versus.p50Ms;
    }
    case 'p99Ms':
      return service.p99Ms <= bound.atMost;
    case 'rssGrowthMiB':
      return service.rssGrowthMiB !== undefined && service.rssGrowthMiB <= bound.atMost;
  }
}

export const targetMet = (target: Target, service: Figures, others: ReadonlyMap<string, Figures>): boolean =>
  target.bounds.every((bound) => boundMet(bound, service, others));
