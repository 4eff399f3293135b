import { useEffect, useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { problemOf, type ShownProblem } from '../api/problem';
import type { ResultColumn } from '../api/types';
import { useQuery } from '../api/use-query';
import { useApi } from '../app-context';
import { ProblemAlert } from '../ui/ProblemAlert';
import { ResultGrid } from '../ui/ResultGrid';
import { useTitle } from '../ui/use-title';
import { withChanges } from '../ui/url-params';
import { Catalogs } from './explore/Catalogs';
import { Files, FileSchemaView } from './explore/Files';
import { useProject } from './ProjectLayout';

const TABLES_PER_PAGE = 50;

/**
 * Databases or catalogs -> schemas -> tables (paged, searchable) -> columns and a preview; a read-only
 * query editor; folders and files with a file's inferred columns. What shows is the type's capabilities.
 */
export function Explore() {
  const api = useApi();
  const { project, can } = useProject();
  const { connection: ref = '' } = useParams();
  useTitle(`Explore ${ref}`);
  const [params, setParams] = useSearchParams();
  const schema = params.get('schema') ?? '';
  const table = params.get('table') ?? '';
  const catalog = params.get('catalog') ?? '';
  const file = params.get('file') ?? '';
  const path = { project: project.slug, connection: ref };

  const connection = useQuery(`connection:${project.id}:${ref}`, () =>
    api.GET('/api/v1/projects/{project}/connections/{connection}', { params: { path } }),
  );
  const typeName = connection.data?.type;
  const type = useQuery(
    typeName ? `connection-type:${typeName}` : 'connection-type:none',
    typeName ? () => api.GET('/api/v1/connection-types/{type}', { params: { path: { type: typeName } } }) : null,
  );
  const capabilities = type.data?.capabilities ?? [];
  const has = (capability: (typeof capabilities)[number]) => capabilities.includes(capability);

  const select = (changes: Record<string, string>) => setParams(withChanges(params, changes));
  const linkTo = (changes: Record<string, string>) => `?${withChanges(params, changes)}`;
  // With catalogs, schemas are those of the chosen catalog, and tables those of the chosen schema.
  const schemasShown = has('schemas') && (!has('catalogs') || catalog !== '');
  const tablesShown = has('tables') && (!has('catalogs') || schema !== '');

  return (
    <main className="explore">
      <p>
        <Link to={`/projects/${project.slug}/connections/${ref}`}>Back to {ref}</Link>
      </p>
      <h1>Explore {ref}</h1>
      {connection.problem && <ProblemAlert problem={connection.problem} />}
      {type.data && (
        <div className="explorer">
          <div className="tree">
            {has('catalogs') && (
              <Catalogs
                path={path}
                selected={catalog}
                page={Math.max(1, Number(params.get('catalogPage')) || 1)}
                onSelect={(name) => select({ catalog: name, schema: '', table: '', page: '', search: '' })}
                onPage={(page) => select({ catalogPage: String(page) })}
              />
            )}
            {has('databases') && <Databases path={path} />}
            {schemasShown && (
              <Schemas
                path={path}
                catalog={catalog}
                selected={schema}
                onSelect={(name) => select({ schema: name, table: '', page: '', search: '' })}
              />
            )}
            {tablesShown && (
              <Tables
                path={path}
                catalog={catalog}
                schema={schema}
                selected={table}
                search={params.get('search') ?? ''}
                page={Math.max(1, Number(params.get('page')) || 1)}
                onChange={select}
              />
            )}
            {has('files') && (
              <Files path={path} prefix={params.get('prefix') ?? ''} cursor={params.get('cursor') ?? ''} file={file} linkTo={linkTo} />
            )}
          </div>
          <div className="detail">
            {table && has('columns') && (
              <Columns path={path} catalog={catalog} schema={schema} table={table} canPreview={has('preview') && can('data:read')} />
            )}
            {file && has('fileSchema') && <FileSchemaView path={path} file={file} />}
            {has('query') && can('data:read') && <QueryEditor path={path} />}
          </div>
        </div>
      )}
    </main>
  );
}

type Path = { project: string; connection: string };

function Databases({ path }: { path: Path }) {
  const api = useApi();
  const databases = useQuery(`databases:${path.project}:${path.connection}`, () =>
    api.GET('/api/v1/projects/{project}/connections/{connection}/databases', { params: { path } }),
  );
  return (
    <section aria-labelledby="databases-title">
      <h2 id="databases-title">Databases</h2>
      {databases.problem && <ProblemAlert problem={databases.problem} />}
      {databases.loading && <p role="status">Loading…</p>}
      <ul className="plain">
        {databases.data?.data.map((database) => (
          <li key={database.name}>
            {database.name}
            {database.schemas && <span className="muted"> · {database.schemas.length} schemas</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}

interface SchemasProps {
  path: Path;
  catalog: string;
  selected: string;
  onSelect: (name: string) => void;
}

function Schemas({ path, catalog, selected, onSelect }: SchemasProps) {
  const api = useApi();
  const schemas = useQuery(`schemas:${path.project}:${path.connection}:${catalog}`, () =>
    api.GET('/api/v1/projects/{project}/connections/{connection}/schemas', { params: { path, query: { catalog: catalog || undefined } } }),
  );
  return (
    <section aria-labelledby="schemas-title">
      <h2 id="schemas-title">Schemas{catalog ? ` in ${catalog}` : ''}</h2>
      {schemas.problem && <ProblemAlert problem={schemas.problem} />}
      {schemas.loading && <p role="status">Loading…</p>}
      {schemas.data && !schemas.data.data.length && <p className="muted">No schemas here.</p>}
      <ul className="plain choices">
        {schemas.data?.data.map((schema) => (
          <li key={schema.name}>
            <button type="button" className="link" aria-pressed={schema.name === selected} onClick={() => onSelect(schema.name)}>
              {schema.name}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

interface TablesProps {
  path: Path;
  catalog: string;
  schema: string;
  selected: string;
  search: string;
  page: number;
  onChange: (changes: Record<string, string>) => void;
}

function Tables({ path, catalog, schema, selected, search, page, onChange }: TablesProps) {
  const api = useApi();
  const [typed, setTyped] = useState(search);
  useEffect(() => setTyped(search), [search]);
  useEffect(() => {
    if (typed === search) return;
    const timer = setTimeout(() => onChange({ search: typed, page: '' }), 250);
    return () => clearTimeout(timer);
  }, [typed, search, onChange]);
  const tables = useQuery(`tables:${path.project}:${path.connection}:${catalog}:${schema}:${search}:${page}`, () =>
    api.GET('/api/v1/projects/{project}/connections/{connection}/tables', {
      params: {
        path,
        query: { catalog: catalog || undefined, schema: schema || undefined, search: search || undefined, page, perPage: TABLES_PER_PAGE },
      },
    }),
  );
  const total = tables.data?.meta.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / TABLES_PER_PAGE));
  return (
    <section aria-labelledby="tables-title">
      <h2 id="tables-title">Tables{schema ? ` in ${schema}` : ''}</h2>
      <div className="field">
        <label htmlFor="table-search">Search tables</label>
        <input id="table-search" type="search" value={typed} onChange={(event) => setTyped(event.target.value)} />
      </div>
      {tables.problem && <ProblemAlert problem={tables.problem} />}
      {tables.loading && <p role="status">Loading…</p>}
      <ul className="plain choices">
        {tables.data?.data.map((item) => (
          <li key={`${item.schema}.${item.name}`}>
            <button
              type="button"
              className="link"
              aria-pressed={item.name === selected}
              onClick={() => onChange({ table: item.name, schema: item.schema })}
            >
              {item.name}
            </button>
            {item.type !== 'TABLE' && <span className="muted"> {item.type.toLowerCase().replace('_', ' ')}</span>}
          </li>
        ))}
      </ul>
      {tables.data && (
        <nav className="pager" aria-label="Table pages">
          <button type="button" aria-label="Previous tables" disabled={page <= 1} onClick={() => onChange({ page: String(page - 1) })}>
            Previous
          </button>
          <span>
            {page}/{pages} · {total} tables
          </span>
          <button type="button" aria-label="Next tables" disabled={page >= pages} onClick={() => onChange({ page: String(page + 1) })}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}

interface ColumnsProps {
  path: Path;
  catalog: string;
  schema: string;
  table: string;
  canPreview: boolean;
}

function Columns({ path, catalog, schema, table, canPreview }: ColumnsProps) {
  const api = useApi();
  const columns = useQuery(`columns:${path.project}:${path.connection}:${catalog}:${schema}:${table}`, () =>
    api.GET('/api/v1/projects/{project}/connections/{connection}/columns', {
      params: { path, query: { catalog: catalog || undefined, schema: schema || undefined, table } },
    }),
  );
  const [preview, setPreview] = useState<{ columns: ResultColumn[]; rows: unknown[][]; truncated: boolean } | null>(null);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [loading, setLoading] = useState(false);
  useEffect(() => {
    setPreview(null);
    setProblem(null);
  }, [catalog, schema, table]);
  const load = async () => {
    setLoading(true);
    setProblem(null);
    const { data, error, response } = await api.GET('/api/v1/projects/{project}/connections/{connection}/preview', {
      params: { path, query: { catalog: catalog || undefined, schema: schema || undefined, table, limit: 100 } },
    });
    setLoading(false);
    if (data) setPreview(data);
    else setProblem(problemOf(error, response));
  };
  return (
    <section aria-labelledby="columns-title">
      <div className="heading">
        <h2 id="columns-title">
          {catalog ? `${catalog}.` : ''}
          {schema ? `${schema}.` : ''}
          {table}
        </h2>
        {canPreview && (
          <button type="button" onClick={() => void load()} disabled={loading}>
            {loading ? 'Loading preview…' : 'Preview'}
          </button>
        )}
      </div>
      {columns.problem && <ProblemAlert problem={columns.problem} />}
      {columns.data && (
        <table className="grid compact">
          <caption className="visually-hidden">Columns of {table}</caption>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Type</th>
              <th scope="col">Nullable</th>
              <th scope="col">Default</th>
              <th scope="col">Key</th>
            </tr>
          </thead>
          <tbody>
            {columns.data.data.map((column) => (
              <tr key={column.name}>
                <td>{column.name}</td>
                <td>
                  <code>{column.type}</code>
                </td>
                <td>{column.nullable ? 'yes' : 'no'}</td>
                <td>{column.default === null ? '—' : <code>{column.default}</code>}</td>
                <td>{column.primaryKey ? 'primary' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {problem && <ProblemAlert problem={problem} />}
      {preview && (
        <>
          <h3>Preview</h3>
          <p className="muted">
            {preview.rows.length} rows{preview.truncated ? ' (more exist)' : ''}
          </p>
          <ResultGrid columns={preview.columns} rows={preview.rows} label={`Preview of ${table}`} />
        </>
      )}
    </section>
  );
}

/** Why a query was refused, in words: the service runs every query read-only. */
function queryProblemTitle(problem: ShownProblem): string | undefined {
  if (problem.code === 'READ_ONLY_VIOLATION') return 'Refused: queries run read-only here, and this one would change data';
  if (problem.code === 'TARGET_TIMEOUT') return 'The query took longer than its timeout';
  if (problem.code === 'UNSUPPORTED_OPERATION') return 'Refused: this connection does not run queries as it is set up';
  return undefined;
}

function QueryEditor({ path }: { path: Path }) {
  const api = useApi();
  const [sql, setSql] = useState('');
  const [limit, setLimit] = useState('100');
  const [timeout, setTimeoutMs] = useState('5000');
  const [result, setResult] = useState<{
    columns: ResultColumn[];
    rows: unknown[][];
    truncated: boolean;
    stats: { rowCount: number; executionMs: number };
  } | null>(null);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [running, setRunning] = useState(false);
  const run = async (event: FormEvent) => {
    event.preventDefault();
    setRunning(true);
    setProblem(null);
    setResult(null);
    const { data, error, response } = await api.POST('/api/v1/projects/{project}/connections/{connection}/query', {
      params: { path },
      body: { sql, limit: Number(limit) || undefined, timeoutMs: Number(timeout) || undefined },
    });
    setRunning(false);
    if (data) setResult(data);
    else setProblem(problemOf(error, response));
  };
  return (
    <section aria-labelledby="query-title">
      <h2 id="query-title">Query</h2>
      <form onSubmit={run} className="form query">
        <div className="field">
          <label htmlFor="query-sql">SQL</label>
          <textarea
            id="query-sql"
            rows={5}
            spellCheck={false}
            value={sql}
            aria-describedby="query-sql-help"
            onChange={(event) => setSql(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) event.currentTarget.form?.requestSubmit();
            }}
          />
          <p className="help" id="query-sql-help">
            One statement, run in a read-only transaction. Ctrl+Enter runs it.
          </p>
        </div>
        <div className="inline">
          <div className="field">
            <label htmlFor="query-limit">Limit (rows)</label>
            <input id="query-limit" type="number" min={1} max={10000} value={limit} onChange={(event) => setLimit(event.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="query-timeout">Timeout (ms)</label>
            <input
              id="query-timeout"
              type="number"
              min={100}
              max={60000}
              step={100}
              value={timeout}
              onChange={(event) => setTimeoutMs(event.target.value)}
            />
          </div>
          <button type="submit" className="primary" disabled={running || !sql.trim()}>
            {running ? 'Running…' : 'Run'}
          </button>
        </div>
      </form>
      {problem && <ProblemAlert problem={problem} title={queryProblemTitle(problem)} />}
      {result && (
        <>
          <p className="muted" role="status">
            {result.stats.rowCount} rows in {result.stats.executionMs.toFixed(1)} ms{result.truncated ? ' (cut at the limit)' : ''}
          </p>
          <ResultGrid columns={result.columns} rows={result.rows} label="Query result" />
        </>
      )}
    </section>
  );
}
