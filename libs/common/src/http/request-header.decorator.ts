import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * One request header, as `@Headers(name)` reads it but without documenting it: @nestjs/swagger
 * lists every `@Headers(name)` as a required header parameter (a lower-case `if-match` beside the
 * optional `If-Match` of @ApiHeader, a `user-agent` on login) that generated clients then demand.
 */
export const RequestHeader = createParamDecorator((name: string, context: ExecutionContext): string | undefined => {
  const value = context.switchToHttp().getRequest<FastifyRequest>().headers[name];
  return Array.isArray(value) ? value[0] : value;
});
