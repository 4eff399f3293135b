import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuditActor } from '@switchboard/audit';
import type { FastifyRequest } from 'fastify';
import type { Principal } from './principal';

/** The caller as the audit trail records it, with the request it came in. */
export function actorOf(principal: Principal | undefined, request: Pick<FastifyRequest, 'id' | 'ip'>): AuditActor {
  const requestId = String(request.id);
  const ip = request.ip;
  if (!principal) return { type: 'anonymous', requestId, ip };
  return principal.kind === 'user'
    ? { type: 'user', userId: principal.userId, label: principal.email, requestId, ip }
    : { type: 'apiKey', userId: principal.userId, apiKeyId: principal.apiKeyId, requestId, ip };
}

export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): AuditActor => {
  const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
  return actorOf(request.user, request);
});
