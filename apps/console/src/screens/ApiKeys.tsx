import { useState, type FormEvent } from 'react';
import { fieldErrorsOf, problemOf, type ShownProblem } from '../api/problem';
import type { CreatedApiKey, Scope } from '../api/types';
import { useQuery } from '../api/use-query';
import { useApi } from '../app-context';
import { ProblemAlert } from '../ui/ProblemAlert';
import { TextField } from '../ui/TextField';
import { useTitle } from '../ui/use-title';
import { useProject } from './ProjectLayout';

const date = (value: string | null) => (value ? new Date(value).toLocaleString() : '—');

/** A project's API keys: create one with scopes (its key shown once), revoke. */
export function ApiKeys() {
  useTitle('API keys');
  const api = useApi();
  const { project } = useProject();
  const path = { project: project.slug };
  const keys = useQuery(`api-keys:${project.id}`, () =>
    api.GET('/api/v1/projects/{project}/api-keys', { params: { path, query: { perPage: 100 } } }),
  );
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [problem, setProblem] = useState<ShownProblem | null>(null);

  const revoke = async (id: string, name: string) => {
    if (!window.confirm(`Revoke the API key "${name}"? Programs using it stop working at once.`)) return;
    const { error, response } = await api.DELETE('/api/v1/projects/{project}/api-keys/{id}', { params: { path: { ...path, id } } });
    if (!response.ok) setProblem(problemOf(error, response));
    else {
      setProblem(null);
      keys.reload();
    }
  };

  return (
    <main>
      <h1>API keys</h1>
      {created && <CreatedKey created={created} onDone={() => setCreated(null)} />}
      <CreateApiKey
        scopes={project.scopes}
        onCreated={(key) => {
          setCreated(key);
          keys.reload();
        }}
      />
      <section aria-labelledby="keys-title">
        <h2 id="keys-title">Keys of {project.name}</h2>
        {problem && <ProblemAlert problem={problem} />}
        {keys.problem && <ProblemAlert problem={keys.problem} />}
        {keys.data && keys.data.data.length === 0 && <p>No API key yet.</p>}
        {keys.data && keys.data.data.length > 0 && (
          <table className="grid">
            <caption className="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Scopes</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.data.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td>
                    <code>{key.prefix}…</code>
                  </td>
                  <td>{key.scopes.join(', ')}</td>
                  <td>{date(key.lastUsedAt)}</td>
                  <td>{date(key.expiresAt)}</td>
                  <td>
                    {key.revokedAt ? (
                      <span className="badge off">Revoked</span>
                    ) : (
                      <button type="button" aria-label={`Revoke ${key.name}`} onClick={() => void revoke(key.id, key.name)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </main>
  );
}

/** The key itself, in this one answer only: copy it now. */
function CreatedKey({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(created.key);
    setCopied(true);
  };
  return (
    <section className="created-key" aria-labelledby="created-key-title" role="status">
      <h2 id="created-key-title">API key "{created.name}" created</h2>
      <p>Copy it now: it is shown only this once, and the service keeps only a hash of it.</p>
      <div className="inline">
        <label htmlFor="created-key" className="visually-hidden">
          New API key
        </label>
        <input id="created-key" readOnly value={created.key} className="mono" onFocus={(event) => event.currentTarget.select()} />
        <button type="button" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </section>
  );
}

function CreateApiKey({ scopes, onCreated }: { scopes: Scope[]; onCreated: (key: CreatedApiKey) => void }) {
  const api = useApi();
  const { project } = useProject();
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<Scope[]>(['connections:read']);
  const [expiresAt, setExpiresAt] = useState('');
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const errors = fieldErrorsOf(problem);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const { data, error, response } = await api.POST('/api/v1/projects/{project}/api-keys', {
      params: { path: { project: project.slug } },
      body: { name, scopes: chosen, expiresAt: expiresAt ? new Date(expiresAt).toISOString() : null },
    });
    setBusy(false);
    if (data) {
      setProblem(null);
      setName('');
      onCreated(data);
    } else setProblem(problemOf(error, response));
  };
  const toggle = (scope: Scope, on: boolean) =>
    setChosen((current) => (on ? [...current, scope] : current.filter((item) => item !== scope)));
  return (
    <section aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create an API key</h2>
      <form onSubmit={submit} noValidate className="form">
        {problem && <ProblemAlert problem={problem} />}
        <TextField id="key-name" label="Name" value={name} onChange={setName} error={errors.name} required />
        <fieldset className="group" aria-describedby="key-scopes-help">
          <legend>Scopes</legend>
          <p className="help" id="key-scopes-help">
            A key can hold only scopes you hold here.
          </p>
          <div className="scopes">
            {scopes.map((scope) => (
              <div key={scope} className="field checkbox">
                <input
                  id={`scope-${scope}`}
                  type="checkbox"
                  checked={chosen.includes(scope)}
                  onChange={(event) => toggle(scope, event.target.checked)}
                />
                <label htmlFor={`scope-${scope}`}>{scope}</label>
              </div>
            ))}
          </div>
          {errors.scopes && <p className="error">{errors.scopes}</p>}
        </fieldset>
        <TextField
          id="key-expires"
          label="Expires (optional)"
          type="datetime-local"
          value={expiresAt}
          onChange={setExpiresAt}
          error={errors.expiresAt}
        />
        <button type="submit" className="primary" disabled={busy}>
          Create API key
        </button>
      </form>
    </section>
  );
}
