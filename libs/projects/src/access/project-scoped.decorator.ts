import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import type { Scope } from '@switchboard/auth';
import { ApiProblems } from '@switchboard/common';
import { ProjectAccessGuard, REQUIRED_SCOPES } from './project-access.guard';

/** A route under /projects/{project} that needs `scopes` there. */
export const ProjectScoped = (...scopes: Scope[]): MethodDecorator =>
  applyDecorators(
    SetMetadata(REQUIRED_SCOPES, scopes),
    UseGuards(ProjectAccessGuard),
    ApiParam({ name: 'project', type: String, description: 'Project slug or id', example: 'default' }),
    ApiProblems(401, 403, 404),
  );
