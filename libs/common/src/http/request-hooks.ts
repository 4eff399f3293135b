import { Logger } from '@nestjs/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { levels } from 'pino';
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
  // Callback hooks, not async ones: these run on every request, and a promise each is measurable (bench/).
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  fastify.addHook('preValidation', (request, _reply, done) => done(inputProblem(request)));
  // Below info the line would be dropped anyway: then the hook is not installed at all.
  if ((levels.values[fastify.log.level] ?? Infinity) > levels.values.info) return;
  fastify.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? null,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request completed',
    );
    done();
  });
}

function inputProblem(request: FastifyRequest): AppError | undefined {
  // JSON in, JSON out: a body in any other format is refused rather than half-understood.
  if (request.body !== undefined && !JSON_CONTENT_TYPE.test(request.headers['content-type'] ?? '')) {
    return new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send the body as application/json.');
  }
  // PostgreSQL cannot store U+0000 in text: refuse it up front, alike on every driver.
  const field = nulCharacterAt(request.params) ?? nulCharacterAt(request.query) ?? nulCharacterAt(request.body);
  return field === undefined ? undefined : validationFailed([{ field, message: `${field} must not contain the NUL character` }]);
}
