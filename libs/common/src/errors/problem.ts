import { HttpException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AppError, FieldError } from './app-error';
import { ERROR_STATUS, ERROR_TITLE, ErrorCode } from './error-code';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export class FieldErrorDto implements FieldError {
  @ApiProperty({ example: 'email' }) field: string;
  @ApiProperty({ example: 'email must be an email' }) message: string;
}

/** A consumer of a connection, as a delete conflict names it (the usage's consumer and description). */
export class ConsumerRefDto {
  @ApiProperty({ example: 'airflow:nightly_load' }) consumer: string;
  @ApiProperty({ example: 'Nightly load into the warehouse', nullable: true, type: String }) description: string | null;
}

/** RFC 9457 problem details, the body of every error response. */
export class ProblemDto {
  @ApiProperty({ example: 'urn:switchboard:problem:validation-failed' }) type: string;
  @ApiProperty({ example: 'Validation failed' }) title: string;
  @ApiProperty({ example: 400 }) status: number;
  @ApiProperty({ example: 'The request has invalid fields.' }) detail: string;
  @ApiProperty({ example: 'VALIDATION_FAILED' }) code: string;
  @ApiPropertyOptional({ type: [FieldErrorDto] }) errors?: FieldErrorDto[];
  @ApiPropertyOptional({
    example: 'AUTH_FAILED',
    description: 'TARGET_UNAVAILABLE only: why the target could not be used (the codes of a connection test).',
  })
  targetCode?: string;
  @ApiPropertyOptional({
    type: [ConsumerRefDto],
    description: 'CONFLICT on deleting a connection only: the consumers registered as using it (its usages).',
  })
  consumers?: ConsumerRefDto[];
  @ApiProperty({ example: '0193a5b2-5a8e-7c1f-9d2e-3b4c5d6e7f80' }) requestId: string;
}

export interface Problem {
  body: ProblemDto;
  headers: Record<string, string>;
}

const typeUri = (code: string): string => `urn:switchboard:problem:${code.toLowerCase().replace(/_/g, '-')}`;

function build(
  code: ErrorCode,
  detail: string,
  requestId: string,
  errors?: FieldError[],
  extensions?: Record<string, unknown>,
): ProblemDto {
  const body: ProblemDto = {
    ...extensions,
    type: typeUri(code),
    title: ERROR_TITLE[code],
    status: ERROR_STATUS[code],
    detail,
    code,
    requestId,
  };
  if (errors?.length) body.errors = errors;
  return body;
}

const HTTP_STATUS_CODES: Record<number, ErrorCode> = {
  400: ErrorCode.MALFORMED_REQUEST,
  401: ErrorCode.UNAUTHORIZED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.METHOD_NOT_ALLOWED,
  409: ErrorCode.CONFLICT,
  412: ErrorCode.PRECONDITION_FAILED,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  414: ErrorCode.URI_TOO_LONG,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  422: ErrorCode.UNPROCESSABLE,
  429: ErrorCode.RATE_LIMITED,
  503: ErrorCode.SERVICE_UNAVAILABLE,
};

/** Client-facing wording for the framework's own errors (Fastify's texts name internals). */
const FRAMEWORK_DETAIL: Partial<Record<ErrorCode, string>> = {
  MALFORMED_REQUEST: 'The request body or parameters could not be parsed.',
  NOT_FOUND: 'No such route.',
  METHOD_NOT_ALLOWED: 'This method is not allowed here.',
  PAYLOAD_TOO_LARGE: 'The request body is too large.',
  URI_TOO_LONG: 'A path segment or the URL is too long.',
  UNSUPPORTED_MEDIA_TYPE: 'Send the body as application/json.',
};

/**
 * Maps anything thrown while serving a request to problem details. Unknown errors become a
 * generic 500: their messages may carry internals and are logged, never returned.
 */
export function toProblem(error: unknown, requestId: string): Problem & { internal: boolean } {
  if (error instanceof AppError) {
    return {
      body: build(error.code, error.detail, requestId, error.options.errors, error.options.extensions),
      headers: error.options.headers ?? {},
      internal: false,
    };
  }
  const status = statusOf(error);
  const code = status !== undefined ? HTTP_STATUS_CODES[status] : undefined;
  if (code) {
    const detail =
      error instanceof HttpException && code !== ErrorCode.NOT_FOUND && code !== ErrorCode.MALFORMED_REQUEST
        ? ERROR_TITLE[code] + '.'
        : (FRAMEWORK_DETAIL[code] ?? ERROR_TITLE[code] + '.');
    return { body: build(code, detail, requestId), headers: {}, internal: false };
  }
  return {
    body: build(ErrorCode.INTERNAL_ERROR, 'Something went wrong on our side; quote the requestId when reporting it.', requestId),
    headers: {},
    internal: true,
  };
}

function statusOf(error: unknown): number | undefined {
  if (error instanceof HttpException) return error.getStatus();
  // Fastify's own errors (body parsing, limits) carry a 4xx statusCode.
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) return statusCode;
  return undefined;
}
