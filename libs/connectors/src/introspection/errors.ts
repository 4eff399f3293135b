import { AppError, ErrorCode, validationFailed } from '@switchboard/common';
import type { TestError } from '../connector';

/**
 * How introspection failures reach the client. Messages must already be scrubbed (see
 * secretScrubber): they are shown as the problem's detail.
 */

/** The target could not be used (unreachable, TLS, authentication...); `targetCode` is the test code. */
export function targetFailed(error: TestError): AppError {
  if (error.code === 'TIMEOUT') return new AppError(ErrorCode.TARGET_TIMEOUT, error.message);
  return new AppError(ErrorCode.TARGET_UNAVAILABLE, error.message, { extensions: { targetCode: error.code } });
}

export const targetTimeout = (where: string): AppError =>
  new AppError(ErrorCode.TARGET_TIMEOUT, `No answer from ${where} before the deadline.`);

/** A query that would write, or that the engine refused because the transaction is read-only. */
export const readOnlyViolation = (detail: string): AppError => new AppError(ErrorCode.READ_ONLY_VIOLATION, detail);

/** The engine rejected the statement (syntax, unknown column, statement timeout...): its scrubbed message. */
export const queryFailed = (detail: string): AppError => new AppError(ErrorCode.QUERY_FAILED, detail);

/** An input that can never name anything, e.g. a schema name with a NUL or of 300 characters. */
export const invalidInput = (field: string, message: string): AppError => validationFailed([{ field, message }]);
