import { Injectable } from '@nestjs/common';
import type { Principal } from '@switchboard/auth';
import { forbidden, Page, PageQueryDto, pageWindow, toPage, uuidv7 } from '@switchboard/common';
import type { ProjectAccess } from '../access/project-access';
import { ProjectAccessService } from '../access/project-access.service';
import { CreateProjectDto, ProjectDto, toProjectDto, UpdateProjectDto } from './project.dto';
import { ProjectsRepository } from './projects.repository';

@Injectable()
export class ProjectsService {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly access: ProjectAccessService,
  ) {}

  async list(principal: Principal, query: PageQueryDto): Promise<Page<ProjectDto>> {
    if (principal.kind === 'apiKey') {
      // A key sees its own project, as long as its creator still may.
      const project = await this.projects.findById(principal.projectId);
      const access = project ? await this.access.resolve(principal, project) : null;
      const rows = access && query.page === 1 ? [{ ...access.project, role: access.role }] : [];
      return toPage(rows, access ? 1 : 0, query, toProjectDto);
    }
    const [rows, total] = await this.projects.listVisibleTo(principal.userId, principal.isAdmin, pageWindow(query));
    return toPage(rows, total, query, (row) => toProjectDto({ ...row, role: row.role ?? (principal.isAdmin ? 'owner' : null) }));
  }

  async create(principal: Principal, dto: CreateProjectDto): Promise<ProjectDto> {
    if (principal.kind !== 'user') throw forbidden('API keys belong to one project and cannot create projects.');
    const now = new Date();
    const project = await this.projects.insertWithOwner(
      {
        id: uuidv7(),
        slug: dto.slug,
        name: dto.name,
        description: dto.description ?? null,
        createdBy: principal.userId,
        createdAt: now,
        updatedAt: now,
      },
      principal.userId,
    );
    return toProjectDto({ ...project, role: 'owner' });
  }

  get(access: ProjectAccess): ProjectDto {
    return toProjectDto({ ...access.project, role: access.role });
  }

  async update(access: ProjectAccess, dto: UpdateProjectDto): Promise<ProjectDto> {
    const changes = {
      ...(dto.slug !== undefined && { slug: dto.slug }),
      ...(dto.name !== undefined && { name: dto.name }),
      ...(dto.description !== undefined && { description: dto.description }),
      updatedAt: new Date(),
    };
    await this.projects.update(access.project.id, changes);
    return toProjectDto({ ...(await this.projects.findById(access.project.id))!, role: access.role });
  }

  async delete(access: ProjectAccess): Promise<void> {
    await this.projects.delete(access.project.id);
  }
}
