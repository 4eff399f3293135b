import { applyDecorators } from '@nestjs/common';
import { ApiResponse, type HeadersObject, type ResponseObject } from '@nestjs/swagger';
import { ERROR_TITLE, ErrorCode } from '../errors/error-code';
import { PROBLEM_CONTENT_TYPE, ProblemDto } from '../errors/problem';

const STATUS_CODE: Record<number, ErrorCode> = {
  400: ErrorCode.VALIDATION_FAILED,
  401: ErrorCode.UNAUTHORIZED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  409: ErrorCode.CONFLICT,
  412: ErrorCode.PRECONDITION_FAILED,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  414: ErrorCode.URI_TOO_LONG,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  422: ErrorCode.UNPROCESSABLE,
  429: ErrorCode.RATE_LIMITED,
  431: ErrorCode.HEADERS_TOO_LARGE,
  502: ErrorCode.TARGET_UNAVAILABLE,
  503: ErrorCode.SERVICE_UNAVAILABLE,
  504: ErrorCode.TARGET_TIMEOUT,
};

/** Statuses that come with a Retry-After header. */
const RETRY_AFTER: Record<number, HeadersObject> = {
  429: { 'Retry-After': { description: 'Seconds until the limit resets.', schema: { type: 'integer', example: 1 } } },
  503: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', example: 5 } } },
};

/** The problem+json response for `status`, with an example body (and Retry-After where it is sent). */
export function problemResponse(status: number, description?: string): ResponseObject {
  const code = STATUS_CODE[status] ?? ErrorCode.INTERNAL_ERROR;
  return {
    description: description ?? ERROR_TITLE[code],
    ...(RETRY_AFTER[status] ? { headers: RETRY_AFTER[status] } : {}),
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: '#/components/schemas/ProblemDto' },
        example: {
          type: `urn:switchboard:problem:${code.toLowerCase().replace(/_/g, '-')}`,
          title: ERROR_TITLE[code],
          status,
          detail: `${ERROR_TITLE[code]}.`,
          code,
          requestId: '0193a5b2-5a8e-7c1f-9d2e-3b4c5d6e7f80',
        },
      },
    },
  };
}

/** Documents the problem+json responses a route can give, each with an example body. */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, ...problemResponse(status) })));
}

export const PROBLEM_SCHEMA_MODELS = [ProblemDto];
