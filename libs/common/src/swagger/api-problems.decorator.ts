import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
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

/** Documents the problem+json responses a route can give, each with an example body. */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) => {
      const code = STATUS_CODE[status] ?? ErrorCode.INTERNAL_ERROR;
      return ApiResponse({
        status,
        description: ERROR_TITLE[code],
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
      });
    }),
  );
}

export const PROBLEM_SCHEMA_MODELS = [ProblemDto];
