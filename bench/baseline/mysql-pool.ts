import type { FieldPacket, TypeCast } from 'mysql2';
import { MysqlSession, type MysqlTarget, type RowsResult, type ServerInfo } from './introspection-mysql';

/**
 * The service's cells for the bench's columns (libs/connectors/src/mysql/mysql.cells.ts):
 * DATETIME as ISO with a T, TIMESTAMP (UTC session) ending in Z; BIGINT and DECIMAL stay the
 * digits mysql2 hands over (bigNumberStrings), INT and VARCHAR as they come.
 */
const serviceCells: TypeCast = (field, next) => {
  if (field.type !== 'TIMESTAMP' && field.type !== 'DATETIME') return next();
  const text = next() as string | null;
  if (text === null || text.startsWith('0000-00-00')) return text;
  return field.type === 'TIMESTAMP' ? `${text.replace(' ', 'T')}Z` : text.replace(' ', 'T');
};

/** The connector's names for the protocol types of the bench's tables (columnTypeName() of mysql.cells.ts). */
const TYPE_NAMES: Record<number, string> = { 0x03: 'int', 0x07: 'timestamp', 0x08: 'bigint', 0xf6: 'decimal', 0xfd: 'varchar' };
const columnsOf = (fields: FieldPacket[]) =>
  fields.map((field) => ({ name: field.name, type: TYPE_NAMES[field.columnType ?? -1] ?? 'unknown' }));

/** A mysql result as the service answers it. */
export const rowsJson = ({ fields, rows, truncated }: RowsResult) => ({ columns: columnsOf(fields), rows, truncated });

/**
 * The Fastify baseline's pool of one mysql connection, sized as the service's (2 sessions; a
 * request waits for a free one). Sessions do what the direct loop's do (introspection-mysql.ts),
 * with the service's cell conversion for the bench's columns: the baseline must answer the JSON
 * the service answers.
 */
export class MysqlSessionPool {
  private readonly idle: MysqlSession[] = [];
  private readonly waiting: ((session: MysqlSession) => void)[] = [];
  private readonly sessions: MysqlSession[] = [];
  /** What the connector learns once per pool, on its first session. */
  private server?: Promise<ServerInfo>;

  constructor(
    private readonly target: MysqlTarget,
    private readonly size: number,
  ) {}

  async use<T>(work: (session: MysqlSession) => Promise<T>): Promise<T> {
    const session = await this.acquire();
    try {
      // The reset the previous user's statement left running.
      await session.ready();
      return await work(session);
    } finally {
      this.release(session);
    }
  }

  private async acquire(): Promise<MysqlSession> {
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.sessions.length >= this.size) return new Promise((resolve) => this.waiting.push(resolve));
    const session = new MysqlSession(this.target, undefined, { typeCast: serviceCells });
    this.sessions.push(session);
    try {
      if (!this.server) this.server = session.describeServer();
      else session.adopt(await this.server);
      await this.server;
      return session;
    } catch (error) {
      this.sessions.splice(this.sessions.indexOf(session), 1);
      this.server = undefined;
      throw error;
    }
  }

  private release(session: MysqlSession): void {
    const next = this.waiting.shift();
    if (next) next(session);
    else this.idle.push(session);
  }

  async close(): Promise<void> {
    await Promise.all(this.sessions.map((session) => session.close()));
  }
}
