/**
 * Failures a test plans for a protocol test server's next requests (a 429 or 503 answer, with or
 * without Retry-After), so a client's retry and back-off can be proved; each server words the body.
 */
import type http from 'node:http';

export interface PlannedFailure {
  status: number;
  retryAfterSeconds?: number;
  /** Only requests whose path starts with this fail. */
  pathPrefix: string;
}

export class InjectedFailures {
  private readonly planned: (PlannedFailure & { remaining: number })[] = [];

  add(count: number, failure: PlannedFailure): void {
    this.planned.push({ ...failure, remaining: count });
  }

  /** The failure due for a request to `path`, counted down, with its headers; undefined when none is. */
  take(path: string): { status: number; headers: http.OutgoingHttpHeaders } | undefined {
    const due = this.planned.find((failure) => failure.remaining > 0 && path.startsWith(failure.pathPrefix));
    if (!due) return undefined;
    due.remaining -= 1;
    return { status: due.status, headers: due.retryAfterSeconds === undefined ? {} : { 'retry-after': String(due.retryAfterSeconds) } };
  }
}
