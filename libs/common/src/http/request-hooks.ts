import { Logger } from '@nestjs/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, validationFailed } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { sendProblem } from '../errors/problem.filter';
import { REQUEST_ID_HEADER } from './request-id';

const JSON_CONTENT_TYPE = /^application\/([a-z.+-]+\+)?json\s*(;|$)/i;
const frameworkErrorLogger = new Logger('Errors');

/** The path ("a.b[0]") of the first string holding U+0000 in a parsed body, query or params, if any. */
export function nulCharacterAt(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '(body)' : undefined;
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const inner = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    const found = key.includes('\u0000') ? inner : nulCharacterAt(item, inner, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Fastify's `frameworkErrors`: the router answers a bad URL or an over-long segment before any hook or filter. */
export function sendFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void reply.header(REQUEST_ID_HEADER, request.id);
  sendProblem(error, request, reply, frameworkErrorLogger);
}

/** Request id echo, input hygiene and one log line per request, for every route. */
export function registerRequestHooks(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
  });
  fastify.addHook('preValidation', async (request) => {
    // JSON in, JSON out: a body in any other format is refused rather than half-understood.
    if (request.body !== undefined && !JSON_CONTENT_TYPE.test(request.headers['content-type'] ?? '')) {
      throw new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send the body as application/json.');
    }
    // PostgreSQL cannot store U+0000 in text: refuse it up front, alike on every driver.
    const field = [request.params, request.query, request.body].map((part) => nulCharacterAt(part)).find((at) => at !== undefined);
    if (field !== undefined) throw validationFailed([{ field, message: `${field} must not contain the NUL character` }]);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? null,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request completed',
    );
  });
}
