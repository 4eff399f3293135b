import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { problemOf } from '../../api/problem';
import { useApi } from '../../app-context';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { TextField } from '../../ui/TextField';
import { useSubmission } from '../../ui/use-submission';
import { useProject } from '../ProjectLayout';

/** Copy a connection under a new name, then open the copy. */
export function CloneConnection({ name, onCancel }: { name: string; onCancel: () => void }) {
  const api = useApi();
  const navigate = useNavigate();
  const { project } = useProject();
  const [cloneName, setCloneName] = useState(`${name}-copy`);
  const { problem, setProblem, busy, setBusy, errors } = useSubmission();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const { data, error, response } = await api.POST('/api/v1/projects/{project}/connections/{connection}/clone', {
      params: { path: { project: project.slug, connection: name } },
      body: { name: cloneName },
    });
    setBusy(false);
    if (data) navigate(`/projects/${project.slug}/connections/${data.name}`);
    else setProblem(problemOf(error, response));
  };
  return (
    <form className="form card" onSubmit={submit} noValidate aria-label={`Clone ${name}`}>
      {problem && !errors.name && <ProblemAlert problem={problem} />}
      <TextField id="clone-name" label="Name of the clone" value={cloneName} onChange={setCloneName} error={errors.name} required />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Cloning…' : 'Create clone'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
