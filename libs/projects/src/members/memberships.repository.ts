import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { notFound, PageWindow } from '@switchboard/common';
import { isUniqueViolation } from '@switchboard/database';
import { DataSource, EntityManager, Repository } from 'typeorm';
import type { Role } from '../roles/roles';
import { MembershipEntity } from './membership.entity';

export interface MemberRow {
  userId: string;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
  updatedAt: Date;
}

/** How a guarded change ended: applied, refused as the role changed meanwhile, or refused to keep an owner. */
export type MembershipChange = 'applied' | 'changed' | 'lastOwner';

export interface UserMembershipRow {
  projectId: string;
  slug: string;
  name: string;
  role: Role;
}

@Injectable()
export class MembershipsRepository {
  constructor(
    @InjectRepository(MembershipEntity) private readonly memberships: Repository<MembershipEntity>,
    private readonly dataSource: DataSource,
  ) {}

  find(projectId: string, userId: string): Promise<MembershipEntity | null> {
    return this.memberships.findOneBy({ projectId, userId });
  }

  async listInProject(projectId: string, window: PageWindow): Promise<[MemberRow[], number]> {
    const [rows, total] = await this.memberships.findAndCount({
      where: { projectId },
      relations: { user: true },
      order: { createdAt: 'ASC', userId: 'ASC' },
      ...window,
    });
    return [
      rows.map((row) => ({
        userId: row.userId,
        email: row.user!.email,
        name: row.user!.name,
        role: row.role,
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
      })),
      total,
    ];
  }

  async listForUser(userId: string): Promise<UserMembershipRow[]> {
    const rows = await this.memberships.find({ where: { userId }, relations: { project: true }, order: { createdAt: 'ASC' } });
    return rows.map((row) => ({ projectId: row.projectId, slug: row.project!.slug, name: row.project!.name, role: row.role }));
  }

  /**
   * Moves the membership from the role `from` (null: not a member) to `to` (null: removed), only
   * if it still is `from` (compare-and-set: a decision taken on a role that changed meanwhile is
   * not applied) and, when it takes an owner away, another owner stays.
   */
  change(projectId: string, userId: string, from: Role | null, to: Role | null, now: Date): Promise<MembershipChange> {
    return this.exclusively(projectId, async (manager) => {
      if (from === null) {
        const added = await this.insertNew(manager, { projectId, userId, role: to!, createdAt: now, updatedAt: now });
        return added ? 'applied' : 'changed';
      }
      if (await this.replace(manager, projectId, userId, from, to, now)) return 'applied';
      const role = (await manager.findOneBy(MembershipEntity, { projectId, userId }))?.role;
      return role === from ? 'lastOwner' : 'changed';
    });
  }

  /**
   * Runs `work` with the project's other membership changes held off. PostgreSQL: in a
   * transaction holding the project row, so the owners counted are still the owners when
   * written (each statement there sees what committed before it). SQLite runs one writer at a
   * time and each statement of `work` is atomic on its own; no transaction either, because
   * TypeORM runs every SQLite query of the process on one connection, where transactions of
   * concurrent requests would mix.
   */
  private exclusively<T>(projectId: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dataSource.options.type !== 'postgres') return work(this.dataSource.manager);
    return this.dataSource.transaction(async (manager) => {
      const locked: unknown[] = await manager.query('SELECT 1 FROM projects WHERE id = $1 FOR NO KEY UPDATE', [projectId]);
      if (!locked.length) throw notFound('Project'); // deleted meanwhile
      return work(manager);
    });
  }

  /**
   * The update or delete as one statement, conditional on the role read and, when it takes an
   * owner away, on another owner staying: the check and the write are never apart.
   */
  private async replace(
    manager: EntityManager,
    projectId: string,
    userId: string,
    from: Role,
    to: Role | null,
    now: Date,
  ): Promise<boolean> {
    let where = 'project_id = :projectId AND user_id = :userId AND role = :from';
    if (from === 'owner' && to !== 'owner') {
      where +=
        " AND EXISTS (SELECT 1 FROM memberships other WHERE other.project_id = :projectId AND other.role = 'owner' AND other.user_id <> :userId)";
    }
    const parameters = { projectId, userId, from };
    const query = manager.createQueryBuilder();
    const result =
      to === null
        ? await query.delete().from(MembershipEntity).where(where, parameters).execute()
        : await query.update(MembershipEntity).set({ role: to, updatedAt: now }).where(where, parameters).execute();
    return result.affected === 1;
  }

  /** False when the user is a member already (added by a concurrent change). */
  private async insertNew(manager: EntityManager, row: MembershipEntity): Promise<boolean> {
    // Under the PostgreSQL lock this check is exact, and a failed insert would abort the transaction.
    if (await manager.existsBy(MembershipEntity, { projectId: row.projectId, userId: row.userId })) return false;
    try {
      await manager.insert(MembershipEntity, row);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
}
