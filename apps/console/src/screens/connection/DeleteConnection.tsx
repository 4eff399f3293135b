import { useState } from 'react';
import { useNavigate } from 'react-router';
import { problemOf, type ShownProblem } from '../../api/problem';
import { useApi } from '../../app-context';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { useProject } from '../ProjectLayout';

interface Props {
  name: string;
  /** The ETag read, sent as If-Match: what is deleted is what the person saw. */
  etag: string | undefined;
  onCancel: () => void;
  /** Reads the connection again (after a 412: someone else changed it). */
  onReload: () => void;
}

/**
 * Delete after an explicit confirmation, of the version shown only (If-Match). While consumers
 * are registered the API refuses (409, listing them): they are shown, and "Delete anyway"
 * forces it. A 412 means someone changed the connection meanwhile: reload and decide again.
 */
export function DeleteConnection({ name, etag, onCancel, onReload }: Props) {
  const api = useApi();
  const navigate = useNavigate();
  const { project } = useProject();
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const remove = async (force: boolean) => {
    setBusy(true);
    const { error, response } = await api.DELETE('/api/v1/projects/{project}/connections/{connection}', {
      params: {
        path: { project: project.slug, connection: name },
        query: force ? { force: true } : {},
        header: etag ? { 'If-Match': etag } : {},
      },
    });
    setBusy(false);
    if (response.ok) navigate(`/projects/${project.slug}/connections`);
    else setProblem(problemOf(error, response));
  };
  const reload = () => {
    setProblem(null);
    onReload();
  };
  const inUse = problem?.status === 409;
  const stale = problem?.status === 412;
  return (
    <section className="card danger" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete {name}?</h2>
      {!problem && <p>The connection and the secrets it owns are removed. This cannot be undone.</p>}
      {problem && !stale && <ProblemAlert problem={problem} title={inUse ? `${name} is in use` : undefined} />}
      {stale && (
        <ProblemAlert
          problem={{
            ...problem,
            detail: 'Someone else changed it since you opened it; nothing was deleted. Reload to see what it is now.',
          }}
          title={`${name} has changed`}
        />
      )}
      {inUse && problem.consumers && problem.consumers.length > 0 && (
        <>
          <p id="consumers-title">Deleting it anyway breaks these consumers:</p>
          <ul aria-labelledby="consumers-title" className="consumers">
            {problem.consumers.map((ref) => (
              <li key={ref.consumer}>
                <code>{ref.consumer}</code>
                {ref.description && <span className="help"> — {ref.description}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
      <div className="actions">
        {stale && (
          <button type="button" className="primary" onClick={reload}>
            Reload
          </button>
        )}
        {inUse && (
          <button type="button" className="danger" disabled={busy} onClick={() => void remove(true)}>
            Delete anyway
          </button>
        )}
        {!inUse && !stale && (
          <button type="button" className="danger" disabled={busy} onClick={() => void remove(false)}>
            Delete {name}
          </button>
        )}
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}
