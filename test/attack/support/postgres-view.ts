import type { Client, Connection, DatabaseError } from 'pg';

/** The fields of a server notice this reads. */
interface Notice {
  severity?: string;
  message?: string;
  detail?: string;
}

/**
 * What PostgreSQL itself makes of a statement: how its parser splits the text, whether its
 * analysis finds a read, and which of a set of functions it resolves calls to. Found without
 * running the statement (Parse messages only, the analysed tree printed by debug_print_parse),
 * except where a statement must be run to be seen: EXPLAIN (whose inner statement the tree
 * printer cannot show; its plan, printed by debug_print_plan, can) and, on request, what the
 * service lets through. Those run as `probe`: a role that may execute none of the functions,
 * in a read-only transaction that is rolled back, so the server names a function it was about
 * to call ("permission denied for function ...") instead of calling it.
 */
export interface ServerView {
  /** How the server's parser split the text. */
  parse: 'syntax' | 'none' | 'one' | 'several';
  /** The server's error (syntax, or analysis of a single statement), if any. */
  error?: string;
  /** Whether the statement only reads; undefined when the server could not tell (its analysis failed). */
  read?: boolean;
  /** The listed functions the server resolved calls to; undefined when it cannot show them (most utility statements). */
  calls?: string[];
}

const SELECT = 1;
const UTILITY = 6;

/** Parse and Describe, then Sync: the server parses and analyses the statement, and runs nothing. */
class ParseOnly {
  columns?: string[];
  readonly done: Promise<DatabaseError | undefined>;
  private finish!: (error?: DatabaseError) => void;

  constructor(private readonly text: string) {
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  submit(connection: Connection): void {
    connection.parse({ name: '', text: this.text, types: [] }, true);
    connection.describe({ type: 'S', name: '' }, true);
    connection.sync();
  }

  handleRowDescription(message: { fields: { name: string }[] }): void {
    this.columns = message.fields.map((field) => field.name);
  }

  handleError(error: DatabaseError): void {
    this.finish(error);
  }

  handleReadyForQuery(): void {
    this.finish(undefined);
  }
}

/** Runs `work` while collecting the server's LOG notices titled `title` (the node dumps). */
async function dumpsDuring<T>(client: Client, title: string, work: () => Promise<T>): Promise<{ value: T; dumps: string[] }> {
  const dumps: string[] = [];
  const collect = (notice: Notice) => {
    if (notice.severity === 'LOG' && notice.message === `${title}:`) dumps.push(notice.detail ?? '');
  };
  client.on('notice', collect);
  try {
    return { value: await work(), dumps };
  } finally {
    client.removeListener('notice', collect);
  }
}

const parseOnly = async (client: Client, sql: string) => {
  const query = new ParseOnly(sql);
  client.query(query);
  return { error: await query.done, columns: query.columns };
};

const LOGGED = (setting: string) =>
  `SET LOCAL ${setting} = on; SET LOCAL debug_pretty_print = off; SET LOCAL client_min_messages = log; SET LOCAL statement_timeout = 10000`;

const commandType = (dump: string): number => Number(/:commandType (\d+)/.exec(dump)?.[1]);
const writesIn = (dump: string): boolean =>
  /:commandType [2-5]\b/.test(dump) || /:hasModifyingCTE true/.test(dump) || /:hasForUpdate true/.test(dump) || /:rowMarks \(/.test(dump);

/** The name in "permission denied for function f" or "function f(...) does not exist", unqualified. */
function functionNamed(error: DatabaseError | undefined): string | undefined {
  const name =
    /^permission denied for function (.+)$/.exec(error?.message ?? '')?.[1] ??
    /^function (.+?)\(.*\) does not exist$/.exec(error?.message ?? '')?.[1];
  return name?.split('.').at(-1)?.replace(/^"|"$/g, '');
}

export class PostgresView {
  private readonly names = new Map<number, string>();

  /** `admin` parses as a superuser; `probe` may execute none of `listed`, in the same database. */
  constructor(
    private readonly admin: Client,
    private readonly probe: Client,
    private readonly listed: ReadonlySet<string>,
  ) {}

  /** The server's view of `sql`; `run` also runs it (as the probe) when the analysis cannot show everything it calls. */
  async of(sql: string, run: boolean): Promise<ServerView> {
    // In an aborted transaction the server parses the text, refuses several statements, and stops before analysing one.
    await this.admin.query('BEGIN; SELECT 1/0').catch(() => undefined);
    const split = await parseOnly(this.admin, sql);
    await this.admin.query('ROLLBACK');
    if (split.error && split.error.code !== '25P02') {
      return /multiple commands/.test(split.error.message) ? { parse: 'several' } : { parse: 'syntax', error: split.error.message };
    }
    await this.admin.query(`BEGIN; ${LOGGED('debug_print_parse')}`);
    const analysed = await dumpsDuring(this.admin, 'parse tree', () => parseOnly(this.admin, sql)).finally(() =>
      this.admin.query('ROLLBACK'),
    );
    const { error, columns } = analysed.value;
    // No error in the aborted transaction: nothing to run, or COMMIT / ROLLBACK (whose analysis prints a tree).
    if (!split.error && analysed.dumps.length === 0) return { parse: 'none' };
    if (error) {
      const named = functionNamed(error);
      return { parse: 'one', error: error.message, calls: named && this.listed.has(named) ? [named] : undefined };
    }
    const [query] = analysed.dumps;
    if (commandType(query) !== UTILITY) {
      const calls = await this.callsIn(query);
      const view: ServerView = { parse: 'one', read: commandType(query) === SELECT && !writesIn(query), calls };
      return run ? this.running(sql, view) : view;
    }
    if (columns?.join() === 'QUERY PLAN') return this.explain(sql);
    // SHOW (one column named after the setting, or SHOW ALL's three): it calls nothing. Any other utility statement is no read.
    if (columns && (columns.length === 1 || columns.join() === 'name,setting,description')) return { parse: 'one', read: true, calls: [] };
    return { parse: 'one', read: false };
  }

  /** Runs `sql` as the probe: a call of a listed function fails before it runs, naming it. */
  private async execute(sql: string, setting: string) {
    await this.probe.query(`BEGIN READ ONLY; ${LOGGED(setting)}`);
    const ran = await dumpsDuring(this.probe, 'plan', () =>
      this.probe.query<{ 'QUERY PLAN': string }>(sql).then(
        (result) => ({ rows: result.rows, error: undefined }),
        (error: DatabaseError) => ({ rows: [], error }),
      ),
    ).finally(() => this.probe.query('ROLLBACK'));
    // An error raised inside a function the statement called (it has a context) is that function's, not the statement's.
    const own = ran.value.error && !ran.value.error.where ? ran.value.error : undefined;
    const named = functionNamed(own);
    return { ...ran.value, own, called: named && this.listed.has(named) ? named : undefined, firstPlan: ran.dumps[0] ?? '' };
  }

  private async running(sql: string, view: ServerView): Promise<ServerView> {
    const { called } = await this.execute(sql, 'debug_print_plan');
    return called ? { ...view, calls: [...new Set([...(view.calls ?? []), called])] } : view;
  }

  /** EXPLAIN: its inner statement's plan (printed before anything runs) and, with ANALYZE, what running it met. */
  private async explain(sql: string): Promise<ServerView> {
    const { rows, own, called, firstPlan } = await this.execute(sql, 'debug_print_plan');
    const calls = [...new Set([...(await this.callsIn(firstPlan)), ...(called ? [called] : [])])];
    if (called) return { parse: 'one', calls };
    if (own?.code === '25006') return { parse: 'one', read: false, calls };
    if (own) return { parse: 'one', error: own.message, calls };
    const analyzed = rows.some((row) => /actual/i.test(Object.values(row).join()));
    return { parse: 'one', read: !analyzed || (commandType(firstPlan) === SELECT && !writesIn(firstPlan)), calls };
  }

  /** The listed functions a node dump calls, by the OIDs in it. */
  private async callsIn(dump: string): Promise<string[]> {
    const oids = [...dump.matchAll(/:(?:funcid|aggfnoid|winfnoid|opfuncid) (\d+)/g)].map((match) => Number(match[1]));
    const unknown = [...new Set(oids.filter((oid) => oid > 0 && !this.names.has(oid)))];
    if (unknown.length > 0) {
      const { rows } = await this.admin.query<{ oid: number; proname: string }>(
        'SELECT oid::int AS oid, proname FROM pg_catalog.pg_proc WHERE oid = ANY($1::oid[])',
        [unknown],
      );
      for (const row of rows) this.names.set(row.oid, row.proname);
    }
    return [...new Set(oids.map((oid) => this.names.get(oid) ?? '').filter((name) => this.listed.has(name)))];
  }
}
