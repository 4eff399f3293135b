import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuditActor } from '@switchboard/audit';
import type { FastifyRequest } from 'fastify';
import type { Principal } from './principal';

/** The caller as the audit trail records it, with the request it came in. */
export function actorOf(principal: Principal | undefined, request: Pick<FastifyRequest, 'id' | 'ip'>): AuditActor {
  const base = { requestId: String(request.id), ip: request.ip };
  if (!principal) return { ...base, type: 'anonymous' };
  return principal.kind === 'user'
    ? { ...base, type: 'user', userId: principal.userId, label: principal.email }
    : { ...base, type: 'apiKey', userId: principal.userId, apiKeyId: principal.apiKeyId };
}

export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): AuditActor => {
  const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
  return actorOf(request.user, request);
});
