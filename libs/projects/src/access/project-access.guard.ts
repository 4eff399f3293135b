import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Principal, Scope } from '@switchboard/auth';
import { forbidden, notFound } from '@switchboard/common';
import type { RequestWithAccess } from './project-access';
import { ProjectAccessService } from './project-access.service';

export const REQUIRED_SCOPES = 'switchboard:required-scopes';

/**
 * Resolves `:project` (slug or id) for the caller. A project the caller cannot see answers
 * 404 exactly like a missing one; a visible project without the scope answers 403.
 */
@Injectable()
export class ProjectAccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: ProjectAccessService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithAccess & { user: Principal; params: Record<string, string> }>();
    const access = await this.access.resolveRef(request.user, request.params.project ?? '');
    if (!access) throw notFound('Project');
    const required = this.reflector.getAllAndOverride<Scope[]>(REQUIRED_SCOPES, [context.getHandler(), context.getClass()]) ?? [];
    const missing = required.filter((scope) => !access.scopes.includes(scope));
    if (missing.length) throw forbidden(`This needs the scope ${missing.join(', ')} in project "${access.project.slug}".`);
    request.projectAccess = access;
    return true;
  }
}
