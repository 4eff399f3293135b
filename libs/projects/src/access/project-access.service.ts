import { Injectable } from '@nestjs/common';
import type { Principal, Scope } from '@switchboard/auth';
import { MembershipsRepository } from '../members/memberships.repository';
import type { ProjectEntity } from '../projects/project.entity';
import { type Role, ROLE_SCOPES } from '../roles/roles';
import type { ProjectAccess } from './project-access';

@Injectable()
export class ProjectAccessService {
  constructor(private readonly memberships: MembershipsRepository) {}

  /**
   * What `principal` may do in `project`, or null when it may not see it at all. Instance
   * admins act as owners everywhere. A key is confined to its own project and to the
   * intersection of its scopes with what its creator holds there today.
   */
  async resolve(principal: Principal, project: ProjectEntity): Promise<ProjectAccess | null> {
    if (principal.kind === 'apiKey' && principal.projectId !== project.id) return null;
    const membership = await this.memberships.find(project.id, principal.userId);
    const role: Role | null = membership?.role ?? (principal.isAdmin ? 'owner' : null);
    if (!role) return null;
    const roleScopes = ROLE_SCOPES[role];
    const scopes: readonly Scope[] =
      principal.kind === 'apiKey' ? roleScopes.filter((scope) => principal.scopes.includes(scope)) : roleScopes;
    return { project, role, scopes };
  }
}
