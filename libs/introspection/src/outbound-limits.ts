import { Injectable } from '@nestjs/common';
import { AppError, ErrorCode, FixedWindowLimiter, rateLimited } from '@switchboard/common';

/** At most this many outbound operations run at once per project (tests, introspection). */
export const MAX_CONCURRENT_PER_PROJECT = 4;
/** Connection tests per project per minute. */
export const TESTS_PER_MINUTE = 60;

/**
 * Keeps one project from flooding targets (or this service) with outbound work. In-process:
 * each instance enforces its own share.
 */
@Injectable()
export class OutboundLimits {
  private readonly running = new Map<string, number>();
  private readonly tests = new FixedWindowLimiter(TESTS_PER_MINUTE, 60_000);

  /** Runs `work` within the project's concurrency cap; a test also spends from its rate. */
  async run<T>(projectId: string, kind: 'test' | 'introspection', work: () => Promise<T>): Promise<T> {
    if (kind === 'test') {
      const decision = this.tests.hit(projectId);
      if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds);
    }
    const current = this.running.get(projectId) ?? 0;
    if (current >= MAX_CONCURRENT_PER_PROJECT) {
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        `At most ${MAX_CONCURRENT_PER_PROJECT} outbound operations run at once per project; retry shortly.`,
        {
          headers: { 'Retry-After': '1' },
        },
      );
    }
    this.running.set(projectId, current + 1);
    try {
      return await work();
    } finally {
      const left = (this.running.get(projectId) ?? 1) - 1;
      if (left > 0) this.running.set(projectId, left);
      else this.running.delete(projectId);
    }
  }
}
