import { Logger } from '@nestjs/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { levels } from 'pino';
import { AppError, validationFailed } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { sendProblem } from '../errors/problem.filter';
import type { HttpMetrics } from '../metrics/http-metrics';
import { REQUEST_ID_HEADER } from './request-id';

export const MERGE_PATCH_CONTENT_TYPE = 'application/merge-patch+json';
const JSON_CONTENT_TYPE = /^application\/([a-z.+-]+\+)?json\s*(;|$)/i;
const frameworkErrorLogger = new Logger('Errors');

/**
 * JSON nested deeper than this is refused before validation: nothing the API takes comes near it,
 * and the recursive transformers behind validation would run out of stack on a few KB of brackets.
 */
export const MAX_INPUT_DEPTH = 32;

/**
 * What is wrong with a parsed body, query or params: a string holding U+0000 or a lone
 * surrogate, or nesting past MAX_INPUT_DEPTH.
 */
export interface InputFlaw {
  kind: 'nul' | 'surrogate' | 'depth';
  /** Where ("a.b[0]"), or "(body)" for the whole. */
  field: string;
}

/** A UTF-16 surrogate not in a pair: JSON's `"\ud800"` decodes to one, and it is no Unicode character. */
const LONE_SURROGATE = /\p{Cs}/u;

const textFlaw = (text: string): 'nul' | 'surrogate' | undefined =>
  text.includes('\u0000') ? 'nul' : LONE_SURROGATE.test(text) ? 'surrogate' : undefined;

export function inputFlawAt(value: unknown, path = '', depth = 0): InputFlaw | undefined {
  if (typeof value === 'string') {
    const kind = textFlaw(value);
    return kind && { kind, field: path || '(body)' };
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_INPUT_DEPTH) return { kind: 'depth', field: path || '(body)' };
  for (const [key, item] of Object.entries(value)) {
    const inner = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    const kind = textFlaw(key);
    const found = kind ? { kind, field: inner } : inputFlawAt(item, inner, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

const FLAW_MESSAGES: Record<Exclude<InputFlaw['kind'], 'depth'>, string> = {
  // PostgreSQL cannot store U+0000 in text: refused up front, alike on every driver.
  nul: 'must not contain the NUL character',
  // I-JSON (RFC 7493) refuses it; validators throw on it (encodeURI) and storing it writes U+FFFD.
  surrogate: 'must be valid Unicode text (it holds a lone surrogate)',
};

/** Fastify's `frameworkErrors`: the router answers a bad URL or an over-long segment before any hook or filter. */
export function sendFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void reply.header(REQUEST_ID_HEADER, request.id);
  sendProblem(error, request, reply, frameworkErrorLogger);
}

/** Request id echo, input hygiene, and one log line and one duration sample per request, for every route. */
export function registerRequestHooks(fastify: FastifyInstance, metrics?: HttpMetrics): void {
  // A JSON merge patch (RFC 7396, what PATCH takes) is JSON, parsed with the same guards.
  fastify.addContentTypeParser(MERGE_PATCH_CONTENT_TYPE, { parseAs: 'string' }, fastify.getDefaultJsonParser('error', 'error'));
  // Callback hooks, not async ones: these run on every request, and a promise each is measurable (bench/).
  // On send, not on request: @fastify/cors answers preflights in an onRequest hook Nest's
  // adapter adds before any of ours, and they carry the id too.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done(null, payload);
  });
  fastify.addHook('preValidation', (request, _reply, done) => done(inputProblem(request)));
  // Below info the line would be dropped anyway: then it is not built at all.
  const logs = (levels.values[fastify.log.level] ?? Infinity) <= levels.values.info;
  if (!logs && !metrics) return;
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    metrics?.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    if (logs) {
      request.log.info(
        {
          method: request.method,
          route: route ?? null,
          status: reply.statusCode,
          durationMs: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request completed',
      );
    }
    done();
  });
}

function inputProblem(request: FastifyRequest): AppError | undefined {
  // JSON in, JSON out: a body in any other format is refused rather than half-understood.
  if (request.body !== undefined && !JSON_CONTENT_TYPE.test(request.headers['content-type'] ?? '')) {
    return new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send the body as application/json.');
  }
  // Validation would take a JSON null for an empty object (and a PATCH of null for "change nothing").
  if (request.body === null) return new AppError(ErrorCode.MALFORMED_REQUEST, 'The body must be a JSON object, not null.');
  const flaw = inputFlawAt(request.params) ?? inputFlawAt(request.query) ?? inputFlawAt(request.body);
  if (flaw?.kind === 'depth') {
    return new AppError(ErrorCode.MALFORMED_REQUEST, `The body is nested more than ${MAX_INPUT_DEPTH} levels deep (at ${flaw.field}).`);
  }
  return flaw && validationFailed([{ field: flaw.field, message: `${flaw.field} ${FLAW_MESSAGES[flaw.kind]}` }]);
}
