import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import { fieldErrorsOf, problemOf, type ShownProblem } from '../api/problem';
import type { Connection, ConnectionType, ConnectionTypeName, TestResult } from '../api/types';
import { useQuery } from '../api/use-query';
import { useApi } from '../app-context';
import { configOf, fieldsOf, initialValues, missingRequired, requiredNames, USED, type FormValues, type JsonSchema } from '../form/schema';
import { drafts } from '../form/draft';
import { SchemaFields } from '../form/SchemaFields';
import { SecretInput } from '../form/SecretInput';
import { initialSecretStates, keptSecrets, onlySecrets, secretsInUse, secretsPayload, type SecretStates } from '../form/secrets';
import { OtherErrors } from '../ui/OtherErrors';
import { ProblemAlert } from '../ui/ProblemAlert';
import { TestResultView } from '../ui/TestResultView';
import { TextField } from '../ui/TextField';
import { TypeOptions } from '../ui/TypeOptions';
import { useTitle } from '../ui/use-title';
import { ConnectionFromUri } from './connection/ConnectionFromUri';
import { CredentialChoice } from '../form/CredentialChoice';
import { useStoredConnection } from './connection/use-stored-connection';
import { useProject } from './ProjectLayout';

/** New connection: pick a type, then the form its JSON Schema describes. */
export function ConnectionNew() {
  useTitle('New connection');
  const api = useApi();
  const { project } = useProject();
  const types = useQuery('connection-types', () => api.GET('/api/v1/connection-types'));
  // The type is in the URL: a reload, or a sign-in after the session ended, comes back to the same form.
  const [params, setParams] = useSearchParams();
  const type = (params.get('type') ?? '') as ConnectionTypeName | '';
  const byUri = params.get('mode') === 'uri';
  const setType = (next: string) => setParams(next ? { type: next } : {}, { replace: true });
  const definition = useQuery(
    type && !byUri ? `connection-type:${type}` : 'connection-type:none',
    type && !byUri ? () => api.GET('/api/v1/connection-types/{type}', { params: { path: { type } } }) : null,
  );
  return (
    <main>
      <h1>New connection</h1>
      <p>
        <Link to={`/projects/${project.slug}/connections`}>Back to connections</Link>
      </p>
      <fieldset className="group modes">
        <legend>Create</legend>
        <div className="field checkbox">
          <input id="mode-form" type="radio" name="mode" checked={!byUri} onChange={() => setParams({}, { replace: true })} />
          <label htmlFor="mode-form">With the settings form</label>
        </div>
        <div className="field checkbox">
          <input id="mode-uri" type="radio" name="mode" checked={byUri} onChange={() => setParams({ mode: 'uri' }, { replace: true })} />
          <label htmlFor="mode-uri">From a URI</label>
        </div>
      </fieldset>
      {byUri ? (
        <ConnectionFromUri />
      ) : (
        <>
          {types.problem && <ProblemAlert problem={types.problem} />}
          <div className="field">
            <label htmlFor="connection-type">Type</label>
            <select id="connection-type" value={type} onChange={(event) => setType(event.target.value)}>
              <option value="">Choose a type…</option>
              <TypeOptions types={types.data?.data} />
            </select>
          </div>
          {definition.problem && <ProblemAlert problem={definition.problem} />}
          {type && definition.data?.type === type && <ConnectionEditor key={type} definition={definition.data} />}
        </>
      )}
    </main>
  );
}

/** Edit a stored connection: its config in the form, its secrets kept unless replaced or cleared. */
export function ConnectionEdit() {
  const api = useApi();
  const { project } = useProject();
  const { connection: ref = '' } = useParams();
  useTitle(`Edit ${ref}`);
  const stored = useStoredConnection(ref, 'edit');
  const type = stored.data?.connection.type;
  const definition = useQuery(
    type ? `connection-type:${type}` : 'connection-type:none',
    type ? () => api.GET('/api/v1/connection-types/{type}', { params: { path: { type } } }) : null,
  );
  return (
    <main>
      <h1>Edit {ref}</h1>
      <p>
        <Link to={`/projects/${project.slug}/connections/${ref}`}>Back to {ref}</Link>
      </p>
      {stored.problem && <ProblemAlert problem={stored.problem} />}
      {definition.problem && <ProblemAlert problem={definition.problem} />}
      {stored.data && definition.data && definition.data.type === type && (
        <ConnectionEditor definition={definition.data} stored={stored.data.connection} etag={stored.data.etag} />
      )}
    </main>
  );
}

interface EditorProps {
  definition: ConnectionType;
  stored?: Connection;
  etag?: string;
}

export function ConnectionEditor({ definition, stored, etag }: EditorProps) {
  const api = useApi();
  const navigate = useNavigate();
  const { project, can } = useProject();
  const schema = definition.configSchema as JsonSchema;
  const fields = useMemo(() => fieldsOf(schema), [schema]);
  const draftKey = useLocation().pathname;
  const [restored] = useState(() => drafts.read(draftKey, definition.type));
  const [name, setName] = useState(restored?.name ?? stored?.name ?? '');
  const [description, setDescription] = useState(restored?.description ?? stored?.description ?? '');
  const [enabled, setEnabled] = useState(restored?.enabled ?? stored?.enabled ?? true);
  const [credentialId, setCredentialId] = useState(restored?.credentialId ?? stored?.credentialId ?? '');
  const [values, setValues] = useState<FormValues>(() => restored?.values ?? initialValues(fields, definition.defaults, stored?.config));
  const [dirty, setDirty] = useState(restored !== null);
  const [kept, setKept] = useState(restored !== null);
  useEffect(() => {
    if (dirty) drafts.write(draftKey, { type: definition.type, name, description, enabled, values, credentialId });
  }, [dirty, draftKey, definition.type, name, description, enabled, values, credentialId]);
  const edit =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      setDirty(true);
      set(value);
    };
  const discard = () => {
    drafts.discard(draftKey);
    setDirty(false);
    setKept(false);
    setName(stored?.name ?? '');
    setDescription(stored?.description ?? '');
    setEnabled(stored?.enabled ?? true);
    setCredentialId(stored?.credentialId ?? '');
    setValues(initialValues(fields, definition.defaults, stored?.config));
  };
  const [secrets, setSecrets] = useState<SecretStates>(() =>
    initialSecretStates(
      definition.secretFields.map((field) => field.name),
      stored?.secretFields,
    ),
  );
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState<TestResult | null>(null);
  const [busy, setBusy] = useState<'save' | 'test' | null>(null);
  const errors = { ...fieldErrorsOf(problem), ...localErrors };
  const { config } = configOf(fields, values);
  const required = requiredNames(schema, config);
  // The tunnel's secrets show (and are sent) only while "Use SSH tunnel" is checked.
  const tunnel = values.sshTunnel;
  const tunnelUsed = typeof tunnel === 'object' && (tunnel[USED] === true || required.has('sshTunnel'));
  // A shared credential brings every secret: none is entered beside it (the API refuses both).
  const shownSecrets = credentialId ? [] : secretsInUse(definition.secretFields, tunnelUsed);
  const sentSecrets = onlySecrets(
    secrets,
    shownSecrets.map((field) => field.name),
  );
  // Shown at the top: what no field on screen can show.
  const shownAtFields = new Set([
    'name',
    'description',
    'enabled',
    'credentialId',
    ...Object.keys(errors).filter((key) => key.startsWith('config.') || key.startsWith('secrets.')),
  ]);

  const secretsSource = credentialId ? { credentialId } : { secrets: secretsPayload(sentSecrets) };

  /** The config to send, or null (with the errors at their fields) when the form cannot be sent as it is. */
  const draft = (needsName: boolean) => {
    const built = configOf(fields, values);
    const found = {
      ...built.errors,
      ...missingRequired(fields, schema, built.config),
      ...(needsName && !name.trim() && { name: 'is required' }),
    };
    setLocalErrors(found);
    if (Object.keys(found).length) setProblem(null);
    return Object.keys(found).length ? null : built.config;
  };

  const test = async () => {
    const config = draft(false);
    if (!config) return;
    setBusy('test');
    setResult(null);
    setProblem(null);
    const { data, error, response } = await api.POST('/api/v1/projects/{project}/connections/test', {
      params: { path: { project: project.slug } },
      body: { type: definition.type, config, ...secretsSource, ...(name && { name }) },
    });
    setBusy(null);
    if (data) setResult(data);
    else setProblem(problemOf(error, response));
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const config = draft(true);
    if (!config) return;
    setBusy('save');
    setProblem(null);
    const body = { name, type: definition.type, config, ...secretsSource, description: description || null, enabled };
    const answer = stored
      ? await api.PUT('/api/v1/projects/{project}/connections/{connection}', {
          params: { path: { project: project.slug, connection: stored.id }, header: etag ? { 'If-Match': etag } : {} },
          body,
        })
      : await api.POST('/api/v1/projects/{project}/connections', { params: { path: { project: project.slug } }, body });
    setBusy(null);
    if (answer.data) {
      drafts.discard(draftKey);
      navigate(`/projects/${project.slug}/connections/${answer.data.name}`);
    } else setProblem(problemOf(answer.error, answer.response));
  };

  const keptNames = keptSecrets(sentSecrets);
  return (
    <form onSubmit={save} noValidate className="form" aria-label={stored ? `Edit ${stored.name}` : `New ${definition.label} connection`}>
      <p className="muted">{definition.description}</p>
      {kept && (
        <div className="notice" role="status">
          Your unsaved changes to this form were kept (secrets are never kept: enter them again).{' '}
          <button type="button" className="link" onClick={discard}>
            Discard changes
          </button>
        </div>
      )}
      {problem && <ProblemAlert problem={problem} title={problem.errors.length ? 'Some fields need attention' : undefined} />}
      {Object.keys(localErrors).length > 0 && (
        <p className="problem" role="alert">
          <strong>Some fields need attention</strong>:{' '}
          {Object.keys(localErrors).length === 1 ? 'one field' : `${Object.keys(localErrors).length} fields`} below.
        </p>
      )}
      <OtherErrors errors={problem?.errors ?? []} shownAtFields={shownAtFields} />
      <fieldset className="group">
        <legend>Connection</legend>
        <TextField
          id="connection-name"
          label="Name"
          value={name}
          onChange={edit(setName)}
          error={errors.name}
          required
          help="Lowercase letters, digits and hyphens; unique in the project."
        />
        <TextField
          id="connection-description"
          label="Description"
          value={description}
          onChange={edit(setDescription)}
          error={errors.description}
        />
        <div className="field checkbox">
          <label htmlFor="connection-enabled">Enabled</label>
          <input id="connection-enabled" type="checkbox" checked={enabled} onChange={(event) => edit(setEnabled)(event.target.checked)} />
        </div>
      </fieldset>
      <fieldset className="group">
        <legend>{definition.label} settings</legend>
        <SchemaFields fields={fields} values={values} errors={errors} required={required} onChange={edit(setValues)} />
        <CredentialChoice
          usable={definition.credentialTypes}
          value={credentialId}
          onChange={edit(setCredentialId)}
          error={errors.credentialId}
        />
      </fieldset>
      {shownSecrets.length > 0 && (
        <fieldset className="group">
          <legend>Secrets</legend>
          {shownSecrets.map((field) => (
            <SecretInput
              key={field.name}
              field={field}
              state={secrets[field.name] ?? { mode: 'empty' }}
              error={errors[`secrets.${field.name}`]}
              onChange={(state) => setSecrets((current) => ({ ...current, [field.name]: state }))}
            />
          ))}
        </fieldset>
      )}
      <div className="actions">
        {can('connections:test') && (
          <button type="button" onClick={() => void test()} disabled={busy !== null}>
            {busy === 'test' ? 'Testing…' : 'Test connection'}
          </button>
        )}
        <button type="submit" className="primary" disabled={busy !== null}>
          {busy === 'save' ? 'Saving…' : 'Save'}
        </button>
      </div>
      {keptNames.length > 0 && can('connections:test') && (
        <p className="help">
          A test of this draft runs without the kept secrets ({keptNames.join(', ')}): the service never hands them out. Test the saved
          connection to use them.
        </p>
      )}
      {result && <TestResultView result={result} />}
    </form>
  );
}
