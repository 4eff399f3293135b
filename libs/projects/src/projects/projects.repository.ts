import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { conflict, isSlug, isUuid, PageWindow } from '@switchboard/common';
import { isUniqueViolation } from '@switchboard/database';
import { DataSource, Repository } from 'typeorm';
import { MembershipEntity } from '../members/membership.entity';
import type { Role } from '../roles/roles';
import { ProjectEntity } from './project.entity';

export type ProjectWithRole = ProjectEntity & { role: Role | null };

@Injectable()
export class ProjectsRepository {
  constructor(
    @InjectRepository(ProjectEntity) private readonly projects: Repository<ProjectEntity>,
    private readonly dataSource: DataSource,
  ) {}

  /** `ref` is an id or a slug, in any case (both are stored lowercase). */
  findByRef(ref: string): Promise<ProjectEntity | null> {
    const lowercase = ref.toLowerCase();
    if (isUuid(lowercase)) return this.projects.findOneBy({ id: lowercase });
    return isSlug(lowercase) ? this.projects.findOneBy({ slug: lowercase }) : Promise.resolve(null);
  }

  findById(id: string): Promise<ProjectEntity | null> {
    return this.projects.findOneBy({ id });
  }

  /** Projects `userId` belongs to; with `includeAll`, every project (instance admins). */
  async listVisibleTo(userId: string, includeAll: boolean, window: PageWindow): Promise<[ProjectWithRole[], number]> {
    const query = this.projects
      .createQueryBuilder('p')
      [includeAll ? 'leftJoin' : 'innerJoin'](MembershipEntity, 'm', 'm.project_id = p.id AND m.user_id = :userId', { userId })
      .addSelect('m.role', 'role')
      .orderBy('p.slug', 'ASC')
      .offset(window.skip)
      .limit(window.take);
    const [{ entities, raw }, total] = await Promise.all([query.getRawAndEntities<{ role: Role | null }>(), query.getCount()]);
    return [entities.map((project, index) => ({ ...project, role: raw[index]?.role ?? null })), total];
  }

  /** The project and its first owner, together or not at all. */
  async insertWithOwner(project: ProjectEntity, ownerId: string): Promise<ProjectEntity> {
    try {
      await this.dataSource.transaction(async (manager) => {
        await manager.insert(ProjectEntity, project);
        await manager.insert(MembershipEntity, {
          projectId: project.id,
          userId: ownerId,
          role: 'owner',
          createdAt: project.createdAt,
          updatedAt: project.createdAt,
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A project with slug "${project.slug}" already exists.`);
      throw error;
    }
    return (await this.findById(project.id))!;
  }

  async update(id: string, changes: Partial<ProjectEntity>): Promise<void> {
    try {
      await this.projects.update({ id }, changes);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A project with slug "${changes.slug}" already exists.`);
      throw error;
    }
  }

  /** Memberships, API keys and everything else the project holds go with it (foreign keys cascade). */
  async delete(id: string): Promise<void> {
    await this.projects.delete({ id });
  }
}
