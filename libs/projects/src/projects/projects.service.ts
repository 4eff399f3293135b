import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { AuthCache, type Principal } from '@switchboard/auth';
import { forbidden, Page, PageQueryDto, pageWindow, toPage, uuidv7 } from '@switchboard/common';
import type { ProjectAccess } from '../access/project-access';
import { ProjectAccessService } from '../access/project-access.service';
import { ROLE_SCOPES } from '../roles/roles';
import { CallerAccess, CreateProjectDto, ProjectDto, toProjectDto, UpdateProjectDto } from './project.dto';
import { ProjectTeardown } from './project-teardown';
import { ProjectsRepository } from './projects.repository';

@Injectable()
export class ProjectsService {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly projectAccess: ProjectAccessService,
    private readonly audit: AuditService,
    private readonly authCache: AuthCache,
    private readonly teardown: ProjectTeardown,
  ) {}

  async list(principal: Principal, query: PageQueryDto): Promise<Page<ProjectDto>> {
    if (principal.kind === 'apiKey') {
      // A key sees its own project, as long as its creator still may.
      const project = await this.projects.findById(principal.projectId);
      const access = project ? await this.projectAccess.resolve(principal, project) : null;
      const rows = access && query.page === 1 ? [access] : [];
      return toPage(rows, access ? 1 : 0, query, (row) => toProjectDto(row.project, callerOf(true, row)));
    }
    const [rows, total] = await this.projects.listVisibleTo(principal.userId, principal.isAdmin, pageWindow(query));
    return toPage(rows, total, query, (row) => {
      const role = row.role ?? (principal.isAdmin ? 'owner' : null);
      return toProjectDto(row, { role, scopes: role ? ROLE_SCOPES[role] : [] });
    });
  }

  async create(actor: AuditActor, dto: CreateProjectDto): Promise<ProjectDto> {
    if (actor.type !== 'user' || !actor.userId) throw forbidden('API keys belong to one project and cannot create projects.');
    const now = new Date();
    const project = await this.projects.insertWithOwner(
      {
        id: uuidv7(),
        slug: dto.slug,
        name: dto.name,
        description: dto.description ?? null,
        createdBy: actor.userId,
        createdAt: now,
        updatedAt: now,
      },
      actor.userId,
    );
    await this.audit.record({
      actor,
      projectId: project.id,
      action: 'project.create',
      target: { type: 'project', id: project.id, name: project.slug },
    });
    return toProjectDto(project, { role: 'owner', scopes: ROLE_SCOPES.owner });
  }

  get(actor: AuditActor, access: ProjectAccess): ProjectDto {
    return toProjectDto(access.project, callerOf(actor.type === 'apiKey', access));
  }

  async update(actor: AuditActor, access: ProjectAccess, dto: UpdateProjectDto): Promise<ProjectDto> {
    const changes = {
      ...(dto.slug !== undefined && { slug: dto.slug }),
      ...(dto.name !== undefined && { name: dto.name }),
      ...(dto.description !== undefined && { description: dto.description }),
      updatedAt: new Date(),
    };
    await this.projects.update(access.project.id, changes);
    await this.projectAccess.changed({ kind: 'project', id: access.project.id });
    await this.audit.record({
      actor,
      projectId: access.project.id,
      action: 'project.update',
      target: { type: 'project', id: access.project.id, name: dto.slug ?? access.project.slug },
      details: { fields: Object.keys(changes).filter((field) => field !== 'updatedAt') },
    });
    return toProjectDto((await this.projects.findById(access.project.id))!, callerOf(actor.type === 'apiKey', access));
  }

  /** The project's own audit trail goes with it; the deletion itself is kept as an instance event. */
  async delete(actor: AuditActor, access: ProjectAccess): Promise<void> {
    const released = await this.teardown.prepare(access.project.id);
    await this.projects.delete(access.project.id);
    released();
    await this.projectAccess.changed({ kind: 'project', id: access.project.id });
    await this.authCache.changed({ kind: 'project', id: access.project.id }); // its keys went with it
    await this.audit.record({
      actor,
      action: 'project.delete',
      target: { type: 'project', id: access.project.id, name: access.project.slug },
    });
  }
}

/** A user acts with its role; a key has none, only its scopes (its creator's role caps them). */
const callerOf = (isApiKey: boolean, access: ProjectAccess): CallerAccess => ({
  role: isApiKey ? null : access.role,
  scopes: access.scopes,
});
