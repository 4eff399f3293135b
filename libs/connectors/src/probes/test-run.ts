import { performance } from 'node:perf_hooks';
import type { StageName, TestError, TestErrorCode, TestResult, TestStage } from '../connector';
import { secretForms } from './secret-forms';

/** A stage failed: carries the coded, scrubbed error the result reports. */
export class StageFailure extends Error {
  constructor(readonly testError: TestError) {
    super(testError.message);
  }
}

const elapsed = (since: number): number => Math.round((performance.now() - since) * 10) / 10;

/**
 * Records the stages of one connection test. Each stage is timed; the first failure ends
 * the test with its code. Messages, the server version and details (all of which can carry
 * what the target sent) pass through `scrub` so no secret reaches the client.
 */
export class TestRun {
  private readonly stages: TestStage[] = [];
  private readonly started = performance.now();

  constructor(
    private readonly driver: string,
    private readonly scrub: (message: string) => string,
  ) {}

  async stage<T>(name: StageName, work: () => Promise<T>, classify: (error: unknown) => TestError): Promise<T> {
    const started = performance.now();
    try {
      const value = await work();
      this.stages.push({ name, ok: true, latencyMs: elapsed(started) });
      return value;
    } catch (error) {
      const testError = error instanceof StageFailure ? error.testError : classify(error);
      const scrubbed = { code: testError.code, message: this.scrub(testError.message) };
      this.stages.push({ name, ok: false, latencyMs: elapsed(started), error: scrubbed });
      throw new StageFailure(scrubbed);
    }
  }

  succeed(message: string, serverVersion?: string, details?: TestResult['details']): TestResult {
    return {
      success: true,
      message: this.scrub(message),
      driver: this.driver,
      latencyMs: elapsed(this.started),
      serverVersion: serverVersion === undefined ? undefined : this.scrub(serverVersion),
      stages: this.stages,
      details: this.scrubDetails(details),
    };
  }

  /** The result for whatever ended the test; unexpected errors become PROTOCOL_ERROR. */
  fail(error: unknown, details?: TestResult['details']): TestResult {
    const testError =
      error instanceof StageFailure ? error.testError : { code: 'PROTOCOL_ERROR' as TestErrorCode, message: this.scrub(messageOf(error)) };
    return {
      success: false,
      message: testError.message,
      driver: this.driver,
      latencyMs: elapsed(this.started),
      stages: this.stages,
      error: testError,
      details: this.scrubDetails(details),
    };
  }

  private scrubDetails(details: TestResult['details']): TestResult['details'] {
    if (!details) return details;
    return Object.fromEntries(
      Object.entries(details).map(([name, value]) => [name, typeof value === 'string' ? this.scrub(value) : value]),
    );
  }
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Replaces every secret value, in every form a target may echo it in (secretForms), and URL
 * userinfo in a driver message. The forms are worked out at the first message, once per
 * scrubber: every query and preview makes one, and most never have a message to scrub.
 */
export function secretScrubber(secrets: Record<string, string>): (message: string) => string {
  let values: string[] | undefined;
  return (message) => {
    values ??= [...new Set(Object.values(secrets).flatMap(secretForms))].sort((a, b) => b.length - a.length);
    let out = message.replace(/\/\/[^/\s:@]*:[^@\s]*@/g, '//***:***@');
    for (const value of values) out = out.split(value).join('***');
    return out.slice(0, 500);
  };
}
