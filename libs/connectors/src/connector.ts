import type { AppConfig } from '@switchboard/common';
import type { Capability, ConnectionConfig, Secrets, ConnectionType, ConnectionTypeDefinition } from './connection-type';
import type { EgressGuard } from './egress/egress-guard';
import type {
  CatalogInfo,
  ColumnInfo,
  DatabaseInfo,
  FileListing,
  FileSchema,
  FilesRequest,
  IntrospectionContext,
  PreviewRequest,
  QueryRequest,
  QueryResult,
  RowSet,
  SchemaInfo,
  TablePage,
  TableRef,
  TablesRequest,
} from './introspection/types';

/** Stable codes for why a test failed; clients switch on them. */
export const TEST_ERROR_CODES = [
  'DNS_NOT_FOUND',
  'CONNECTION_REFUSED',
  'TIMEOUT',
  'TLS_ERROR',
  'AUTH_FAILED',
  'HOST_KEY_MISMATCH',
  'NOT_FOUND',
  'PERMISSION_DENIED',
  'PROTOCOL_ERROR',
  'EGRESS_DENIED',
] as const;
export type TestErrorCode = (typeof TEST_ERROR_CODES)[number];

export const STAGE_NAMES = ['dns', 'tcp', 'tls', 'ssh', 'tunnel', 'handshake', 'auth', 'warehouse', 'query', 'command', 'http', 'path'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export interface TestError {
  code: TestErrorCode;
  /** Scrubbed: never a secret, a DSN with a password, or a stack. */
  message: string;
}

export interface TestStage {
  name: StageName;
  ok: boolean;
  latencyMs: number;
  error?: TestError;
}

export interface TestResult {
  success: boolean;
  message: string;
  driver: string;
  latencyMs: number;
  serverVersion?: string;
  stages: TestStage[];
  error?: TestError;
  /** Facts worth showing even on failure, e.g. the observed SSH host key fingerprint. */
  details?: Record<string, string | number | boolean>;
}

/** A connection as a connector sees it: validated config and decrypted secrets, nothing else. */
export interface ResolvedConnection {
  /** Changes whenever config or secrets do (live clients are cached per generation); absent for drafts. */
  generation?: string;
  type: ConnectionType;
  config: ConnectionConfig;
  secrets: Secrets;
}

/** Where a connection's config pins an SSH host key: the type's own server (sftp), or its bastion. */
export type HostKeyPinField = 'hostKeyFingerprint' | 'sshTunnel.hostKeyFingerprint';

/** A host key a connection with no pin for it signed in with. */
export interface UnpinnedHostKey {
  field: HostKeyPinField;
  /** SHA256:… as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

export interface ConnectorContext {
  /** Aborts when the operation's deadline passes; connectors pass it to every I/O call. */
  signal: AbortSignal;
  /** Milliseconds left before the deadline. */
  remainingMs(): number;
  egress: EgressGuard;
  /**
   * Trust on first use: told of each unpinned host key a call signed in with (only once
   * authentication succeeded). Given by callers that use a stored connection, which pin it;
   * absent for tests (they pin from a successful result) and drafts.
   */
  trustOnFirstUse?(key: UnpinnedHostKey): void;
}

export interface TestEmailResult {
  accepted: string[];
  rejected: string[];
  messageId: string;
  /** The server's final reply, e.g. "250 2.0.0 Ok: queued". */
  response: string;
}

/**
 * One strategy per type: pure I/O on a resolved connection, no HTTP or ORM. A type implements
 * exactly the optional methods its definition lists as capabilities (see CAPABILITY_METHODS;
 * ConnectorRegistry refuses to start otherwise). Introspection methods throw AppErrors (see
 * introspection/errors.ts): NOT_FOUND for a missing schema or table, CONFLICT,
 * READ_ONLY_VIOLATION, QUERY_FAILED, TARGET_UNAVAILABLE / TARGET_TIMEOUT.
 */
export interface Connector {
  readonly type: ConnectionType;
  test(connection: ResolvedConnection, context: ConnectorContext): Promise<TestResult>;
  /** SMTP only: send one message to `to`; failures throw a StageFailure-like coded error. */
  sendTestEmail?(connection: ResolvedConnection, context: ConnectorContext, to: string): Promise<TestEmailResult>;

  /** Types with catalogs (a lakehouse's catalogs, an Iceberg warehouse): every one, unpaged; the service pages and searches. */
  listCatalogs?(connection: ResolvedConnection, context: IntrospectionContext): Promise<CatalogInfo[]>;
  listDatabases?(connection: ResolvedConnection, context: IntrospectionContext): Promise<DatabaseInfo[]>;
  /** `catalog` only reaches types with catalogs; NOT_FOUND when it names none. */
  listSchemas?(connection: ResolvedConnection, context: IntrospectionContext, database?: string, catalog?: string): Promise<SchemaInfo[]>;
  /** Creates the schema; CONFLICT when it exists. */
  createSchema?(connection: ResolvedConnection, context: IntrospectionContext, name: string, database?: string): Promise<SchemaInfo>;
  listTables?(connection: ResolvedConnection, context: IntrospectionContext, request: TablesRequest): Promise<TablePage>;
  listColumns?(connection: ResolvedConnection, context: IntrospectionContext, table: TableRef): Promise<ColumnInfo[]>;
  preview?(connection: ResolvedConnection, context: IntrospectionContext, request: PreviewRequest): Promise<RowSet>;
  /** One statement, read-only, server-side timeout, rows through a cursor up to limit + 1. */
  query?(connection: ResolvedConnection, context: IntrospectionContext, request: QueryRequest): Promise<QueryResult>;
  listFiles?(connection: ResolvedConnection, context: IntrospectionContext, request: FilesRequest): Promise<FileListing>;
  inferFileSchema?(connection: ResolvedConnection, context: IntrospectionContext, path: string): Promise<FileSchema>;
}

/**
 * The connection cannot be tested as configured, whatever the target says (e.g. a SQLite
 * path outside the allowed root): the API answers 422 instead of a failed test result.
 */
export class ConnectionRejected extends Error {
  override name = 'ConnectionRejected';
}

/** The method of Connector behind each capability a definition can declare. */
export const CAPABILITY_METHODS = {
  test: 'test',
  catalogs: 'listCatalogs',
  databases: 'listDatabases',
  schemas: 'listSchemas',
  createSchema: 'createSchema',
  tables: 'listTables',
  columns: 'listColumns',
  preview: 'preview',
  query: 'query',
  files: 'listFiles',
  fileSchema: 'inferFileSchema',
  sendTestEmail: 'sendTestEmail',
} as const satisfies Record<Capability, keyof Connector>;

/** A connector whose method behind capability C is there: ConnectorRegistry checks it at start-up. */
export type ConnectorWith<C extends Capability> = Connector & Required<Pick<Connector, (typeof CAPABILITY_METHODS)[C]>>;

/** A connection type as a whole, what its folder exports: what it is, and the connector that talks to it. */
export interface SupportedConnectionType<T extends string = ConnectionType> {
  definition: ConnectionTypeDefinition<T>;
  createConnector(config: AppConfig): Connector & { readonly type: T };
}
