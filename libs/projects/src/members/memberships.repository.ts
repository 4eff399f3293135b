import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { UserEntity } from '@switchboard/auth';
import { notFound, PageWindow } from '@switchboard/common';
import { isForeignKeyViolation, isUniqueViolation, ProjectRows } from '@switchboard/database';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { ProjectEntity } from '../projects/project.entity';
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

/** How a user deletion ended: deleted, not found, or refused with the slugs of the projects they are the last owner of. */
export type UserDeletion = 'deleted' | 'notFound' | { lastOwnerOf: string[] };

/** SQL: the project `project` (a column or a parameter) has an owner other than the user :userId. */
const anotherOwnerIn = (project: string) =>
  `EXISTS (SELECT 1 FROM memberships other WHERE other.project_id = ${project} AND other.role = 'owner' AND other.user_id <> :userId)`;

/** SQL: the membership `m` makes the user :userId the one owner of its project. */
const SOLE_OWNERSHIP = `m.user_id = :userId AND m.role = 'owner' AND NOT ${anotherOwnerIn('m.project_id')}`;

/** The users a caller may look up by email: everyone, those sharing a project with a user, or a project's members. */
export type UserSight = 'everyone' | { sharingWith: string } | { inProject: string };

export interface UserMembershipRow {
  projectId: string;
  slug: string;
  name: string;
  role: Role;
}

/**
 * Who holds which role where. Statements on a project's members go through ProjectRows (the
 * project always named); the user-wide ones (a user's projects, deleting a user) name the user.
 */
@Injectable()
export class MembershipsRepository {
  private readonly members: ProjectRows<MembershipEntity>;

  constructor(
    @InjectRepository(MembershipEntity) private readonly memberships: Repository<MembershipEntity>,
    private readonly dataSource: DataSource,
  ) {
    this.members = new ProjectRows(memberships);
  }

  find(projectId: string, userId: string): Promise<MembershipEntity | null> {
    return this.members.findOne(projectId, { userId });
  }

  async listInProject(projectId: string, window: PageWindow): Promise<[MemberRow[], number]> {
    const [rows, total] = await this.members.findAndCount(projectId, {
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

  /** The id of the user with this email (compared lowercase, as stored), if `sight` includes them. */
  async findVisibleUserId(email: string, sight: UserSight): Promise<string | null> {
    const query = this.dataSource
      .createQueryBuilder()
      .select('u.id', 'id')
      .from(UserEntity, 'u')
      .where('u.email = :email', { email: email.toLowerCase() });
    if (sight !== 'everyone' && 'inProject' in sight) {
      query.andWhere('EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.project_id = :projectId)', {
        projectId: sight.inProject,
      });
    } else if (sight !== 'everyone') {
      query.andWhere(
        'EXISTS (SELECT 1 FROM memberships theirs JOIN memberships mine ON mine.project_id = theirs.project_id ' +
          'WHERE theirs.user_id = u.id AND mine.user_id = :me)',
        { me: sight.sharingWith },
      );
    }
    return (await query.getRawOne<{ id: string }>())?.id ?? null;
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
    const hold = async (manager: EntityManager) => {
      // The user before the project, in the order deleteUser takes them, so the two never wait on each other.
      if (from === null && !(await this.holdUser(manager, userId, 'FOR KEY SHARE'))) throw notFound('User');
      if (!(await this.holdProjects(manager, 'id = $1', [projectId]))) throw notFound('Project'); // deleted meanwhile
    };
    return this.exclusively(hold, async (manager) => {
      if (from === null) {
        const added = await this.insertNew(manager, { projectId, userId, role: to!, createdAt: now, updatedAt: now });
        return added ? 'applied' : 'changed';
      }
      if (await this.replace(manager, projectId, userId, from, to, now)) return 'applied';
      const role = (await this.members.on(manager).findOne(projectId, { userId }))?.role;
      return role === from ? 'lastOwner' : 'changed';
    });
  }

  /**
   * Deletes the user, with their memberships (and sessions and keys: foreign keys cascade), unless
   * they are the last owner of a project: a member rule as much as `change`, held off against
   * membership changes the same way.
   */
  deleteUser(userId: string): Promise<UserDeletion> {
    const hold = async (manager: EntityManager) => {
      // Held first, the user row keeps new memberships of theirs out (an insert's foreign key
      // check shares it), so the projects held next are all of theirs.
      await this.holdUser(manager, userId, 'FOR UPDATE');
      await this.holdProjects(manager, 'id IN (SELECT project_id FROM memberships WHERE user_id = $1)', [userId]);
    };
    return this.exclusively(hold, async (manager) => {
      // One statement with its check, like `replace`: on SQLite nothing is held.
      const deleted = await manager
        .createQueryBuilder()
        .delete()
        .from(UserEntity)
        .where(`id = :userId AND NOT EXISTS (SELECT 1 FROM memberships m WHERE ${SOLE_OWNERSHIP})`, { userId })
        .execute();
      if (deleted.affected === 1) return 'deleted';
      if (!(await manager.existsBy(UserEntity, { id: userId }))) return 'notFound';
      const rows = await manager
        .createQueryBuilder()
        .select('p.slug', 'slug')
        .from(MembershipEntity, 'm')
        .innerJoin(ProjectEntity, 'p', 'p.id = m.project_id')
        .where(SOLE_OWNERSHIP, { userId })
        .orderBy('p.slug')
        .getRawMany<{ slug: string }>();
      // Empty only on SQLite, when the ownership that stopped the deletion changed again since.
      return { lastOwnerOf: rows.map((row) => row.slug) };
    });
  }

  /**
   * Runs `work` with the membership changes of the projects `hold` holds kept off. PostgreSQL: in
   * a transaction that first holds the project rows (`holdProjects`), so the owners counted are
   * still the owners when written (each statement there sees what committed before it). SQLite
   * runs one writer at a time and each statement of `work` is atomic on its own; no transaction
   * either, because TypeORM runs every SQLite query of the process on one connection, where
   * transactions of concurrent requests would mix.
   */
  private exclusively<T>(hold: (manager: EntityManager) => Promise<void>, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dataSource.options.type !== 'postgres') return work(this.dataSource.manager);
    return this.dataSource.transaction(async (manager) => {
      await hold(manager);
      return work(manager);
    });
  }

  /** PostgreSQL: locks the rows of the projects `where` selects, in id order so that two holders never wait on each other in a circle; how many. */
  private async holdProjects(manager: EntityManager, where: string, parameters: unknown[]): Promise<number> {
    const locked: unknown[] = await manager.query(`SELECT 1 FROM projects WHERE ${where} ORDER BY id FOR NO KEY UPDATE`, parameters);
    return locked.length;
  }

  /** PostgreSQL: locks the user's row; false when there is none. */
  private async holdUser(manager: EntityManager, userId: string, strength: 'FOR KEY SHARE' | 'FOR UPDATE'): Promise<boolean> {
    const locked: unknown[] = await manager.query(`SELECT 1 FROM users WHERE id = $1 ${strength}`, [userId]);
    return locked.length > 0;
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
    let where = 'user_id = :userId AND role = :from';
    if (from === 'owner' && to !== 'owner') where += ` AND ${anotherOwnerIn(':projectId')}`;
    const parameters = { projectId, userId, from };
    const members = this.members.on(manager);
    const query = to === null ? members.deleting(projectId) : members.updating(projectId, { role: to, updatedAt: now });
    return (await query.andWhere(where, parameters).execute()).affected === 1;
  }

  /** False when the user is a member already (added by a concurrent change). */
  private async insertNew(manager: EntityManager, row: MembershipEntity): Promise<boolean> {
    // Under the PostgreSQL lock this check is exact, and a failed insert would abort the transaction.
    const members = this.members.on(manager);
    if (await members.exists(row.projectId, { userId: row.userId })) return false;
    try {
      await members.insert(row.projectId, row);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      // The user was deleted since the service found them (SQLite: on PostgreSQL their row is
      // held). A project deleted meanwhile lands here too, and is gone as well: 404 either way.
      if (isForeignKeyViolation(error)) throw notFound('User');
      throw error;
    }
  }
}
