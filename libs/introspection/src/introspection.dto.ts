import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsOptionalNotNull, PageDtoOf, PageQueryDto } from '@switchboard/common';
import { FILE_COLUMN_TYPES, FILE_FORMATS, TABLE_KINDS } from '@switchboard/connectors';

export const DEFAULT_PREVIEW_LIMIT = 100;
export const MAX_PREVIEW_LIMIT = 1_000;
export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 10_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 5_000;
export const MAX_QUERY_TIMEOUT_MS = 60_000;
export const MAX_SQL_LENGTH = 100_000;
export const DEFAULT_FILES_LIMIT = 100;
export const MAX_FILES_LIMIT = 1_000;
/** Longer than any engine allows (PostgreSQL 63 bytes, MySQL 64 characters): a longer name names nothing. */
const MAX_IDENTIFIER = 1_024;
const MAX_PATH = 4_096;

const identifier = (description: string, example: string) =>
  ApiPropertyOptional({ description, example, maxLength: MAX_IDENTIFIER }) as PropertyDecorator;

const CATALOG_DESCRIPTION =
  "Types with catalogs (databricks, iceberg): the catalog; the connection's default when absent. Other types answer 422.";

/** `catalog`, for types with catalogs: the level above schema wherever a schema or table is named. */
const catalogParameter = (): PropertyDecorator =>
  applyDecorators(
    identifier(CATALOG_DESCRIPTION, 'analytics'),
    IsOptional(),
    IsString(),
    MinLength(1),
    MaxLength(MAX_IDENTIFIER),
  ) as PropertyDecorator;

export class CatalogsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Case-insensitive part of the catalog name.', example: 'analytics' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_IDENTIFIER)
  search?: string;
}

export class DiscoverDto {
  @identifier('Only this catalog (404 when there is none of that name); every catalog when absent.', 'analytics')
  @IsOptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_IDENTIFIER)
  catalog?: string;
}

export class SchemasQueryDto {
  @catalogParameter()
  catalog?: string;

  @identifier("PostgreSQL: another database of the same server; the connection's database when absent.", 'analytics')
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_IDENTIFIER)
  database?: string;
}

export class CreateSchemaDto {
  @ApiProperty({ description: 'Schema name, 1-63 bytes; created exactly as given (quoted).', example: 'staging' })
  @IsString()
  @MinLength(1)
  @MaxLength(63)
  name: string;

  @identifier("Database to create it in; the connection's database when absent.", 'analytics')
  @IsOptionalNotNull()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_IDENTIFIER)
  database?: string;
}

export class TablesQueryDto extends PageQueryDto {
  @catalogParameter()
  catalog?: string;

  @identifier("Schema (MySQL: database) to list; absent: the connection's schema, or every non-system schema when it has none.", 'public')
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_IDENTIFIER)
  schema?: string;

  @ApiPropertyOptional({ description: 'Case-insensitive part of the table name; % and _ match themselves.', example: 'order' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_IDENTIFIER)
  search?: string;
}

export class TableQueryDto {
  @catalogParameter()
  catalog?: string;

  @identifier("Schema (MySQL: database; SQLite: main); the connection's default when absent.", 'public')
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_IDENTIFIER)
  schema?: string;

  @ApiProperty({
    description: 'Table or view name, exactly as in the catalog (case matters).',
    example: 'orders',
    maxLength: MAX_IDENTIFIER,
  })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_IDENTIFIER)
  table: string;
}

export class PreviewQueryDto extends TableQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PREVIEW_LIMIT, default: DEFAULT_PREVIEW_LIMIT, example: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PREVIEW_LIMIT)
  limit: number = DEFAULT_PREVIEW_LIMIT;
}

export class QueryDto {
  @ApiProperty({
    description: 'One statement. It runs in a read-only transaction; anything that would write answers 422 READ_ONLY_VIOLATION.',
    example: 'SELECT id, status, total FROM orders ORDER BY id DESC',
    maxLength: MAX_SQL_LENGTH,
  })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_SQL_LENGTH)
  @Matches(/\S/, { message: 'sql must not be blank' })
  sql: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_QUERY_LIMIT, default: DEFAULT_QUERY_LIMIT, example: 100 })
  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(MAX_QUERY_LIMIT)
  limit: number = DEFAULT_QUERY_LIMIT;

  @ApiPropertyOptional({
    minimum: 100,
    maximum: MAX_QUERY_TIMEOUT_MS,
    default: DEFAULT_QUERY_TIMEOUT_MS,
    example: 5000,
    description:
      'Deadline of the whole call, connecting included (504 TARGET_TIMEOUT when it passes); the statement runs with a server-side timeout of what is left.',
  })
  @IsOptionalNotNull()
  @IsInt()
  @Min(100)
  @Max(MAX_QUERY_TIMEOUT_MS)
  timeoutMs: number = DEFAULT_QUERY_TIMEOUT_MS;
}

export class FilesQueryDto {
  @ApiPropertyOptional({
    description: "Relative to the connection's prefix (S3) or rootPath (SFTP).",
    example: 'exports/2026/',
    default: '',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PATH)
  prefix: string = '';

  @ApiPropertyOptional({
    description: "'/' groups what lies below the next '/' into commonPrefixes (folders).",
    enum: ['/'],
    example: '/',
  })
  @IsOptional()
  @IsIn(['/'])
  delimiter?: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PATH * 2)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_FILES_LIMIT, default: DEFAULT_FILES_LIMIT, example: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_FILES_LIMIT)
  limit: number = DEFAULT_FILES_LIMIT;
}

export class FileSchemaQueryDto {
  @ApiProperty({ description: 'A key from the files listing.', example: 'exports/2026/orders.csv', maxLength: MAX_PATH })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_PATH)
  path: string;
}

// Responses

export class SchemaDto {
  @ApiProperty({ example: 'public' }) name: string;
}

export class SchemaListDto {
  @ApiProperty({ type: [SchemaDto] }) data: SchemaDto[];
}

export class CatalogDto {
  @ApiProperty({ example: 'analytics' }) name: string;
  @ApiPropertyOptional({ description: "The kind of catalog in the target's words, when it says.", example: 'ICEBERG_REST' })
  type?: string;
  @ApiPropertyOptional({ example: 'Warehouse of the analytics team' }) comment?: string;
}

export class CatalogPageDto extends PageDtoOf(CatalogDto) {}

export class DiscoveredCatalogDto {
  @ApiProperty({ example: 'analytics' }) name: string;
  @ApiProperty({ example: ['accounting', 'accounting.tax', 'sales'], type: [String] }) schemas: string[];
}

export class DiscoveryDto {
  @ApiProperty({ example: '0193a5b2-5a8e-7c1f-9d2e-3b4c5d6e7f80' }) connectionId: string;
  @ApiProperty({ type: [DiscoveredCatalogDto] }) catalogs: DiscoveredCatalogDto[];
  @ApiProperty({ description: 'Catalogs or schemas were left out: at most 1,000 catalogs and 10,000 schemas in all.', example: false })
  truncated: boolean;
}

export class DatabaseDto {
  @ApiProperty({ example: 'analytics' }) name: string;
  @ApiPropertyOptional({ type: [SchemaDto], description: 'PostgreSQL: absent when that database could not be opened.' })
  schemas?: SchemaDto[];
}

export class DatabaseListDto {
  @ApiProperty({ type: [DatabaseDto] }) data: DatabaseDto[];
}

export class TableDto {
  @ApiProperty({ example: 'orders' }) name: string;
  @ApiProperty({ example: 'public' }) schema: string;
  @ApiProperty({ enum: TABLE_KINDS, example: 'TABLE' }) type: string;
}

export class TablePageDto extends PageDtoOf(TableDto) {}

export class ColumnDto {
  @ApiProperty({ example: 'id' }) name: string;
  @ApiProperty({ example: 'bigint' }) type: string;
  @ApiProperty({ example: false }) nullable: boolean;
  @ApiProperty({ example: "nextval('orders_id_seq'::regclass)", nullable: true, type: String }) default: string | null;
  @ApiProperty({ example: true }) primaryKey: boolean;
  @ApiProperty({ example: 1 }) position: number;
}

export class ColumnListDto {
  @ApiProperty({ type: [ColumnDto] }) data: ColumnDto[];
}

export class ResultColumnDto {
  @ApiProperty({ example: 'total' }) name: string;
  @ApiProperty({ example: 'numeric(12,2)' }) type: string;
}

const ROWS_DESCRIPTION =
  'Arrays in `columns` order. 64-bit integers and decimals are strings; dates and times ISO 8601 (zoned ones in UTC); ' +
  'binary "\\x" + hex; text over 4,096 characters and binary over 2,048 bytes end in "…[truncated; N characters|bytes]".';

export class PreviewDto {
  @ApiProperty({ type: [ResultColumnDto] }) columns: ResultColumnDto[];
  @ApiProperty({ description: ROWS_DESCRIPTION, example: [[1, 'shipped', '19.90']], type: 'array', items: { type: 'array', items: {} } })
  rows: unknown[][];
  @ApiProperty({ description: 'More rows exist than were returned (limit, or the 16 MiB response budget).', example: true })
  truncated: boolean;
  @ApiProperty({ example: 100 }) limit: number;
}

export class QueryStatsDto {
  @ApiProperty({ example: 1 }) rowCount: number;
  @ApiProperty({ example: 3.2 }) executionMs: number;
}

export class QueryResultDto {
  @ApiProperty({ type: [ResultColumnDto] }) columns: ResultColumnDto[];
  @ApiProperty({ description: ROWS_DESCRIPTION, example: [[1, 'shipped', '19.90']], type: 'array', items: { type: 'array', items: {} } })
  rows: unknown[][];
  @ApiProperty({ example: false }) truncated: boolean;
  @ApiProperty({ type: QueryStatsDto }) stats: QueryStatsDto;
}

export class FileObjectDto {
  @ApiProperty({ example: 'exports/2026/orders.csv' }) key: string;
  @ApiProperty({ example: 1048576 }) size: number;
  @ApiProperty({ example: '2026-11-20T08:15:00.000Z', nullable: true, type: String }) lastModified: string | null;
}

export class FileListingDto {
  @ApiProperty({ example: 'exports/2026/' }) prefix: string;
  @ApiProperty({ type: [FileObjectDto] }) objects: FileObjectDto[];
  @ApiProperty({ example: ['exports/2026/11/'] }) commonPrefixes: string[];
  @ApiProperty({ nullable: true, type: String, example: null }) nextCursor: string | null;
}

export class FileColumnDto {
  @ApiProperty({ example: 'order_id' }) name: string;
  @ApiProperty({ enum: FILE_COLUMN_TYPES, example: 'integer' }) type: string;
  @ApiProperty({ example: false }) nullable: boolean;
}

export class FileSchemaDto {
  @ApiProperty({ example: 'exports/2026/orders.csv' }) path: string;
  @ApiProperty({ enum: FILE_FORMATS, example: 'csv' }) format: string;
  @ApiProperty({ type: [FileColumnDto] }) columns: FileColumnDto[];
  @ApiProperty({ example: { delimiter: ',', header: true, sampledRows: 1000, bytesRead: 262144 } })
  details: Record<string, string | number | boolean>;
}
