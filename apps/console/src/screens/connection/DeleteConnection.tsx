import { useState } from 'react';
import { useNavigate } from 'react-router';
import { problemOf, type ShownProblem } from '../../api/problem';
import { useApi } from '../../app-context';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { useProject } from '../ProjectLayout';

/**
 * Delete after an explicit confirmation. While consumers are registered the API refuses (409,
 * naming them): the refusal is shown, and "Delete anyway" forces it.
 */
export function DeleteConnection({ name, onCancel }: { name: string; onCancel: () => void }) {
  const api = useApi();
  const navigate = useNavigate();
  const { project } = useProject();
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const remove = async (force: boolean) => {
    setBusy(true);
    const { error, response } = await api.DELETE('/api/v1/projects/{project}/connections/{connection}', {
      params: { path: { project: project.slug, connection: name }, query: force ? { force: true } : {} },
    });
    setBusy(false);
    if (response.ok) navigate(`/projects/${project.slug}/connections`);
    else setProblem(problemOf(error, response));
  };
  const inUse = problem?.status === 409;
  return (
    <section className="card danger" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete {name}?</h2>
      {!problem && <p>The connection and the secrets it owns are removed. This cannot be undone.</p>}
      {problem && <ProblemAlert problem={problem} title={inUse ? `${name} is in use` : undefined} />}
      <div className="actions">
        {inUse ? (
          <button type="button" className="danger" disabled={busy} onClick={() => void remove(true)}>
            Delete anyway
          </button>
        ) : (
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
