import { Fragment, useState } from 'react';
import { problemOf, type ShownProblem } from '../../api/problem';
import { useApi } from '../../app-context';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { useProject } from '../ProjectLayout';

/**
 * The stored secrets' values, fetched only on an explicit action (the API audits each reveal)
 * and held only while shown: hiding them forgets them.
 */
export function RevealSecrets({ name }: { name: string }) {
  const api = useApi();
  const { project } = useProject();
  const [values, setValues] = useState<Record<string, string> | null>(null);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const reveal = async () => {
    const { data, error, response } = await api.GET('/api/v1/projects/{project}/connections/{connection}', {
      params: { path: { project: project.slug, connection: name }, query: { reveal: true } },
    });
    if (data) {
      setProblem(null);
      setValues(data.secrets ?? {});
    } else setProblem(problemOf(error, response));
  };
  return (
    <section aria-labelledby="secrets-title">
      <h2 id="secrets-title">Secrets</h2>
      {problem && <ProblemAlert problem={problem} />}
      {values ? (
        <>
          <p className="notice" role="status">
            Shown once, for you: this reveal is in the project's audit trail.
          </p>
          <dl className="details">
            {Object.entries(values).map(([field, value]) => (
              <Fragment key={field}>
                <dt>{field}</dt>
                <dd>
                  <code>{value}</code>
                </dd>
              </Fragment>
            ))}
          </dl>
          <button type="button" onClick={() => setValues(null)}>
            Hide secrets
          </button>
        </>
      ) : (
        <button type="button" onClick={() => void reveal()}>
          Reveal secrets
        </button>
      )}
    </section>
  );
}
