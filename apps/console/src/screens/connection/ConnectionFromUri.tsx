import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { problemOf } from '../../api/problem';
import { useApi } from '../../app-context';
import { OtherErrors } from '../../ui/OtherErrors';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { TextField } from '../../ui/TextField';
import { useSubmission } from '../../ui/use-submission';
import { useProject } from '../ProjectLayout';

const NAME_HELP = 'Lowercase letters, digits and hyphens; unique in the project.';
const URI_HELP =
  'For example postgresql://reader:password@db.internal:5432/analytics?sslmode=require. The password in it is stored encrypted and never shown again.';
const SHOWN_AT_FIELDS = new Set(['name', 'description', 'uri']);

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
  const { problem, setProblem, busy, setBusy, errors } = useSubmission();
  const shownAtFields = SHOWN_AT_FIELDS;
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
      <OtherErrors errors={problem?.errors ?? []} shownAtFields={shownAtFields} />
      <TextField id="uri-name" label="Name" value={name} onChange={setName} error={errors.name} required help={NAME_HELP} />
      <TextField id="uri-description" label="Description" value={description} onChange={setDescription} error={errors.description} />
      <TextField id="connection-uri" label="Connection URI" value={uri} onChange={setUri} error={errors.uri} required help={URI_HELP} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}
