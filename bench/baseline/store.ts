import Database from 'better-sqlite3';
import { Pool, type PoolClient } from 'pg';

/**
 * The rows the baseline reads and writes: the service's own tables, through hand-written
 * SQL (prepared statements, the needed columns only, one round trip where one is enough).
 * One implementation per metadata database the service supports.
 */

/** An API key found by its hash, its creator, and the creator's role in the project the path names. */
export interface KeyAccess {
  keyId: string;
  keyProjectId: string;
  scopes: string[];
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  userId: string;
  userDisabled: boolean;
  userIsAdmin: boolean;
  /** The project the slug names (null: none), and the creator's role there (null: not a member). */
  projectId: string | null;
  role: string | null;
}

export interface ConnectionRow {
  id: string;
  projectId: string;
  name: string;
  type: string;
  description: string | null;
  /** JSON text, as stored. */
  config: string;
  credentialId: string | null;
  ownsCredential: boolean;
  enabled: boolean;
  labels: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string | null;
  /** JSON text of the credential's secret field names (null: no credential). */
  secretFields: string | null;
}

export interface CredentialInsert {
  id: string;
  projectId: string;
  envelope: string;
  keyId: string;
  secretFields: string[];
  fingerprint: string;
  ownerConnectionId: string;
  createdBy: string;
  at: string;
}

export interface AuditInsert {
  id: string;
  projectId: string;
  userId: string;
  apiKeyId: string;
  action: string;
  targetType: string;
  targetId: string;
  targetName: string;
  outcome: string;
  requestId: string;
  ip: string;
  details: string;
  at: string;
}

export interface Store {
  authenticate(keyHash: string, projectSlug: string): Promise<KeyAccess | null>;
  touchKey(keyId: string, at: Date): Promise<void>;
  findConnection(projectId: string, name: string): Promise<ConnectionRow | null>;
  listConnections(projectId: string, type: string, limit: number, offset: number): Promise<{ rows: ConnectionRow[]; total: number }>;
  insertConnection(connection: ConnectionRow, credential: CredentialInsert): Promise<void>;
  consumersOf(projectId: string, connectionId: string): Promise<string[]>;
  deleteConnection(projectId: string, connectionId: string, credentialId: string | null): Promise<void>;
  readEnvelope(projectId: string, credentialId: string): Promise<string | null>;
  insertAudit(event: AuditInsert): Promise<void>;
  close(): Promise<void>;
}

const AUTH_SQL = (p: (n: number) => string) => `
  SELECT k.id AS key_id, k.project_id AS key_project_id, k.scopes, k.expires_at, k.revoked_at, k.last_used_at,
         k.created_by AS user_id, u.disabled, u.is_admin, p.id AS project_id, m.role
  FROM api_keys k
  JOIN users u ON u.id = k.created_by
  LEFT JOIN projects p ON p.slug = ${p(2)}
  LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = k.created_by
  WHERE k.key_hash = ${p(1)}`;

const CONNECTION_COLUMNS = `n.id, n.project_id, n.name, n.type, n.description, n.config, n.credential_id, n.owns_credential,
  n.enabled, n.labels, n.version, n.created_at, n.updated_at, n.created_by, c.secret_fields`;
const CONNECTION_FROM = `connections n LEFT JOIN credentials c ON c.id = n.credential_id AND c.project_id = n.project_id`;
const FIND_SQL = (p: (n: number) => string) =>
  `SELECT ${CONNECTION_COLUMNS} FROM ${CONNECTION_FROM} WHERE n.project_id = ${p(1)} AND n.name = ${p(2)}`;
/**
 * The page, joined with credentials for its 50 rows only; the total from the (project_id, type)
 * index alone. (One query with count(*) OVER () would join and sort every match first: slower.)
 */
const LIST_SQL = (p: (n: number) => string) =>
  `SELECT ${CONNECTION_COLUMNS} FROM ${CONNECTION_FROM}
   WHERE n.project_id = ${p(1)} AND n.type = ${p(2)} ORDER BY n.name, n.id LIMIT ${p(3)} OFFSET ${p(4)}`;
const COUNT_SQL = (p: (n: number) => string) => `SELECT count(*) AS total FROM connections WHERE project_id = ${p(1)} AND type = ${p(2)}`;
const INSERT_CREDENTIAL_SQL = (p: (n: number) => string) =>
  `INSERT INTO credentials (id, project_id, name, type, description, fields, secret_envelope, secret_fields, secret_fingerprint,
     key_id, owner_connection_id, version, created_at, updated_at, created_by)
   VALUES (${p(1)}, ${p(2)}, ${p(3)}, 'generic', NULL, '{}', ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, 1, ${p(9)}, ${p(9)}, ${p(10)})`;
const INSERT_CONNECTION_SQL = (p: (n: number) => string) =>
  `INSERT INTO connections (id, project_id, name, type, description, config, credential_id, owns_credential, enabled, labels,
     version, created_at, updated_at, created_by)
   VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}, ${p(10)}, ${p(11)}, ${p(12)}, ${p(12)}, ${p(13)})`;
const INSERT_AUDIT_SQL = (p: (n: number) => string) =>
  `INSERT INTO audit_events (id, project_id, actor_type, actor_user_id, actor_api_key_id, actor_label, action, target_type,
     target_id, target_name, outcome, request_id, ip, details, created_at)
   VALUES (${p(1)}, ${p(2)}, 'apiKey', ${p(3)}, ${p(4)}, NULL, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}, ${p(10)}, ${p(11)}, ${p(12)}, ${p(13)})`;

const dollar = (n: number) => `$${n}`;
/** SQLite: named parameters, since a statement may use one value twice. */
const named = (n: number) => `@p${n}`;
const namedValues = (values: unknown[]): Record<string, unknown> =>
  Object.fromEntries(values.map((value, index) => [`p${index + 1}`, value]));

type Row = Record<string, unknown>;
const dateOrNull = (value: unknown): Date | null => (value === null || value === undefined ? null : new Date(value as string));
const iso = (value: unknown): string => (value instanceof Date ? value.toISOString() : String(value));

function toKeyAccess(row: Row): KeyAccess {
  return {
    keyId: row.key_id as string,
    keyProjectId: row.key_project_id as string,
    scopes: JSON.parse(row.scopes as string) as string[],
    expiresAt: dateOrNull(row.expires_at),
    revokedAt: dateOrNull(row.revoked_at),
    lastUsedAt: dateOrNull(row.last_used_at),
    userId: row.user_id as string,
    userDisabled: Boolean(row.disabled),
    userIsAdmin: Boolean(row.is_admin),
    projectId: (row.project_id as string | null) ?? null,
    role: (row.role as string | null) ?? null,
  };
}

function toConnectionRow(row: Row): ConnectionRow {
  return {
    id: row.id as string,
    projectId: row.project_id as string,
    name: row.name as string,
    type: row.type as string,
    description: row.description as string | null,
    config: row.config as string,
    credentialId: row.credential_id as string | null,
    ownsCredential: Boolean(row.owns_credential),
    enabled: Boolean(row.enabled),
    labels: row.labels as string,
    version: Number(row.version),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    createdBy: row.created_by as string | null,
    secretFields: row.secret_fields as string | null,
  };
}

const credentialValues = (c: CredentialInsert) => [
  c.id,
  c.projectId,
  `connection:${c.ownerConnectionId}`,
  c.envelope,
  JSON.stringify(c.secretFields),
  c.fingerprint,
  c.keyId,
  c.ownerConnectionId,
  c.at,
  c.createdBy,
];
const connectionValues = (n: ConnectionRow, bool: (value: boolean) => unknown) => [
  n.id,
  n.projectId,
  n.name,
  n.type,
  n.description,
  n.config,
  n.credentialId,
  bool(n.ownsCredential),
  bool(n.enabled),
  n.labels,
  n.version,
  n.createdAt,
  n.createdBy,
];
const auditValues = (a: AuditInsert) => [
  a.id,
  a.projectId,
  a.userId,
  a.apiKeyId,
  a.action,
  a.targetType,
  a.targetId,
  a.targetName,
  a.outcome,
  a.requestId,
  a.ip,
  a.details,
  a.at,
];

/** PostgreSQL through a pg pool as large as the service's (10), every statement named, so prepared once per connection. */
export class PgStore implements Store {
  private readonly pool: Pool;

  constructor(url: string) {
    this.pool = new Pool({ connectionString: url, max: 10, application_name: 'switchboard-baseline' });
  }

  private async one(name: string, text: string, values: unknown[]): Promise<Row | undefined> {
    return (await this.pool.query<Row>({ name, text, values })).rows[0];
  }

  async authenticate(keyHash: string, projectSlug: string): Promise<KeyAccess | null> {
    const row = await this.one('auth', AUTH_SQL(dollar), [keyHash, projectSlug]);
    return row ? toKeyAccess(row) : null;
  }

  async touchKey(keyId: string, at: Date): Promise<void> {
    await this.pool.query({ name: 'touch', text: 'UPDATE api_keys SET last_used_at = $2 WHERE id = $1', values: [keyId, at] });
  }

  async findConnection(projectId: string, name: string): Promise<ConnectionRow | null> {
    const row = await this.one('find', FIND_SQL(dollar), [projectId, name]);
    return row ? toConnectionRow(row) : null;
  }

  async listConnections(projectId: string, type: string, limit: number, offset: number) {
    // Both at once on two pooled clients, as the service does.
    const [{ rows }, count] = await Promise.all([
      this.pool.query<Row>({ name: 'list', text: LIST_SQL(dollar), values: [projectId, type, limit, offset] }),
      this.one('count', COUNT_SQL(dollar), [projectId, type]),
    ]);
    const total = Number(count!.total);
    return { rows: rows.map(toConnectionRow), total };
  }

  private async transaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  insertConnection(connection: ConnectionRow, credential: CredentialInsert): Promise<void> {
    return this.transaction(async (client) => {
      await client.query({ name: 'insert-credential', text: INSERT_CREDENTIAL_SQL(dollar), values: credentialValues(credential) });
      await client.query({
        name: 'insert-connection',
        text: INSERT_CONNECTION_SQL(dollar),
        values: connectionValues(connection, (value) => value),
      });
    });
  }

  async consumersOf(projectId: string, connectionId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ consumer: string }>({
      name: 'consumers',
      text: 'SELECT consumer FROM connection_usages WHERE project_id = $1 AND connection_id = $2 ORDER BY consumer',
      values: [projectId, connectionId],
    });
    return rows.map((row) => row.consumer);
  }

  deleteConnection(projectId: string, connectionId: string, credentialId: string | null): Promise<void> {
    return this.transaction(async (client) => {
      const values = [projectId, connectionId];
      await client.query({
        name: 'delete-usages',
        text: 'DELETE FROM connection_usages WHERE project_id = $1 AND connection_id = $2',
        values,
      });
      await client.query({ name: 'delete-connection', text: 'DELETE FROM connections WHERE project_id = $1 AND id = $2', values });
      if (credentialId) {
        await client.query({
          name: 'delete-credential',
          text: 'DELETE FROM credentials WHERE project_id = $1 AND id = $2',
          values: [projectId, credentialId],
        });
      }
    });
  }

  async readEnvelope(projectId: string, credentialId: string): Promise<string | null> {
    const row = await this.one('envelope', 'SELECT secret_envelope FROM credentials WHERE project_id = $1 AND id = $2', [
      projectId,
      credentialId,
    ]);
    return (row?.secret_envelope as string | null | undefined) ?? null;
  }

  async insertAudit(event: AuditInsert): Promise<void> {
    await this.pool.query({ name: 'audit', text: INSERT_AUDIT_SQL(dollar), values: auditValues(event) });
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/**
 * The embedded SQLite file the service writes, opened with better-sqlite3 as the service
 * does: synchronous, prepared once. Sharing the file is safe: the service is idle (WAL mode,
 * busy timeout) while the baseline is measured.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(file: string) {
    this.db = new Database(file, { timeout: 5_000 });
    this.db.pragma('journal_mode = WAL');
  }

  private prepared(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private get(sql: string, values: unknown[]): Row | undefined {
    return this.prepared(sql).get(namedValues(values)) as Row | undefined;
  }

  private all(sql: string, values: unknown[]): Row[] {
    return this.prepared(sql).all(namedValues(values)) as Row[];
  }

  private run(sql: string, values: unknown[]): void {
    this.prepared(sql).run(namedValues(values));
  }

  async authenticate(keyHash: string, projectSlug: string): Promise<KeyAccess | null> {
    const row = this.get(AUTH_SQL(named), [keyHash, projectSlug]);
    return row ? toKeyAccess(row) : null;
  }

  async touchKey(keyId: string, at: Date): Promise<void> {
    this.run('UPDATE api_keys SET last_used_at = @p2 WHERE id = @p1', [keyId, at.toISOString()]);
  }

  async findConnection(projectId: string, name: string): Promise<ConnectionRow | null> {
    const row = this.get(FIND_SQL(named), [projectId, name]);
    return row ? toConnectionRow(row) : null;
  }

  async listConnections(projectId: string, type: string, limit: number, offset: number) {
    const rows = this.all(LIST_SQL(named), [projectId, type, limit, offset]);
    const total = Number(this.get(COUNT_SQL(named), [projectId, type])!.total);
    return { rows: rows.map(toConnectionRow), total };
  }

  async insertConnection(connection: ConnectionRow, credential: CredentialInsert): Promise<void> {
    this.db.transaction(() => {
      this.run(INSERT_CREDENTIAL_SQL(named), credentialValues(credential));
      this.run(
        INSERT_CONNECTION_SQL(named),
        connectionValues(connection, (value) => (value ? 1 : 0)),
      );
    })();
  }

  async consumersOf(projectId: string, connectionId: string): Promise<string[]> {
    const rows = this.all('SELECT consumer FROM connection_usages WHERE project_id = @p1 AND connection_id = @p2 ORDER BY consumer', [
      projectId,
      connectionId,
    ]);
    return rows.map((row) => row.consumer as string);
  }

  async deleteConnection(projectId: string, connectionId: string, credentialId: string | null): Promise<void> {
    this.db.transaction(() => {
      this.run('DELETE FROM connection_usages WHERE project_id = @p1 AND connection_id = @p2', [projectId, connectionId]);
      this.run('DELETE FROM connections WHERE project_id = @p1 AND id = @p2', [projectId, connectionId]);
      if (credentialId) this.run('DELETE FROM credentials WHERE project_id = @p1 AND id = @p2', [projectId, credentialId]);
    })();
  }

  async readEnvelope(projectId: string, credentialId: string): Promise<string | null> {
    const row = this.get('SELECT secret_envelope FROM credentials WHERE project_id = @p1 AND id = @p2', [projectId, credentialId]);
    return (row?.secret_envelope as string | null | undefined) ?? null;
  }

  async insertAudit(event: AuditInsert): Promise<void> {
    this.run(INSERT_AUDIT_SQL(named), auditValues(event));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
