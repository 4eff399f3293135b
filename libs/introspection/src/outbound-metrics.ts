import { Injectable } from '@nestjs/common';
import { AppError, Metrics } from '@switchboard/common';
import { SessionCache, StageFailure } from '@switchboard/connectors';
import { Counter, Gauge, Histogram } from 'prom-client';

/** What an outbound operation is, for its labels: a connection type and an operation, never a name. */
export interface OperationLabels {
  type: string;
  operation: string;
}

export type RefusalReason = 'concurrency' | 'rate';

/**
 * How an operation ended, from a bounded set: `ok`, a failed test's code (`auth_failed`…),
 * an API error code (`target_timeout`…), or `error` for anything else.
 */
export function outcomeOf(settled: { value: unknown } | { error: unknown }): string {
  if ('value' in settled) {
    // A connection test that failed resolves (success: false, with a stable code) rather than throwing.
    const result = settled.value as { success?: unknown; error?: { code?: unknown } } | null;
    const code = result !== null && typeof result === 'object' && result.success === false ? result.error?.code : undefined;
    return typeof code === 'string' ? code.toLowerCase() : 'ok';
  }
  const { error } = settled;
  if (error instanceof AppError) return error.code.toLowerCase();
  if (error instanceof StageFailure) return error.testError.code.toLowerCase();
  return 'error';
}

/** Connector operations, the refusals of the per-project limits, and the live sessions. */
@Injectable()
export class OutboundMetrics {
  private readonly operations: Counter<'type' | 'operation' | 'outcome'>;
  private readonly durations: Histogram<'type' | 'operation' | 'outcome'>;
  private readonly refusals: Counter<'reason'>;

  constructor(metrics: Metrics, sessions: SessionCache) {
    const registers = [metrics.registry];
    const labelNames = ['type', 'operation', 'outcome'] as const;
    this.operations = new Counter({
      name: 'switchboard_connector_operations_total',
      help: 'Outbound connector operations (tests, introspection, test email) by connection type, operation and outcome.',
      labelNames,
      registers,
    });
    this.durations = new Histogram({
      name: 'switchboard_connector_operation_duration_seconds',
      help: 'Time an outbound connector operation took, limits included, by connection type, operation and outcome.',
      labelNames,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.refusals = new Counter({
      name: 'switchboard_outbound_refusals_total',
      help: "Outbound operations refused by a project's limits: concurrency (running at once) or rate (tests per minute).",
      labelNames: ['reason'],
      registers,
    });
    for (const reason of ['concurrency', 'rate'] as const) this.refusals.inc({ reason }, 0);
    new Gauge({
      name: 'switchboard_session_cache_sessions',
      help: 'Live connector sessions (pools, SSH links, clients) kept for reuse.',
      registers,
      collect() {
        this.set(sessions.size);
      },
    });
    new Gauge({
      name: 'switchboard_connector_pool_connections',
      help: 'Connections in the pools of cached sessions, by connection type and state (total, idle, waiting requests).',
      labelNames: ['type', 'state'],
      registers,
      collect() {
        this.reset();
        for (const [type, stats] of sessions.poolStats()) {
          this.set({ type, state: 'total' }, stats.total);
          this.set({ type, state: 'idle' }, stats.idle);
          this.set({ type, state: 'waiting' }, stats.waiting);
        }
      },
    });
  }

  /** Runs `work`, counting it and timing it by how it ended. */
  async measure<T>(labels: OperationLabels, work: () => Promise<T>): Promise<T> {
    const end = this.durations.startTimer();
    let outcome = 'error';
    try {
      const value = await work();
      outcome = outcomeOf({ value });
      return value;
    } catch (error) {
      outcome = outcomeOf({ error });
      throw error;
    } finally {
      const all = { type: labels.type, operation: labels.operation, outcome };
      end(all);
      this.operations.inc(all);
    }
  }

  refused(reason: RefusalReason): void {
    this.refusals.inc({ reason });
  }
}
