/** The `q` quantile (0..1) of `values`, nearest-rank on a sorted copy; 0 for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** What one side did in one timed round. */
export interface RoundStats {
  requests: number;
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** Request rate and latency percentiles from raw latencies (ms) measured over `seconds`. */
export function roundStats(latenciesMs: readonly number[], seconds: number): RoundStats {
  return {
    requests: latenciesMs.length,
    seconds,
    reqPerSec: seconds > 0 ? latenciesMs.length / seconds : 0,
    p50Ms: quantile(latenciesMs, 0.5),
    p99Ms: quantile(latenciesMs, 0.99),
  };
}
