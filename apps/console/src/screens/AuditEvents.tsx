import { useQuery } from '../api/use-query';
import { useApi } from '../app-context';
import { GridHead } from '../ui/GridHead';
import { Pager } from '../ui/Pager';
import { ProblemAlert } from '../ui/ProblemAlert';
import { useUrlFilters } from '../ui/use-url-filters';
import { TextField } from '../ui/TextField';
import { TimeField } from '../ui/TimeField';
import { useTitle } from '../ui/use-title';
import { useProject } from './ProjectLayout';

const PER_PAGE = 25;

const targetOf = (target: Record<string, unknown>) => [target.type, target.name ?? target.id].filter(Boolean).join(' ');

/**
 * A project's audit trail, newest first, filtered by action (or an action prefix such as
 * "connection.") and by time (from inclusive, to exclusive); the query lives in the URL.
 */
export function AuditEvents() {
  useTitle('Audit events');
  const api = useApi();
  const { project } = useProject();
  const { params, page, applied: action, typed, setTyped, update } = useUrlFilters('action');
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';

  const events = useQuery(`audit:${project.id}:${action}:${from}:${to}:${page}`, () =>
    api.GET('/api/v1/projects/{project}/audit-events', {
      params: {
        path: { project: project.slug },
        query: { action: action || undefined, from: from || undefined, to: to || undefined, page, perPage: PER_PAGE },
      },
    }),
  );
  const total = events.data?.meta.total ?? 0;
  return (
    <main>
      <h1>Audit events</h1>
      <div className="filters" role="search">
        <TextField
          id="audit-action"
          label="Action"
          type="search"
          value={typed}
          onChange={setTyped}
          help="An action, or a prefix ending in a dot."
        />
        <TimeField
          id="audit-from"
          label="From"
          value={from}
          onChange={(iso) => update({ from: iso, page: '' })}
          help="Inclusive, your local time."
        />
        <TimeField id="audit-to" label="To" value={to} onChange={(iso) => update({ to: iso, page: '' })} help="Exclusive." />
      </div>
      {events.problem && <ProblemAlert problem={events.problem} />}
      {events.data && events.data.data.length === 0 && <p>No event matches.</p>}
      {events.data && events.data.data.length > 0 && (
        <table className="grid">
          <caption className="visually-hidden">Audit events of {project.name}</caption>
          <GridHead columns={['When', 'Action', 'Outcome', 'Actor', 'Target', 'Details']} />
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
                <td className="wrap-anywhere">{event.details && <code className="mono">{JSON.stringify(event.details)}</code>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {events.loading && <p role="status">Loading…</p>}
      {events.data && (
        <Pager page={page} perPage={PER_PAGE} total={total} noun={['event', 'events']} onPage={(next) => update({ page: String(next) })} />
      )}
    </main>
  );
}
