import type { TestError, TestErrorCode } from '../connector';
import { classifyNetworkError } from '../probes/network-errors';

/** S3 error codes (the `Code` of the XML error body, the SDK's error name) and what they mean here. */
const S3_ERROR_CODES: Record<string, TestErrorCode> = {
  InvalidAccessKeyId: 'AUTH_FAILED',
  SignatureDoesNotMatch: 'AUTH_FAILED',
  InvalidToken: 'AUTH_FAILED',
  ExpiredToken: 'AUTH_FAILED',
  TokenRefreshRequired: 'AUTH_FAILED',
  InvalidSecurity: 'AUTH_FAILED',
  AccessDenied: 'PERMISSION_DENIED',
  AllAccessDisabled: 'PERMISSION_DENIED',
  AccountProblem: 'PERMISSION_DENIED',
  Forbidden: 'PERMISSION_DENIED',
  NoSuchBucket: 'NOT_FOUND',
  NotFound: 'NOT_FOUND',
};

/** What the SDK throws for an S3 error answer (S3ServiceException), as far as classification needs. */
interface ServiceErrorShape {
  name?: unknown;
  message?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

export const stringOr = (value: unknown, fallback: string): string => (typeof value === 'string' && value !== '' ? value : fallback);
export const statusOf = (error: unknown): number | undefined => (error as ServiceErrorShape | null)?.$metadata?.httpStatusCode;

/** The S3 error code of an SDK error, if the server gave one (HEAD answers carry no body, hence often none). */
export function s3CodeOf(error: unknown): string | undefined {
  const shape = error as ServiceErrorShape | null;
  const code = typeof shape?.Code === 'string' ? shape.Code : typeof shape?.name === 'string' ? shape.name : undefined;
  // The SDK names body-less errors 'Unknown' / 'UnknownError' / the bare status.
  return code && !/^(Unknown|UnknownError|\d{3})$/.test(code) ? code : undefined;
}

/**
 * Classifies what a HeadBucket/ListObjectsV2 call threw: S3 error answers by code, then by
 * HTTP status; everything else (sockets, TLS, deadlines, the egress pin) as a network error.
 */
export function classifyS3Error(error: unknown, where: string, bucket: string, signal?: AbortSignal, region?: string): TestError {
  if (signal?.aborted) return { code: 'TIMEOUT', message: `No answer from ${where} before the deadline.` };
  const status = statusOf(error);
  if (typeof status === 'number') {
    const code = s3CodeOf(error);
    const serverMessage = stringOr((error as ServiceErrorShape).message, '');
    const said = code ? ` (${code}${serverMessage && serverMessage !== code ? `: ${serverMessage}` : ''})` : '';
    const mapped = code ? S3_ERROR_CODES[code] : undefined;
    const bucketRegion = (error as ServiceErrorShape).$response?.headers?.['x-amz-bucket-region'];
    // S3 names the bucket's region on a wrong-region answer (301, or 400 from a HEAD, which has no body).
    const wrongRegion = status === 301 || status === 400 || code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed';
    if (!mapped && wrongRegion && bucketRegion && bucketRegion !== region) {
      return { code: 'PROTOCOL_ERROR', message: `Bucket "${bucket}" is in region ${bucketRegion}; set region to ${bucketRegion}.` };
    }
    const final: TestErrorCode =
      mapped ?? (status === 401 ? 'AUTH_FAILED' : status === 403 ? 'PERMISSION_DENIED' : status === 404 ? 'NOT_FOUND' : 'PROTOCOL_ERROR');
    switch (final) {
      case 'AUTH_FAILED':
        return { code: final, message: `${where} rejected the credentials${said}.` };
      case 'PERMISSION_DENIED':
        return { code: final, message: `Access to bucket "${bucket}" was denied${said}.` };
      case 'NOT_FOUND':
        return { code: final, message: `Bucket "${bucket}" does not exist at ${where}${said}.` };
      default:
        return { code: final, message: `${where} answered HTTP ${status}${said}.` };
    }
  }
  const errno = (error as { code?: unknown } | null)?.code;
  // The SDK's HTTP handler renames a reset into a TimeoutError; it is not a deadline.
  if (errno === 'ECONNRESET' || errno === 'EPIPE')
    return { code: 'PROTOCOL_ERROR', message: `${where} closed the connection without an S3 answer.` };
  const cause = (error as { cause?: unknown } | null)?.cause;
  const classified = classifyNetworkError(error, where);
  return classified.code === 'PROTOCOL_ERROR' && cause instanceof Error ? classifyNetworkError(cause, where) : classified;
}
