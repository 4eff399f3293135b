import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { AppConfig, AppError, ErrorCode, InjectConfig, Page } from '@switchboard/common';
import { ConnectionResolver, PinnableConnection, SshHostKeyPins } from '@switchboard/connections';
import {
  Capability,
  CatalogInfo,
  ColumnInfo,
  ConnectorRegistry,
  ConnectorWith,
  ConnectionTypeRegistry,
  DatabaseInfo,
  FileListing,
  FileSchema,
  IntrospectionContext,
  QueryResult,
  ResolvedConnection,
  SchemaInfo,
  TableInfo,
} from '@switchboard/connectors';
import type { ProjectAccess } from '@switchboard/projects';
import {
  CatalogsQueryDto,
  CreateSchemaDto,
  DiscoverDto,
  FileSchemaQueryDto,
  FilesQueryDto,
  PreviewDto,
  PreviewQueryDto,
  QueryDto,
  SchemasQueryDto,
  TableQueryDto,
  TablesQueryDto,
} from './introspection.dto';
import { DEFAULT_DISCOVER_LIMITS, discoverCatalogs, DiscoverLimits, Discovery } from './discovery';
import { Outbound } from './outbound';

/** Deadline of a catalog call (connect included). */
export const INTROSPECTION_TIMEOUT_MS = 15_000;
/** Audit events keep this much of a statement. */
const AUDITED_SQL_CHARS = 4_000;

const OPERATION_WORDS: Record<Capability, string> = {
  test: 'be tested',
  catalogs: 'list catalogs',
  databases: 'list databases',
  schemas: 'list schemas',
  createSchema: 'create schemas',
  tables: 'list tables',
  columns: 'list columns',
  preview: 'preview rows',
  query: 'run queries',
  files: 'list files',
  fileSchema: 'infer file schemas',
  sendTestEmail: 'send email',
};

type Resolved = ResolvedConnection & { connection: PinnableConnection };

/** "What is in there?": catalogs, previews, read-only queries and files of a stored connection. */
@Injectable()
export class IntrospectionService {
  private readonly discoverLimits: DiscoverLimits;

  constructor(
    private readonly resolver: ConnectionResolver,
    private readonly types: ConnectionTypeRegistry,
    private readonly connectors: ConnectorRegistry,
    private readonly outbound: Outbound,
    private readonly audit: AuditService,
    private readonly hostKeyPins: SshHostKeyPins,
    @InjectConfig() config: AppConfig,
  ) {
    this.discoverLimits = config.discoverLimits ?? DEFAULT_DISCOVER_LIMITS;
  }

  async catalogs(actor: AuditActor, access: ProjectAccess, ref: string, query: CatalogsQueryDto): Promise<Page<CatalogInfo>> {
    const { page, perPage } = query;
    const all = await this.run(actor, access, ref, 'catalogs', INTROSPECTION_TIMEOUT_MS, (c, r, ctx) => c.listCatalogs(r, ctx));
    const search = query.search?.toLowerCase();
    const matching = search ? all.filter((catalog) => catalog.name.toLowerCase().includes(search)) : all;
    return { data: matching.slice((page - 1) * perPage, page * perPage), meta: { total: matching.length, page, perPage } };
  }

  /** Every catalog (or the one named) with its schema names, bounded; audited like a preview (what was asked, not the names). */
  async discover(actor: AuditActor, access: ProjectAccess, ref: string, dto: DiscoverDto): Promise<Discovery & { connectionId: string }> {
    return this.audited(actor, access, ref, 'connection.discover', { catalog: dto.catalog ?? null }, async (resolved) => {
      const discovery = await this.call(actor, access, resolved, 'catalogs', INTROSPECTION_TIMEOUT_MS, async (c, r, ctx) => {
        const schemas = this.connectors.find(r.type, 'schemas');
        const listSchemas = async (catalog: string) => (schemas ? schemas.listSchemas(r, ctx, undefined, catalog) : []);
        return discoverCatalogs(await c.listCatalogs(r, ctx), dto.catalog, listSchemas, this.discoverLimits);
      });
      return { connectionId: resolved.connection.id, ...discovery };
    });
  }

  async databases(actor: AuditActor, access: ProjectAccess, ref: string): Promise<{ data: DatabaseInfo[] }> {
    const data = await this.run(actor, access, ref, 'databases', INTROSPECTION_TIMEOUT_MS, (c, r, ctx) => c.listDatabases(r, ctx));
    return { data };
  }

  async schemas(actor: AuditActor, access: ProjectAccess, ref: string, query: SchemasQueryDto): Promise<{ data: SchemaInfo[] }> {
    const data = await this.run(actor, access, ref, 'schemas', INTROSPECTION_TIMEOUT_MS, (c, r, ctx) =>
      c.listSchemas(r, ctx, query.database, this.catalogOf(r, query.catalog)),
    );
    return { data };
  }

  async createSchema(actor: AuditActor, access: ProjectAccess, ref: string, dto: CreateSchemaDto): Promise<SchemaInfo> {
    return this.audited(actor, access, ref, 'connection.schema_create', { schema: dto.name, database: dto.database ?? null }, (resolved) =>
      this.call(actor, access, resolved, 'createSchema', INTROSPECTION_TIMEOUT_MS, (c, r, ctx) =>
        c.createSchema(r, ctx, dto.name, dto.database),
      ),
    );
  }

  async tables(actor: AuditActor, access: ProjectAccess, ref: string, query: TablesQueryDto): Promise<Page<TableInfo>> {
    const { page, perPage, schema, search } = query;
    const result = await this.run(actor, access, ref, 'tables', INTROSPECTION_TIMEOUT_MS, (c, r, ctx) =>
      c.listTables(r, ctx, { ...this.catalogField(r, query.catalog), schema, search, offset: (page - 1) * perPage, limit: perPage }),
    );
    return { data: result.tables, meta: { total: result.total, page, perPage } };
  }

  async columns(actor: AuditActor, access: ProjectAccess, ref: string, query: TableQueryDto): Promise<{ data: ColumnInfo[] }> {
    const data = await this.run(actor, access, ref, 'columns', INTROSPECTION_TIMEOUT_MS, (c, r, ctx) =>
      c.listColumns(r, ctx, { ...this.catalogField(r, query.catalog), schema: query.schema, table: query.table }),
    );
    return { data };
  }

  /** Reads table data, so it is audited like a query (the table, not the rows). */
  async preview(actor: AuditActor, access: ProjectAccess, ref: string, query: PreviewQueryDto): Promise<PreviewDto> {
    const request = { schema: query.schema, table: query.table, limit: query.limit };
    const details = {
      ...(query.catalog === undefined ? {} : { catalog: query.catalog }),
      schema: query.schema ?? null,
      table: query.table,
      limit: query.limit,
    };
    const rows = await this.audited(actor, access, ref, 'connection.preview', details, (resolved) =>
      this.call(actor, access, resolved, 'preview', INTROSPECTION_TIMEOUT_MS, (c, r, ctx) =>
        c.preview(r, ctx, { ...this.catalogField(r, query.catalog), ...request }),
      ),
    );
    return { ...rows, limit: query.limit };
  }

  /** One read-only statement within timeoutMs, connecting included; the audit trail keeps its text (not its results). */
  query(actor: AuditActor, access: ProjectAccess, ref: string, dto: QueryDto): Promise<QueryResult> {
    const request = { sql: dto.sql, limit: dto.limit, timeoutMs: dto.timeoutMs };
    const details = { statement: dto.sql.slice(0, AUDITED_SQL_CHARS), limit: dto.limit, timeoutMs: dto.timeoutMs };
    return this.audited(actor, access, ref, 'connection.query', details, (resolved) =>
      this.call(actor, access, resolved, 'query', dto.timeoutMs, (c, r, ctx) => c.query(r, ctx, request)),
    );
  }

  files(actor: AuditActor, access: ProjectAccess, ref: string, query: FilesQueryDto): Promise<FileListing> {
    const request = { prefix: query.prefix, delimiter: query.delimiter, cursor: query.cursor, limit: query.limit };
    return this.run(actor, access, ref, 'files', INTROSPECTION_TIMEOUT_MS, (c, r, ctx) => c.listFiles(r, ctx, request));
  }

  fileSchema(actor: AuditActor, access: ProjectAccess, ref: string, query: FileSchemaQueryDto): Promise<FileSchema> {
    return this.run(actor, access, ref, 'fileSchema', INTROSPECTION_TIMEOUT_MS, (c, r, ctx) => c.inferFileSchema(r, ctx, query.path));
  }

  /** `catalog` as given, for a type with catalogs; a type without any answers 422 rather than ignore it. */
  private catalogOf(resolved: ResolvedConnection, catalog: string | undefined): string | undefined {
    if (catalog === undefined || this.connectors.find(resolved.type, 'catalogs')) return catalog;
    const { label } = this.types.validateType(resolved.type);
    throw new AppError(ErrorCode.UNSUPPORTED_OPERATION, `This ${label} connection has no catalogs; leave catalog out.`);
  }

  private catalogField(resolved: ResolvedConnection, catalog: string | undefined): { catalog?: string } {
    const checked = this.catalogOf(resolved, catalog);
    return checked === undefined ? {} : { catalog: checked };
  }

  private async run<C extends Capability, T>(
    actor: AuditActor,
    access: ProjectAccess,
    ref: string,
    capability: C,
    timeoutMs: number,
    work: (connector: ConnectorWith<C>, resolved: ResolvedConnection, context: IntrospectionContext) => Promise<T>,
  ): Promise<T> {
    return this.call(actor, access, await this.resolve(access, ref), capability, timeoutMs, work);
  }

  private resolve(access: ProjectAccess, ref: string): Promise<Resolved> {
    return this.resolver.resolveForUse(access.project.id, ref);
  }

  /**
   * Runs one connector operation, after checking the type advertises it (422 otherwise); an
   * unpinned SSH host key it signed in with is pinned (trust on first use, see SshHostKeyPins).
   */
  private call<C extends Capability, T>(
    actor: AuditActor,
    access: ProjectAccess,
    resolved: Resolved,
    capability: C,
    timeoutMs: number,
    work: (connector: ConnectorWith<C>, resolved: ResolvedConnection, context: IntrospectionContext) => Promise<T>,
  ): Promise<T> {
    const connector = this.connectors.find(resolved.type, capability);
    if (!connector) {
      const { label } = this.types.validateType(resolved.type);
      throw new AppError(ErrorCode.UNSUPPORTED_OPERATION, `This ${label} connection cannot ${OPERATION_WORDS[capability]}.`);
    }
    const owner = { connectionId: resolved.connection.id, generation: resolved.generation ?? '' };
    const labels = { type: resolved.type, operation: capability };
    return this.hostKeyPins.trustingFirstUse(actor, access.project.id, resolved.connection, capability, (trustOnFirstUse) =>
      this.outbound.introspect(access.project.id, owner, labels, timeoutMs, (context) =>
        work(connector, resolved, { ...context, trustOnFirstUse }),
      ),
    );
  }

  /** Runs `work` and records the outcome, with the error code when it failed. */
  private async audited<T>(
    actor: AuditActor,
    access: ProjectAccess,
    ref: string,
    action: string,
    details: Record<string, string | number | null>,
    work: (resolved: Resolved) => Promise<T>,
  ): Promise<T> {
    const resolved = await this.resolve(access, ref);
    const record = (outcome: 'success' | 'failure', extra: Record<string, string | number | null>) =>
      this.audit.record({
        actor,
        projectId: access.project.id,
        action,
        target: { type: 'connection', id: resolved.connection.id, name: resolved.connection.name },
        outcome,
        details: { ...details, ...extra },
      });
    try {
      const result = await work(resolved);
      const rowCount = (result as { rows?: unknown[] }).rows?.length;
      await record('success', rowCount === undefined ? {} : { rowCount });
      return result;
    } catch (error) {
      await record('failure', { errorCode: error instanceof AppError ? error.code : ErrorCode.INTERNAL_ERROR });
      throw error;
    }
  }
}
