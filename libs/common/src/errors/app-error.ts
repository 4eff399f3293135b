import { ERROR_STATUS, ErrorCode } from './error-code';

export interface FieldError {
  field: string;
  message: string;
}

export interface AppErrorOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extra members of the problem body (RFC 9457 extensions, JSON values), e.g. `targetCode`; each documented on ProblemDto. */
  extensions?: Record<string, unknown>;
}

/**
 * The one error type services throw. Its `detail` is shown to the client, so it must never
 * carry a secret or an internal message; the filter maps it to problem+json.
 */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly options: AppErrorOptions = {},
  ) {
    super(detail);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (what: string): AppError => new AppError(ErrorCode.NOT_FOUND, `${what} not found.`);
export const conflict = (detail: string): AppError => new AppError(ErrorCode.CONFLICT, detail);
export const forbidden = (detail = 'You are not allowed to do this.'): AppError => new AppError(ErrorCode.FORBIDDEN, detail);
export const unauthorized = (detail = 'A valid Bearer token or API key is required.'): AppError =>
  new AppError(ErrorCode.UNAUTHORIZED, detail, { headers: { 'WWW-Authenticate': 'Bearer' } });
export const validationFailed = (errors: FieldError[]): AppError =>
  new AppError(ErrorCode.VALIDATION_FAILED, 'The request has invalid fields.', { errors });
export const rateLimited = (retryAfterSeconds: number): AppError =>
  new AppError(ErrorCode.RATE_LIMITED, `Too many requests; retry in ${retryAfterSeconds} s.`, {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
/** A dependency of the service itself (its metadata database) cannot be used just now: retry, the request was fine. */
export const serviceUnavailable = (detail: string, retryAfterSeconds: number): AppError =>
  new AppError(ErrorCode.SERVICE_UNAVAILABLE, detail, { headers: { 'Retry-After': String(retryAfterSeconds) } });
