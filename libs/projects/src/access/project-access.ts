import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Scope } from '@switchboard/auth';
import type { ProjectEntity } from '../projects/project.entity';
import type { Role } from '../roles/roles';

/** The project a route resolved and what the caller may do in it. */
export interface ProjectAccess {
  project: ProjectEntity;
  role: Role;
  scopes: readonly Scope[];
}

export type RequestWithAccess = { projectAccess?: ProjectAccess };

export const CurrentProject = createParamDecorator(
  (_: unknown, context: ExecutionContext): ProjectAccess => context.switchToHttp().getRequest<RequestWithAccess>().projectAccess!,
);
