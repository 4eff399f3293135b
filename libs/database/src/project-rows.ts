import type {
  DataSource,
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
import { PreparedInsert } from './prepared-insert';
import { placeholder, preparedQuery } from './prepared-query';

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
  private inserts?: PreparedInsert<T>;

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

  /**
   * Inserts `row` into the project as plain SQL (PreparedInsert), for hot paths: every column is
   * written, a property left undefined as NULL. Inside a transaction when `manager` is its own.
   */
  async insertPrepared(projectId: string, row: T, manager?: EntityManager): Promise<void> {
    this.inserts ??= new PreparedInsert(this.dataSource(), this.repository.target);
    await this.inserts.run({ ...row, projectId }, manager);
  }

  /**
   * Plain SQL on the project's rows for hot paths that skip the query builder, built once and
   * kept by the caller. `build` gets the WHERE clause that names the project (`WHERE
   * <alias>.project_id = $1`, with `alias` the table's alias in the statement, or none) and
   * must use it, followed only by conditions joined with AND; `ProjectSql.run` binds the project
   * as parameter 1, so the caller's parameters number from 2 (`placeholder`).
   */
  sql<R = Record<string, unknown>>(alias: string | null, build: (where: string) => string): ProjectSql<R> {
    const where = `WHERE ${alias ? `${alias}.` : ''}${this.projectColumn()} = ${placeholder(this.dataSource(), 1)}`;
    return new ProjectSql<R>(this.dataSource(), scoped(build(where), where, placeholder(this.dataSource(), 1) === '?'));
  }

  /** The placeholder of the caller's parameter `n` in `sql` (from 2: parameter 1 is the project). */
  placeholder(n: number): string {
    if (n < 2) throw new RangeError('Parameter 1 of a project statement is the project');
    return placeholder(this.dataSource(), n);
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

  private dataSource(): DataSource {
    return this.repository.manager.connection;
  }

  private projectColumn(): string {
    return this.repository.metadata.findColumnWithPropertyName('projectId')!.databaseName;
  }

  private where(projectId: string, where?: ProjectWhere<T>): FindOptionsWhere<T> {
    if (Array.isArray(where)) throw new TypeError('ProjectRows takes one filter object: alternatives would each need the project');
    return { ...where, projectId } as FindOptionsWhere<T>;
  }
}

/** A plain-SQL statement over one project's rows, from `ProjectRows.sql`: prepared on PostgreSQL. */
export class ProjectSql<R = Record<string, unknown>> {
  constructor(
    private readonly dataSource: DataSource,
    readonly text: string,
  ) {}

  /** `values` are parameters 2, 3, …; inside a transaction when `manager` is its own. */
  run(projectId: string, values: readonly unknown[], manager?: EntityManager): Promise<R[]> {
    return preparedQuery<R>(manager ?? this.dataSource, this.text, [projectId, ...values]);
  }
}

/**
 * `text`, once it is known to hold the project's WHERE clause exactly once and no OR outside
 * parentheses after it (`… AND a OR b` would reach every project's rows matching b). `?`
 * placeholders bind in order of appearance, so none may come before the project's.
 */
function scoped(text: string, where: string, positional: boolean): string {
  const at = text.indexOf(where);
  if (at < 0 || text.indexOf(where, at + 1) >= 0) throw new TypeError(`A project statement names the project once: ${text}`);
  if (positional && text.lastIndexOf('?', at) >= 0) throw new TypeError(`A project statement binds the project first: ${text}`);
  let depth = 0;
  for (const token of text.slice(at + where.length).matchAll(/[()]|\bOR\b/gi)) {
    if (token[0] === '(') depth++;
    else if (token[0] === ')') depth--;
    else if (depth === 0) throw new TypeError(`A project statement joins its conditions with AND: ${text}`);
  }
  return text;
}
