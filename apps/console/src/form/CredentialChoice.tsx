import { useQuery } from '../api/use-query';
import { useApi } from '../app-context';
import { useProject } from '../screens/ProjectLayout';

interface Props {
  /** The credential types this connection type accepts (its definition's credentialTypes). */
  usable: readonly string[];
  /** A credential id, or '' for secrets entered in the form. */
  value: string;
  onChange: (credentialId: string) => void;
  error?: string;
}

/**
 * Where the connection's secrets come from: the form (stored with the connection) or one of the
 * project's shared credentials of a usable type. Shown only when there is a choice to make.
 */
export function CredentialChoice({ usable, value, onChange, error }: Props) {
  const api = useApi();
  const { project, can } = useProject();
  const load = can('credentials:read') && usable.length > 0;
  const credentials = useQuery(
    load ? `credentials:${project.id}` : 'credentials:none',
    load
      ? () => api.GET('/api/v1/projects/{project}/credentials', { params: { path: { project: project.slug }, query: { perPage: 100 } } })
      : null,
  );
  const options = (credentials.data?.data ?? []).filter((credential) => usable.includes(credential.type));
  if (!options.length && !value) return null;
  const described = ['connection-credential-help', error ? 'connection-credential-error' : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor="connection-credential">Secrets from</label>
      <select
        id="connection-credential"
        value={value}
        aria-describedby={described}
        aria-invalid={error ? true : undefined}
        onChange={(event) => onChange(event.target.value)}
      >
        <option value="">This form (kept with the connection)</option>
        {options.map((credential) => (
          <option key={credential.id} value={credential.id}>
            {credential.name} ({credential.type} credential)
          </option>
        ))}
        {value && !options.some((credential) => credential.id === value) && <option value={value}>The credential set now</option>}
      </select>
      <p className="help" id="connection-credential-help">
        A shared credential keeps its secrets in one place for several connections.
      </p>
      {error && (
        <p className="error" id="connection-credential-error">
          {error}
        </p>
      )}
    </div>
  );
}
