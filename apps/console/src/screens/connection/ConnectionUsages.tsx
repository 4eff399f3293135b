import { useState, type FormEvent } from 'react';
import { fieldErrorsOf, problemOf, type ShownProblem } from '../../api/problem';
import { useQuery } from '../../api/use-query';
import { useApi } from '../../app-context';
import { GridHead } from '../../ui/GridHead';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { TextField } from '../../ui/TextField';
import { useProject } from '../ProjectLayout';

const EXAMPLE = 'For example airflow:nightly_load.';

/** The consumers declared for a connection (what a delete would break): listed, registered, unregistered. */
export function ConnectionUsages({ name }: { name: string }) {
  const api = useApi();
  const { project } = useProject();
  const path = { project: project.slug, connection: name };
  const usages = useQuery(`usages:${project.id}:${name}`, () =>
    api.GET('/api/v1/projects/{project}/connections/{connection}/usages', { params: { path } }),
  );
  const [consumer, setConsumer] = useState('');
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const errors = fieldErrorsOf(problem);

  const register = async (event: FormEvent) => {
    event.preventDefault();
    if (!consumer.trim()) {
      setProblem({
        title: 'Some fields need attention',
        detail: 'Name the consumer.',
        code: 'VALIDATION_FAILED',
        status: 0,
        errors: [{ field: 'consumer', message: 'is required' }],
      });
      return;
    }
    const { error, response } = await api.PUT('/api/v1/projects/{project}/connections/{connection}/usages/{consumer}', {
      params: { path: { ...path, consumer } },
      body: { description: note || null },
    });
    if (!response.ok) return setProblem(problemOf(error, response));
    setProblem(null);
    setConsumer('');
    setNote('');
    usages.reload();
  };
  const unregister = async (name: string) => {
    const { error, response } = await api.DELETE('/api/v1/projects/{project}/connections/{connection}/usages/{consumer}', {
      params: { path: { ...path, consumer: name } },
    });
    if (!response.ok) return setProblem(problemOf(error, response));
    setProblem(null);
    usages.reload();
  };

  return (
    <section aria-labelledby="usages-title">
      <h2 id="usages-title">Usages</h2>
      <p className="help">Programs that declared they use this connection; deleting it is refused while any is listed.</p>
      {usages.problem && <ProblemAlert problem={usages.problem} />}
      {usages.data && usages.data.data.length === 0 && <p>No consumer declared.</p>}
      {usages.data && usages.data.data.length > 0 && (
        <table className="grid">
          <caption className="visually-hidden">Consumers of {name}</caption>
          <GridHead columns={['Consumer', 'Description', 'Declared']} actions />
          <tbody>
            {usages.data.data.map((usage) => (
              <tr key={usage.consumer}>
                <td>
                  <code>{usage.consumer}</code>
                </td>
                <td>{usage.description}</td>
                <td>{new Date(usage.createdAt).toLocaleString()}</td>
                <td>
                  <button type="button" aria-label={`Unregister ${usage.consumer}`} onClick={() => void unregister(usage.consumer)}>
                    Unregister
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="form inline-form" onSubmit={register} noValidate aria-label="Register a consumer">
        {problem && !errors.consumer && !errors.description && <ProblemAlert problem={problem} />}
        <TextField id="consumer" label="Consumer" value={consumer} onChange={setConsumer} error={errors.consumer} required help={EXAMPLE} />
        <TextField id="usage-note" label="Consumer description" value={note} onChange={setNote} error={errors.description} />
        <button type="submit">Register consumer</button>
      </form>
    </section>
  );
}
