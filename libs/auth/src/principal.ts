import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Scope } from './scopes/scopes';

/**
 * Who is calling: a signed-in user (JWT) or an API key acting for its creator in one project.
 * For a key, `userId`/`isAdmin` are the creator's: a key never outlives its creator's rights.
 */
export type Principal =
  | { kind: 'user'; userId: string; email: string; isAdmin: boolean; sessionId: string }
  | { kind: 'apiKey'; userId: string; isAdmin: boolean; apiKeyId: string; projectId: string; scopes: Scope[] };

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal => context.switchToHttp().getRequest<{ user: Principal }>().user,
);
