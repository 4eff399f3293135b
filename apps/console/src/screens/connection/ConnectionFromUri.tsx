import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { fieldErrorsOf, problemOf, type ShownProblem } from '../../api/problem';
import { useApi } from '../../app-context';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { TextField } from '../../ui/TextField';
import { useProject } from '../ProjectLayout';

/**
 * A new connection from a connection string: the API parses it into type, config and secrets
 * (the password in it is stored encrypted, like any secret), and names what is wrong with it at the field.
 */
export function ConnectionFromUri() {
  const api = useApi();
  const navigate = useNavigate();
  const { project } = useProject();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [uri, setUri] = useState('');
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const errors = fieldErrorsOf(problem);
  const shownAtFields = new Set(['name', 'description', 'uri']);
  const otherErrors = problem?.errors.filter((error) => !shownAtFields.has(error.field)) ?? [];
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const { data, error, response } = await api.POST('/api/v1/projects/{project}/connections', {
      params: { path: { project: project.slug } },
      body: { name, uri, description: description || null },
    });
    setBusy(false);
    if (data) navigate(`/projects/${project.slug}/connections/${data.name}`);
    else setProblem(problemOf(error, response));
  };
  return (
    <form onSubmit={save} noValidate className="form" aria-label="New connection from a URI">
      {problem && <ProblemAlert problem={problem} title={problem.errors.length ? 'Some fields need attention' : undefined} />}
      {otherErrors.length > 0 && (
        <ul className="error">
          {otherErrors.map((error) => (
            <li key={error.field}>
              <code>{error.field}</code> {error.message}
            </li>
          ))}
        </ul>
      )}
      <TextField
        id="uri-name"
        label="Name"
        value={name}
        onChange={setName}
        error={errors.name}
        required
        help="Lowercase letters, digits and hyphens; unique in the project."
      />
      <TextField id="uri-description" label="Description" value={description} onChange={setDescription} error={errors.description} />
      <TextField
        id="connection-uri"
        label="Connection URI"
        value={uri}
        onChange={setUri}
        error={errors.uri}
        required
        help="For example postgresql://reader:password@db.internal:5432/analytics?sslmode=require. The password in it is stored encrypted and never shown again."
      />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}
