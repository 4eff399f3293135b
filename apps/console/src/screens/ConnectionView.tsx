import { Fragment, useState } from 'react';
import { Link, useParams } from 'react-router';
import { problemOf, type ShownProblem } from '../api/problem';
import type { TestResult } from '../api/types';
import { useQuery } from '../api/use-query';
import { useApi } from '../app-context';
import { ProblemAlert } from '../ui/ProblemAlert';
import { TestResultView } from '../ui/TestResultView';
import { CloneConnection } from './connection/CloneConnection';
import { ConnectionUsages } from './connection/ConnectionUsages';
import { DeleteConnection } from './connection/DeleteConnection';
import { RevealSecrets } from './connection/RevealSecrets';
import { SendTestEmail } from './connection/SendTestEmail';
import { useTitle } from '../ui/use-title';
import { useStoredConnection } from './connection/use-stored-connection';
import { useProject } from './ProjectLayout';

/** Capabilities the explorer shows. */
const EXPLORABLE = ['catalogs', 'databases', 'schemas', 'tables', 'query', 'files'];

const shown = (value: unknown) => (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));

/** One connection: what it is, its test, and the way to edit, explore, clone or delete it. */
export function ConnectionView() {
  const { connection: ref = '' } = useParams();
  // Keyed by the connection: landing on another one (a clone) starts with nothing open and no old test result.
  return <ConnectionScreen key={ref} connectionRef={ref} />;
}

function ConnectionScreen({ connectionRef: ref }: { connectionRef: string }) {
  const api = useApi();
  const { project, can } = useProject();
  useTitle(ref);
  const loaded = useStoredConnection(ref, 'view');
  const connection = loaded.data?.connection;
  const type = useQuery(
    connection ? `connection-type:${connection.type}` : 'connection-type:none',
    connection ? () => api.GET('/api/v1/connection-types/{type}', { params: { path: { type: connection.type } } }) : null,
  );
  const [result, setResult] = useState<TestResult | null>(null);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [testing, setTesting] = useState(false);
  const [pending, setPending] = useState<'clone' | 'delete' | null>(null);

  const test = async () => {
    setTesting(true);
    setResult(null);
    setProblem(null);
    const { data, error, response } = await api.POST('/api/v1/projects/{project}/connections/{connection}/test', {
      params: { path: { project: project.slug, connection: ref } },
      body: {},
    });
    setTesting(false);
    if (data) setResult(data);
    else setProblem(problemOf(error, response));
  };

  const explorable = type.data?.capabilities.some((capability) => EXPLORABLE.includes(capability)) ?? false;
  return (
    <main>
      <p>
        <Link to={`/projects/${project.slug}/connections`}>Back to connections</Link>
      </p>
      <div className="heading">
        <h1>{ref}</h1>
        <div className="actions">
          {connection && can('connections:test') && (
            <button type="button" onClick={() => void test()} disabled={testing}>
              {testing ? 'Testing…' : 'Test connection'}
            </button>
          )}
          {connection && explorable && can('connections:test') && (
            <Link className="button" to={`/projects/${project.slug}/connections/${connection.name}/explore`}>
              Explore
            </Link>
          )}
          {connection && can('connections:write') && (
            <Link className="button" to={`/projects/${project.slug}/connections/${connection.name}/edit`}>
              Edit
            </Link>
          )}
          {connection && can('connections:write') && (
            <>
              <button type="button" aria-expanded={pending === 'clone'} onClick={() => setPending('clone')}>
                Clone
              </button>
              <button type="button" className="danger" aria-expanded={pending === 'delete'} onClick={() => setPending('delete')}>
                Delete
              </button>
            </>
          )}
        </div>
      </div>
      {connection && pending === 'clone' && (
        <CloneConnection key={`clone:${connection.id}`} name={connection.name} onCancel={() => setPending(null)} />
      )}
      {connection && pending === 'delete' && (
        <DeleteConnection
          key={`delete:${connection.id}`}
          name={connection.name}
          etag={loaded.data?.etag}
          onCancel={() => setPending(null)}
          onReload={loaded.reload}
        />
      )}
      {loaded.problem && <ProblemAlert problem={loaded.problem} />}
      {problem && <ProblemAlert problem={problem} />}
      {result && <TestResultView result={result} />}
      {connection && (
        <dl className="details">
          <dt>Type</dt>
          <dd>{type.data?.label ?? connection.type}</dd>
          <dt>Status</dt>
          <dd>
            <span className={`badge ${connection.enabled ? 'ok' : 'off'}`}>{connection.enabled ? 'Enabled' : 'Disabled'}</span>
          </dd>
          {connection.description && (
            <>
              <dt>Description</dt>
              <dd>{connection.description}</dd>
            </>
          )}
          {connection.uri && (
            <>
              <dt>URI</dt>
              <dd>
                <code>{connection.uri}</code>
              </dd>
            </>
          )}
          {Object.entries(connection.config).map(([key, value]) => (
            <Fragment key={key}>
              <dt>{key}</dt>
              <dd>
                <code>{shown(value)}</code>
              </dd>
            </Fragment>
          ))}
          <dt>Secrets set</dt>
          <dd>{connection.secretFields.length ? connection.secretFields.join(', ') : 'none'}</dd>
          <dt>Updated</dt>
          <dd>{new Date(connection.updatedAt).toLocaleString()}</dd>
        </dl>
      )}
      {connection && can('connections:test') && type.data?.capabilities.includes('sendTestEmail') && (
        <SendTestEmail key={`test-email:${connection.id}`} name={connection.name} />
      )}
      {connection && can('secrets:reveal') && connection.secretFields.length > 0 && (
        <RevealSecrets key={`reveal:${connection.id}`} name={connection.name} />
      )}
      {connection && <ConnectionUsages key={`usages:${connection.id}`} name={connection.name} />}
    </main>
  );
}
