import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { ConnectionTypeName } from '../api/types';
import { useQuery } from '../api/use-query';
import { useApi } from '../app-context';
import { ProblemAlert } from '../ui/ProblemAlert';
import { useTitle } from '../ui/use-title';
import { useProject } from './ProjectLayout';

const PER_PAGE = 20;

/** A project's connections: searchable, filtered by type, paged; the query lives in the URL. */
export function Connections() {
  useTitle('Connections');
  const api = useApi();
  const { project, can } = useProject();
  const [params, setParams] = useSearchParams();
  const search = params.get('search') ?? '';
  const type = params.get('type') ?? '';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const [typed, setTyped] = useState(search);
  const types = useQuery('connection-types', () => api.GET('/api/v1/connection-types'));

  const update = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: 'search' in changes });
  };

  // Searching as one types, without a request per key stroke.
  useEffect(() => {
    if (typed === search) return;
    const timer = setTimeout(() => update({ search: typed, page: '' }), 250);
    return () => clearTimeout(timer);
  }, [typed]);

  const list = useQuery(`connections:${project.id}:${search}:${type}:${page}`, () =>
    api.GET('/api/v1/projects/{project}/connections', {
      params: {
        path: { project: project.slug },
        query: { search: search || undefined, type: (type || undefined) as ConnectionTypeName | undefined, page, perPage: PER_PAGE },
      },
    }),
  );
  const total = list.data?.meta.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PER_PAGE));

  return (
    <main>
      <div className="heading">
        <h1>Connections</h1>
        {can('connections:write') && (
          <Link className="button primary" to={`/projects/${project.slug}/connections/new`}>
            New connection
          </Link>
        )}
      </div>
      <div className="filters" role="search">
        <div className="field">
          <label htmlFor="search">Search</label>
          <input
            id="search"
            type="search"
            value={typed}
            placeholder="Name or description"
            onChange={(event) => setTyped(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="type-filter">Type</label>
          <select id="type-filter" value={type} onChange={(event) => update({ type: event.target.value, page: '' })}>
            <option value="">All types</option>
            {types.data?.data.map((item) => (
              <option key={item.type} value={item.type}>
                {item.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {list.problem && <ProblemAlert problem={list.problem} />}
      {list.data && list.data.data.length === 0 && (
        <p>{search || type ? 'No connection matches.' : 'This project has no connection yet.'}</p>
      )}
      {list.data && list.data.data.length > 0 && (
        <table className="grid">
          <caption className="visually-hidden">Connections of {project.name}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((connection) => (
              <tr key={connection.id}>
                <td>
                  <Link to={`/projects/${project.slug}/connections/${connection.name}`}>{connection.name}</Link>
                </td>
                <td>{connection.type}</td>
                <td>
                  <span className={`badge ${connection.enabled ? 'ok' : 'off'}`}>{connection.enabled ? 'Enabled' : 'Disabled'}</span>
                </td>
                <td>{connection.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.loading && <p role="status">Loading…</p>}
      {list.data && (
        <nav className="pager" aria-label="Pages">
          <button type="button" disabled={page <= 1} onClick={() => update({ page: String(page - 1) })}>
            Previous page
          </button>
          <span>
            Page {page} of {pages} · {total} {total === 1 ? 'connection' : 'connections'}
          </span>
          <button type="button" disabled={page >= pages} onClick={() => update({ page: String(page + 1) })}>
            Next page
          </button>
        </nav>
      )}
    </main>
  );
}
