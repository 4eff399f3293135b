import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { InstanceAdminGuard } from '@switchboard/auth';
import { AppConfig, InjectConfig, unauthorized } from '@switchboard/common';
import type { FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';

const BEARER = /^Bearer\s+(\S+)$/i;

/** Whether `presented` is `expected`, in time that does not tell how much of it matched. */
function sameToken(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * GET /metrics: the scraper's SWITCHBOARD_METRICS_TOKEN, or an instance admin signed in (a JWT,
 * checked like any other, session included). An API key is never enough: a project's key
 * must not read the whole instance's figures. The route is @Public() so that the global
 * guard does not refuse the metrics token before this one sees it.
 */
@Injectable()
export class MetricsAccessGuard extends AuthGuard('jwt') {
  private readonly admins = new InstanceAdminGuard();

  constructor(@InjectConfig() private readonly config: AppConfig) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const authorization = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const token = typeof authorization === 'string' ? BEARER.exec(authorization)?.[1] : undefined;
    if (token !== undefined && this.config.metricsToken !== undefined && sameToken(token, this.config.metricsToken)) return true;
    await super.canActivate(context);
    return this.admins.canActivate(context);
  }

  override handleRequest<T>(error: unknown, principal: T | false): T {
    // A strategy that could not decide (the session store did not answer) is no verdict: 503 by the filter.
    if (error) throw error;
    if (!principal) throw unauthorized();
    return principal;
  }
}
