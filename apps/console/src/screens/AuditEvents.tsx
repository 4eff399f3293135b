import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useQuery } from '../api/use-query';
import { useApi } from '../app-context';
import { ProblemAlert } from '../ui/ProblemAlert';
import { useTitle } from '../ui/use-title';
import { useProject } from './ProjectLayout';

const PER_PAGE = 25;

const targetOf = (target: Record<string, unknown>) => [target.type, target.name ?? target.id].filter(Boolean).join(' ');

/** A project's audit trail, newest first, filtered by action (or an action prefix such as "connection."); the query lives in the URL. */
export function AuditEvents() {
  useTitle('Audit events');
  const api = useApi();
  const { project } = useProject();
  const [params, setParams] = useSearchParams();
  const action = params.get('action') ?? '';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const [typed, setTyped] = useState(action);
  const update = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: 'action' in changes });
  };
  useEffect(() => {
    if (typed === action) return;
    const timer = setTimeout(() => update({ action: typed.trim(), page: '' }), 300);
    return () => clearTimeout(timer);
  }, [typed]);

  const events = useQuery(`audit:${project.id}:${action}:${page}`, () =>
    api.GET('/api/v1/projects/{project}/audit-events', {
      params: { path: { project: project.slug }, query: { action: action || undefined, page, perPage: PER_PAGE } },
    }),
  );
  const total = events.data?.meta.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PER_PAGE));
  return (
    <main>
      <h1>Audit events</h1>
      <div className="filters" role="search">
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <input
            id="audit-action"
            type="search"
            value={typed}
            placeholder="connection.delete, or connection."
            aria-describedby="audit-action-help"
            onChange={(event) => setTyped(event.target.value)}
          />
          <p className="help" id="audit-action-help">
            An action, or a prefix ending in a dot.
          </p>
        </div>
      </div>
      {events.problem && <ProblemAlert problem={events.problem} />}
      {events.data && events.data.data.length === 0 && <p>No event matches.</p>}
      {events.data && events.data.data.length > 0 && (
        <table className="grid">
          <caption className="visually-hidden">Audit events of {project.name}</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Outcome</th>
              <th scope="col">Actor</th>
              <th scope="col">Target</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {events.data.data.map((event) => (
              <tr key={event.id}>
                <td>{new Date(event.createdAt).toLocaleString()}</td>
                <td>
                  <code>{event.action}</code>
                </td>
                <td>
                  <span className={`badge ${event.outcome === 'success' ? 'ok' : 'off'}`}>{event.outcome}</span>
                </td>
                <td>{event.actor.label ?? event.actor.type}</td>
                <td>{targetOf(event.target)}</td>
                <td>{event.details && <code className="mono">{JSON.stringify(event.details)}</code>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {events.loading && <p role="status">Loading…</p>}
      {events.data && (
        <nav className="pager" aria-label="Pages">
          <button type="button" disabled={page <= 1} onClick={() => update({ page: String(page - 1) })}>
            Previous page
          </button>
          <span>
            Page {page} of {pages} · {total} {total === 1 ? 'event' : 'events'}
          </span>
          <button type="button" disabled={page >= pages} onClick={() => update({ page: String(page + 1) })}>
            Next page
          </button>
        </nav>
      )}
    </main>
  );
}
