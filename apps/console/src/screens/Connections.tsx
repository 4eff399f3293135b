import { Link } from 'react-router';
import type { ConnectionTypeName } from '../api/types';
import { useQuery } from '../api/use-query';
import { useApi } from '../app-context';
import { Pager } from '../ui/Pager';
import { ProblemAlert } from '../ui/ProblemAlert';
import { TypeOptions } from '../ui/TypeOptions';
import { useUrlFilters } from '../ui/use-url-filters';
import { useTitle } from '../ui/use-title';
import { useProject } from './ProjectLayout';

const PER_PAGE = 20;

/** A project's connections: searchable, filtered by type, paged; the query lives in the URL. */
export function Connections() {
  useTitle('Connections');
  const api = useApi();
  const { project, can } = useProject();
  const { params, page, applied: search, typed, setTyped, update } = useUrlFilters('search');
  const type = params.get('type') ?? '';
  const types = useQuery('connection-types', () => api.GET('/api/v1/connection-types'));

  const list = useQuery(`connections:${project.id}:${search}:${type}:${page}`, () =>
    api.GET('/api/v1/projects/{project}/connections', {
      params: {
        path: { project: project.slug },
        query: { search: search || undefined, type: (type || undefined) as ConnectionTypeName | undefined, page, perPage: PER_PAGE },
      },
    }),
  );
  const total = list.data?.meta.total ?? 0;

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
            <TypeOptions types={types.data?.data} />
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
        <Pager
          page={page}
          perPage={PER_PAGE}
          total={total}
          noun={['connection', 'connections']}
          onPage={(next) => update({ page: String(next) })}
        />
      )}
    </main>
  );
}
