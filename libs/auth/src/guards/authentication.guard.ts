import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC, unauthorized } from '@switchboard/common';
import { TokenExpiredError } from 'jsonwebtoken';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../principal';
import { ApiKeyStrategy } from '../strategies/api-key.strategy';

/**
 * Global guard: every route needs a JWT or an API key unless marked @Public(). An API key is
 * looked up here, once; passport runs the JWT strategy only.
 */
@Injectable()
export class AuthenticationGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeyStrategy,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    // A valid API key (every pipeline call) is taken without passport's per-request set-up. A
    // refused one is not looked up again: the request is then judged by its JWT, if any (401 without).
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const principal = await this.apiKeys.validate(request);
    if (principal) {
      request.user = principal;
      return true;
    }
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<T = Principal>(error: unknown, principal: T | false, info: unknown): T {
    // A strategy that threw could not decide (e.g. the session store did not answer): that is no
    // verdict on the token, so it is not a 401; the error filter gives it its answer (503).
    if (error) throw error;
    if (!principal) {
      const reasons = Array.isArray(info) ? info : [info];
      throw reasons.some((reason) => reason instanceof TokenExpiredError)
        ? unauthorized('The access token has expired; refresh it.')
        : unauthorized();
    }
    return principal;
  }
}
