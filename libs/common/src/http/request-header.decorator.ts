import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';

const headerOf = (context: ExecutionContext, name: string): string | undefined => {
  const value = context.switchToHttp().getRequest<FastifyRequest>().headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * One request header, as `@Headers(name)` reads it but without documenting it: @nestjs/swagger
 * lists every `@Headers(name)` as a required header parameter (a lower-case `if-match` beside the
 * optional `If-Match` of @ApiHeader, a `user-agent` on login) that generated clients then demand.
 */
export const RequestHeader = createParamDecorator((name: string, context: ExecutionContext): string | undefined => headerOf(context, name));

const ifMatchHeader = createParamDecorator(
  (_: unknown, context: ExecutionContext): string | undefined => headerOf(context, 'if-match'),
  [
    (target, key) =>
      ApiHeader({ name: 'If-Match', required: false, description: 'ETag from a read; a stale one answers 412.', example: '"3"' })(
        target,
        key!,
        Object.getOwnPropertyDescriptor(target, key!)!,
      ),
  ],
);

/**
 * The If-Match header of a versioned write, documented as the optional header it is. The handler
 * parses it (parseIfMatch) after the body is validated, so a bad body answers 400 before a bad tag 412.
 */
export const IfMatch = (): ParameterDecorator => ifMatchHeader();
