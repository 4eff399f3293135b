import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC, unauthorized } from '@switchboard/common';
import { TokenExpiredError } from 'jsonwebtoken';
import type { Principal } from '../principal';

/** Global guard: every route needs a JWT or an API key unless marked @Public(). */
@Injectable()
export class AuthenticationGuard extends AuthGuard(['api-key', 'jwt']) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    return isPublic ? true : super.canActivate(context);
  }

  override handleRequest<T = Principal>(error: unknown, principal: T | false, info: unknown): T {
    if (error || !principal) {
      const reasons = Array.isArray(info) ? info : [info];
      throw reasons.some((reason) => reason instanceof TokenExpiredError)
        ? unauthorized('The access token has expired; refresh it.')
        : unauthorized();
    }
    return principal;
  }
}
