import { applyDecorators } from '@nestjs/common';
import { ApiResponse, type HeadersObject, type OpenAPIObject, type ResponseObject } from '@nestjs/swagger';
import { ERROR_TITLE, ErrorCode } from '../errors/error-code';
import { PROBLEM_CONTENT_TYPE, ProblemDto } from '../errors/problem';

const STATUS_CODE: Record<number, ErrorCode> = {
  400: ErrorCode.VALIDATION_FAILED,
  401: ErrorCode.UNAUTHORIZED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  409: ErrorCode.CONFLICT,
  412: ErrorCode.PRECONDITION_FAILED,
  422: ErrorCode.UNPROCESSABLE,
  429: ErrorCode.RATE_LIMITED,
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
function problemResponse(status: number, description?: string): ResponseObject {
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

const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Every route can answer 503 with Retry-After while the metadata database is unreachable (a
 * valid token included: it cannot be checked then). Documented once, on every operation.
 */
export function documentServiceUnavailable(document: OpenAPIObject): void {
  const response = problemResponse(503, 'Service unavailable: the metadata database is not answering; retry after Retry-After seconds.');
  for (const item of Object.values(document.paths)) {
    for (const method of OPERATION_METHODS) {
      const operation = item[method];
      if (operation) operation.responses['503'] ??= response;
    }
  }
}

export const PROBLEM_SCHEMA_MODELS = [ProblemDto];
