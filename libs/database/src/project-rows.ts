import type {
  DeleteQueryBuilder,
  EntityManager,
  FindManyOptions,
  FindOptionsWhere,
  ObjectLiteral,
  QueryDeepPartialEntity,
  Repository,
  SelectQueryBuilder,
  UpdateQueryBuilder,
} from 'typeorm';

/** A filter on a project's rows: anything but the project, which `ProjectRows` always sets itself. */
export type ProjectWhere<T> = Omit<FindOptionsWhere<T>, 'projectId'>;

/** Find options whose `where` cannot name the project (or widen it with an array of alternatives). */
export type ProjectFindOptions<T> = Omit<FindManyOptions<T>, 'where'> & { where?: ProjectWhere<T> };

/**
 * The rows of one tenant table, reachable only through a project: every statement built here
 * carries `project_id = <the project asked for>`, set last so that no filter can override it
 * (novu's `EnforceOrgId`, as a wrapper rather than a type on each call). A tenant repository
 * holds one of these instead of the ORM repository, so a statement without the project cannot
 * be written by forgetting it; instance-wide statements live in repositories of their own.
 */
export class ProjectRows<T extends ObjectLiteral & { projectId: string | null }> {
  constructor(private readonly repository: Repository<T>) {}

  /** The same rows on another manager: inside a transaction. */
  on(manager: EntityManager): ProjectRows<T> {
    return new ProjectRows(manager.getRepository<T>(this.repository.target));
  }

  findOne(projectId: string, where: ProjectWhere<T>): Promise<T | null> {
    return this.repository.findOneBy(this.where(projectId, where));
  }

  exists(projectId: string, where: ProjectWhere<T>): Promise<boolean> {
    return this.repository.existsBy(this.where(projectId, where));
  }

  find(projectId: string, options: ProjectFindOptions<T> = {}): Promise<T[]> {
    return this.repository.find({ ...options, where: this.where(projectId, options.where) });
  }

  findAndCount(projectId: string, options: ProjectFindOptions<T> = {}): Promise<[T[], number]> {
    return this.repository.findAndCount({ ...options, where: this.where(projectId, options.where) });
  }

  /** How many rows changed. */
  async update(projectId: string, where: ProjectWhere<T>, changes: QueryDeepPartialEntity<T>): Promise<number> {
    return (await this.repository.update(this.where(projectId, where), changes)).affected ?? 0;
  }

  /** How many rows went. */
  async delete(projectId: string, where: ProjectWhere<T>): Promise<number> {
    return (await this.repository.delete(this.where(projectId, where))).affected ?? 0;
  }

  /** Inserts `row` into the project, whatever project the row itself names. */
  async insert(projectId: string, row: T): Promise<void> {
    await this.repository.insert({ ...row, projectId } as QueryDeepPartialEntity<T>);
  }

  /** A query builder over `alias` that already holds the project condition; add conditions with `andWhere`. */
  select(projectId: string, alias: string): SelectQueryBuilder<T> {
    return this.repository
      .createQueryBuilder(alias)
      .where(`${alias}.${this.projectColumn()} = :tenantProjectId`, { tenantProjectId: projectId });
  }

  /** An UPDATE of the project's rows setting `changes`; narrow it with `andWhere`. */
  updating(projectId: string, changes: QueryDeepPartialEntity<T>): UpdateQueryBuilder<T> {
    return this.repository
      .createQueryBuilder()
      .update()
      .set(changes)
      .where(`${this.projectColumn()} = :tenantProjectId`, { tenantProjectId: projectId });
  }

  /** A DELETE of the project's rows; narrow it with `andWhere`. */
  deleting(projectId: string): DeleteQueryBuilder<T> {
    return this.repository
      .createQueryBuilder()
      .delete()
      .where(`${this.projectColumn()} = :tenantProjectId`, { tenantProjectId: projectId });
  }

  private projectColumn(): string {
    return this.repository.metadata.findColumnWithPropertyName('projectId')!.databaseName;
  }

  private where(projectId: string, where?: ProjectWhere<T>): FindOptionsWhere<T> {
    if (Array.isArray(where)) throw new TypeError('ProjectRows takes one filter object: alternatives would each need the project');
    return { ...where, projectId } as FindOptionsWhere<T>;
  }
}
