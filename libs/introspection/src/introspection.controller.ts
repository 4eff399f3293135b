import { applyDecorators, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuditActor } from '@switchboard/audit';
import { CurrentActor } from '@switchboard/auth';
import { ApiProblems, Page, ValidBody, ValidQuery } from '@switchboard/common';
import type {
  CatalogInfo,
  ColumnInfo,
  DatabaseInfo,
  FileListing,
  FileSchema,
  QueryResult,
  SchemaInfo,
  TableInfo,
} from '@switchboard/connectors';
import { CurrentProject, type ProjectAccess, ProjectScoped } from '@switchboard/projects';
import {
  CatalogPageDto,
  CatalogsQueryDto,
  ColumnListDto,
  CreateSchemaDto,
  DatabaseListDto,
  DiscoverDto,
  DiscoveryDto,
  FileListingDto,
  FileSchemaDto,
  FileSchemaQueryDto,
  FilesQueryDto,
  PreviewDto,
  PreviewQueryDto,
  QueryDto,
  QueryResultDto,
  SchemaDto,
  SchemaListDto,
  SchemasQueryDto,
  TablePageDto,
  TableQueryDto,
  TablesQueryDto,
} from './introspection.dto';
import { IntrospectionService } from './introspection.service';

/** The problems every introspection route can answer besides auth: bad input, type cannot, limits, target down. */
const Introspects = (summary: string, description: string) =>
  applyDecorators(
    ApiParam({ name: 'connection', description: 'Connection name or id', example: 'warehouse' }),
    ApiOperation({ summary, description }),
    ApiProblems(400, 422, 429, 502, 504),
  );

@ApiTags('introspection')
@Controller('projects/:project/connections/:connection')
export class IntrospectionController {
  constructor(private readonly introspection: IntrospectionService) {}

  @Get('catalogs')
  @ProjectScoped('connections:test')
  @Introspects(
    'List catalogs',
    "Types with catalogs (databricks: Unity Catalog's catalogs; iceberg: the warehouse); others answer 422 UNSUPPORTED_OPERATION.",
  )
  @ApiOkResponse({ type: CatalogPageDto })
  catalogs(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidQuery() query: CatalogsQueryDto,
  ): Promise<Page<CatalogInfo>> {
    return this.introspection.catalogs(actor, access, ref, query);
  }

  @Post('discover')
  @HttpCode(200)
  @ProjectScoped('connections:test')
  @Introspects(
    'Discover catalogs and their schemas',
    'Every catalog (or `catalog`) with its schema names, at most 1,000 catalogs and 10,000 schemas in all (`truncated` when cut). ' +
      'Types without catalogs answer 422 UNSUPPORTED_OPERATION. Audited.',
  )
  @ApiOkResponse({ type: DiscoveryDto })
  discover(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidBody() dto: DiscoverDto,
  ): Promise<DiscoveryDto> {
    return this.introspection.discover(actor, access, ref, dto);
  }

  @Get('databases')
  @ProjectScoped('connections:test')
  @Introspects('List databases', 'PostgreSQL lists each database with its schemas; MySQL lists its databases (schemas).')
  @ApiOkResponse({ type: DatabaseListDto })
  databases(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
  ): Promise<{ data: DatabaseInfo[] }> {
    return this.introspection.databases(actor, access, ref);
  }

  @Get('schemas')
  @ProjectScoped('connections:test')
  @Introspects('List schemas', "Non-system schemas of the connection's database, or of `database` (PostgreSQL).")
  @ApiOkResponse({ type: SchemaListDto })
  schemas(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidQuery() query: SchemasQueryDto,
  ): Promise<{ data: SchemaInfo[] }> {
    return this.introspection.schemas(actor, access, ref, query);
  }

  @Post('schemas')
  @HttpCode(201)
  @ProjectScoped('connections:write')
  @Introspects('Create a schema (PostgreSQL)', 'The name is used exactly as given, quoted. 409 when it exists. Audited.')
  @ApiCreatedResponse({ type: SchemaDto })
  @ApiProblems(409)
  createSchema(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidBody() dto: CreateSchemaDto,
  ): Promise<SchemaInfo> {
    return this.introspection.createSchema(actor, access, ref, dto);
  }

  @Get('tables')
  @ProjectScoped('connections:test')
  @Introspects('List tables and views', 'From the catalog, one query per page, with the total; 10,000 tables are fine.')
  @ApiOkResponse({ type: TablePageDto })
  tables(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidQuery() query: TablesQueryDto,
  ): Promise<Page<TableInfo>> {
    return this.introspection.tables(actor, access, ref, query);
  }

  @Get('columns')
  @ProjectScoped('connections:test')
  @Introspects('List the columns of a table', '404 when the table is not in the catalog.')
  @ApiOkResponse({ type: ColumnListDto })
  columns(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidQuery() query: TableQueryDto,
  ): Promise<{ data: ColumnInfo[] }> {
    return this.introspection.columns(actor, access, ref, query);
  }

  @Get('preview')
  @ProjectScoped('data:read')
  @Introspects(
    'Preview the first rows of a table',
    'The table is checked against the catalog and quoted, never spliced. Rows are arrays in column order; audited.',
  )
  @ApiOkResponse({ type: PreviewDto })
  preview(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidQuery() query: PreviewQueryDto,
  ): Promise<PreviewDto> {
    return this.introspection.preview(actor, access, ref, query);
  }

  @Post('query')
  @HttpCode(200)
  @ProjectScoped('data:read')
  @Introspects(
    'Run one read-only statement',
    'In a read-only transaction with a server-side statement timeout; rows come through a cursor up to `limit`, so ' +
      '`truncated` is exact. A write of any kind answers 422 READ_ONLY_VIOLATION and changes nothing. The statement text is audited. ' +
      'Databricks has no read-only transaction: it answers 422 UNSUPPORTED_OPERATION unless the connection sets ' +
      "readOnlyByGrants, and then the token's Unity Catalog grants are the only guard (one statement, row_limit, cancelled at the deadline).",
  )
  @ApiOkResponse({ type: QueryResultDto })
  query(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidBody() dto: QueryDto,
  ): Promise<QueryResult> {
    return this.introspection.query(actor, access, ref, dto);
  }

  @Get('files')
  @ProjectScoped('connections:test')
  @Introspects('List files (S3, SFTP)', "Keys relative to the connection's prefix or rootPath; page with nextCursor.")
  @ApiOkResponse({ type: FileListingDto })
  files(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidQuery() query: FilesQueryDto,
  ): Promise<FileListing> {
    return this.introspection.files(actor, access, ref, query);
  }

  @Get('file-schema')
  @ProjectScoped('connections:test')
  @Introspects(
    'Infer the columns of a file (S3, SFTP)',
    'CSV (delimiter and header detected), JSON lines, JSON arrays, Parquet. Reads the head of the file only, or the Parquet footer.',
  )
  @ApiOkResponse({ type: FileSchemaDto })
  fileSchema(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidQuery() query: FileSchemaQueryDto,
  ): Promise<FileSchema> {
    return this.introspection.fileSchema(actor, access, ref, query);
  }
}
