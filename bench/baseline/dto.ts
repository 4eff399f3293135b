import type { ConnectionRow } from './store';

/**
 * The service's connection JSON, field for field and in the same order (libs/connections
 * toDto), so both sides send the same bytes. The bench checks this before measuring.
 */
export interface ConnectionJson {
  id: string;
  projectId: string;
  name: string;
  type: string;
  description: string | null;
  config: Record<string, unknown>;
  credentialId: string | null;
  secretFields: string[];
  secrets?: Record<string, string>;
  enabled: boolean;
  labels: Record<string, string>;
  uri: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string | null;
}

const MASK = '********';

/**
 * `postgresql://user:********@host:port/database?sslmode=...&sshHost=...` as the postgres definition
 * (and its SSH tunnel) formats it. The bench only reads postgres connections through the baseline, so only this
 * type's URI is written out; others answer null.
 */
function postgresUri(config: Record<string, unknown>, hasPassword: boolean): string {
  const username = typeof config.username === 'string' ? config.username : undefined;
  const userInfo = username !== undefined || hasPassword ? `${encodeURIComponent(username ?? '')}${hasPassword ? `:${MASK}` : ''}@` : '';
  const host = String(config.host ?? '');
  const port = config.port === undefined ? '' : `:${String(config.port)}`;
  const path = typeof config.database === 'string' ? `/${encodeURIComponent(config.database)}` : '';
  const tunnel = (config.sshTunnel ?? {}) as Record<string, unknown>;
  const query = [
    ['sslmode', config.sslMode === 'require' ? undefined : config.sslMode],
    ['schema', config.schema],
    // The SSH tunnel's parameters, after the type's own (the port only when not 22).
    ['sshHost', tunnel.host],
    ['sshPort', tunnel.port === 22 || tunnel.port === undefined ? undefined : String(tunnel.port)],
    ['sshUser', tunnel.username],
    ['sshHostKeyFingerprint', tunnel.hostKeyFingerprint],
    ['sshCredential', tunnel.credentialId],
  ]
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .map(([name, value]) => `${name}=${encodeURIComponent(value).replace(/%3A/g, ':').replace(/%2F/g, '/').replace(/%40/g, '@')}`)
    .join('&');
  return `postgresql://${userInfo}${host.includes(':') ? `[${host}]` : host}${port}${path}${query ? `?${query}` : ''}`;
}

/** `masked`: a single read shows each secret as the mask; lists carry no `secrets` at all. */
export function connectionJson(row: ConnectionRow, masked: boolean): ConnectionJson {
  const config = JSON.parse(row.config) as Record<string, unknown>;
  const secretFields = row.secretFields ? (JSON.parse(row.secretFields) as string[]) : [];
  return {
    id: row.id,
    projectId: row.projectId,
    name: row.name,
    type: row.type,
    description: row.description,
    config,
    credentialId: row.ownsCredential ? null : row.credentialId,
    secretFields,
    ...(masked && { secrets: Object.fromEntries(secretFields.map((name) => [name, MASK])) }),
    enabled: row.enabled,
    labels: JSON.parse(row.labels) as Record<string, string>,
    uri: row.type === 'postgres' ? postgresUri(config, secretFields.includes('password')) : null,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    createdBy: row.createdBy,
  };
}
