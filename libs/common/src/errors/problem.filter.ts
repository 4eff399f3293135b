import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppError } from './app-error';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem';

/**
 * Gives an error of a lower layer the answer it deserves, e.g. "the metadata database is
 * unreachable" a 503 rather than a 500; undefined for the errors it does not know.
 */
export type ErrorTranslator = (error: unknown) => AppError | undefined;

/** Every error leaves as problem+json; internals are logged, never sent. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly translate: ErrorTranslator = () => undefined) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const translated = this.translate(error);
    // Still worth a line: the cause (which the client does not see) is what an operator needs.
    if (translated) this.logger.warn({ cause: summaryOf(error), requestId: request.id }, translated.detail);
    sendProblem(translated ?? error, request, http.getResponse<FastifyReply>(), this.logger);
  }
}

/** Name, message and code of an error and of the driver error it wraps: not the query parameters a driver error carries. */
function summaryOf(error: unknown): Record<string, unknown> {
  const { name, message, code, driverError } = (error ?? {}) as Record<string, unknown>;
  return { name, message, code, ...(driverError && driverError !== error ? { driverError: summaryOf(driverError) } : {}) };
}

export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply, logger: Pick<Logger, 'error'>): void {
  const problem = toProblem(error, String(request.id));
  if (problem.internal) {
    logger.error({ err: error, requestId: request.id }, 'Unhandled error');
  }
  void reply
    .status(problem.body.status)
    .headers(problem.headers)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem.body));
}
