import { Injectable } from '@nestjs/common';
import { type Principal, toUserDto, UsersRepository } from '@switchboard/auth';
import { unauthorized } from '@switchboard/common';
import { ProjectAccessService } from '../access/project-access.service';
import { MembershipsRepository } from '../members/memberships.repository';
import { ProjectsRepository } from '../projects/projects.repository';
import { ROLE_SCOPES } from '../roles/roles';
import { MeDto, MeMembershipDto } from './me.dto';

@Injectable()
export class MeService {
  constructor(
    private readonly users: UsersRepository,
    private readonly memberships: MembershipsRepository,
    private readonly projects: ProjectsRepository,
    private readonly access: ProjectAccessService,
  ) {}

  async describe(principal: Principal): Promise<MeDto> {
    const user = await this.users.findById(principal.userId);
    if (!user) throw unauthorized();
    if (principal.kind === 'user') {
      const rows = await this.memberships.listForUser(user.id);
      return {
        user: toUserDto(user),
        apiKey: null,
        memberships: rows.map((row) => ({ ...row, scopes: [...ROLE_SCOPES[row.role]] })),
      };
    }
    const project = await this.projects.findById(principal.projectId);
    const access = project ? await this.access.resolve(principal, project) : null;
    const memberships: MeMembershipDto[] = access
      ? [
          {
            projectId: access.project.id,
            slug: access.project.slug,
            name: access.project.name,
            role: access.role,
            scopes: [...access.scopes],
          },
        ]
      : [];
    return {
      user: toUserDto(user),
      apiKey: { id: principal.apiKeyId, projectId: principal.projectId, scopes: memberships[0]?.scopes ?? [] },
      memberships,
    };
  }
}
