import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { AppError, ErrorCode, LingeringSlots, RateLimits, rateLimited, Slots, WindowCounter } from '@switchboard/common';
import { OutboundMetrics } from './outbound-metrics';

/** At most this many outbound operations run at once per project (tests, introspection). */
export const MAX_CONCURRENT_PER_PROJECT = 4;
/** Connection tests per project per minute. */
export const TESTS_PER_MINUTE = 60;
/**
 * How long a slot outlives the operation's own deadline before it is given back anyway: only
 * when the instance holding it died, since a live one releases it when the work settles.
 */
const SLOT_GRACE_MS = 30_000;

/**
 * With limits shared in the database, a slot given back stays with this instance for the
 * operation that follows (bench/: two metadata round trips fewer per preview); see LingeringSlots.
 * Linger briefly (a client's next call in a loop comes within milliseconds), refuse only after
 * asking again past it, and reuse one lease for operations starting within a minute.
 */
const LINGERING = { lingerMs: 50, retryAfterMs: 100, reuseWindowMs: 60_000 };

/**
 * Keeps one project from flooding targets (or this service) with outbound work. Counted where
 * every instance sees it (RateLimits), so the limits hold for all instances together.
 */
@Injectable()
export class OutboundLimits implements OnModuleDestroy {
  private readonly running: Slots;
  private readonly lingering?: LingeringSlots;
  private readonly tests: WindowCounter;

  constructor(
    limits: RateLimits,
    private readonly metrics: OutboundMetrics,
  ) {
    const running = limits.slots('outbound-running', MAX_CONCURRENT_PER_PROJECT);
    this.lingering = limits.shared ? new LingeringSlots(running, LINGERING) : undefined;
    this.running = this.lingering ?? running;
    this.tests = limits.windows('connection-tests', TESTS_PER_MINUTE, 60_000);
  }

  /** Runs `work` within the project's concurrency cap; a test also spends from its rate. */
  async run<T>(projectId: string, kind: 'test' | 'introspection', timeoutMs: number, work: () => Promise<T>): Promise<T> {
    if (kind === 'test') {
      const decision = await this.tests.hit(projectId);
      if (!decision.allowed) {
        this.metrics.refused('rate');
        throw rateLimited(decision.retryAfterSeconds);
      }
    }
    const release = await this.running.acquire(projectId, timeoutMs + SLOT_GRACE_MS);
    if (!release) {
      this.metrics.refused('concurrency');
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        `At most ${MAX_CONCURRENT_PER_PROJECT} outbound operations run at once per project; retry shortly.`,
        {
          headers: { 'Retry-After': '1' },
        },
      );
    }
    try {
      return await work();
    } finally {
      await release();
    }
  }

  /** Lingering slots go back at shutdown: other instances should not wait for their leases to end. */
  async onModuleDestroy(): Promise<void> {
    await this.lingering?.releaseAll();
  }
}
