import type { TestError } from '../connector';

/** An error answer (or an unusable one) of a REST API, as a coded test error; NOT_FOUND ones are answered as 404s. */
export class RestApiFailure extends Error {
  constructor(
    readonly testError: TestError,
    readonly status?: number,
    readonly retryAfter?: number,
    /** What a 404 says is missing, when the request itself knows better than the operation. */
    readonly missing?: string,
  ) {
    super(testError.message);
  }
}

export const protocolError = (message: string): RestApiFailure => new RestApiFailure({ code: 'PROTOCOL_ERROR', message });
