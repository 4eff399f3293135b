import { isDeepStrictEqual } from 'node:util';
import type { FieldError } from '@switchboard/common';
import type {
  ConnectionConfig,
  ConnectionTypeDefinition,
  JsonSchema,
  SecretFieldDefinition,
  TransportSetting,
  UriSupport,
} from '../connection-type';
import { SECRET_MASK, UriError } from '../connection-type';
import { hostField, hostKeyFingerprintField, portField, usernameField } from '../fields';
import { checkPrivateKey, KeyError } from '../sftp/ssh-keys';
import { appendQuery, takeQuery } from '../uri';

/** `config.sshTunnel`: the bastion every connection of the type goes through when it is set. */
export const SSH_TUNNEL_FIELD: JsonSchema = {
  type: 'object',
  title: 'SSH tunnel',
  description:
    'Reach the host through an SSH bastion: the connection is forwarded from the bastion, so the host (and its name) is ' +
    'as the bastion sees it. Sign in with secrets sshPassword, or sshPrivateKey (and sshPassphrase if it is encrypted), ' +
    'or with the shared ssh-key credential named by credentialId. ' +
    'Without hostKeyFingerprint, a draft test reports the fingerprint the bastion presents, and the first successful test or use of a ' +
    'stored connection pins it here.',
  additionalProperties: false,
  required: ['host'],
  // username may come from the credential's own username field instead.
  if: { properties: { credentialId: true }, required: ['credentialId'] },
  else: { properties: { username: true }, required: ['username'] },
  properties: {
    host: hostField('Host name or IP address of the bastion (SSH server).'),
    port: { ...portField(22), description: 'SSH port of the bastion.' },
    username: usernameField("User name on the bastion; with credentialId, the credential's username field when left out."),
    hostKeyFingerprint: hostKeyFingerprintField(
      'SHA256 fingerprint of the bastion host key (ssh-keygen -lf); when set, any other key is refused before authentication.',
    ),
    credentialId: {
      type: 'string',
      title: 'SSH key credential',
      description:
        'A shared credential of type ssh-key in the same project (its name or id; stored as the id): its privateKey and ' +
        'passphrase sign in to the bastion, its username field serves when username is left out. ' +
        'Not together with the inline secrets sshPassword, sshPrivateKey, sshPassphrase.',
      minLength: 1,
      maxLength: 63,
      format: 'single-line',
      examples: ['bastion-key'],
    },
  },
  examples: [
    { host: 'bastion.example.com', port: 22, username: 'tunnel', hostKeyFingerprint: 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8' },
  ],
};

export const SSH_TUNNEL_SECRETS: SecretFieldDefinition[] = [
  { name: 'sshPassword', label: 'SSH password', description: 'Password of the bastion user (sshTunnel.username).' },
  {
    name: 'sshPrivateKey',
    label: 'SSH private key',
    description: 'Private key of the bastion user: OpenSSH, PEM (PKCS#1, PKCS#8) or PuTTY; ed25519, ECDSA or RSA.',
    multiline: true,
  },
  { name: 'sshPassphrase', label: 'SSH key passphrase', description: 'Passphrase of an encrypted sshPrivateKey.' },
];

/** The names of the secrets a bastion signs in with. */
export const SSH_SECRET_NAMES: readonly string[] = SSH_TUNNEL_SECRETS.map((field) => field.name);

/** `config.sshTunnel`, when the connection has one. */
export const sshTunnelOf = (config: ConnectionConfig): Record<string, unknown> | undefined =>
  typeof config.sshTunnel === 'object' && config.sshTunnel !== null ? (config.sshTunnel as Record<string, unknown>) : undefined;

/**
 * How the bastion of `next` differs from that of `used`: another bastion, one where there was
 * none, or none, has moved; a dropped or changed pinned key is weaker. Pinning one where there was none
 * is free (trust on first use does it).
 */
export function compareBastions(used: ConnectionConfig, next: ConnectionConfig): { moved: boolean; weakened: boolean } {
  const old = sshTunnelOf(used);
  const tunnel = sshTunnelOf(next);
  if (!old || !tunnel || tunnel.host !== old.host || (tunnel.port ?? 22) !== (old.port ?? 22)) return { moved: true, weakened: false };
  return {
    moved: false,
    weakened: old.hostKeyFingerprint !== undefined && !isDeepStrictEqual(old.hostKeyFingerprint, tunnel.hostKeyFingerprint),
  };
}

/**
 * The bastion receives the SSH secrets and carries the traffic: another bastion, a new one
 * where there was none, or none, is another path (counts as pointing elsewhere), and so is
 * dropping or changing its pinned key.
 */
const SSH_TUNNEL_TRANSPORT: TransportSetting = {
  name: 'sshTunnel',
  source: 'config',
  weakens: (before, after) => {
    // Adding a tunnel is another path too: the bastion would carry the kept secrets to the target.
    if (!sshTunnelOf(before.config) && !sshTunnelOf(after.config)) return false;
    const { moved, weakened } = compareBastions(before.config, after.config);
    return moved || weakened;
  },
};

/** URI query parameters of `config.sshTunnel`, the same for every tunneled type. */
const SSH_URI_PARAMETERS = {
  sshHost: 'host',
  sshPort: 'port',
  sshUser: 'username',
  sshHostKeyFingerprint: 'hostKeyFingerprint',
  sshCredential: 'credentialId',
} as const;
type SshUriParameter = keyof typeof SSH_URI_PARAMETERS;
const SSH_URI_NAMES = Object.keys(SSH_URI_PARAMETERS) as SshUriParameter[];

function tunnelFromQuery(query: Record<string, string>): ConnectionConfig | undefined {
  const secret = SSH_SECRET_NAMES.find((name) => Object.hasOwn(query, name));
  if (secret) throw new UriError(`query parameter '${secret}' would put an SSH secret in the URI; give it in secrets instead`);
  const given = SSH_URI_NAMES.filter((name) => Object.hasOwn(query, name));
  if (!given.length) return undefined;
  if (!Object.hasOwn(query, 'sshHost')) throw new UriError(`query parameter 'sshHost' is required with ${given.join(', ')}`);
  if (query.sshPort !== undefined && !/^\d{1,5}$/u.test(query.sshPort)) {
    throw new UriError("query parameter 'sshPort' must be a port number");
  }
  return Object.fromEntries(given.map((name) => [SSH_URI_PARAMETERS[name], name === 'sshPort' ? Number(query.sshPort) : query[name]]));
}

/**
 * The type's URIs with the tunnel as query parameters (sshHost, sshPort, sshUser,
 * sshHostKeyFingerprint, sshCredential), taken out before the type's own parser sees the
 * query and added after its own when formatted. SSH secrets never go in a URI.
 */
function withTunnelUri(uri: UriSupport): UriSupport {
  return {
    ...uri,
    parse(url) {
      const { taken, rest } = takeQuery(url, [...SSH_URI_NAMES, ...SSH_SECRET_NAMES]);
      const sshTunnel = tunnelFromQuery(taken);
      const parsed = uri.parse(rest);
      return sshTunnel ? { ...parsed, config: { ...parsed.config, sshTunnel } } : parsed;
    },
    format(config, hasPassword) {
      const formatted = uri.format(config, hasPassword);
      const tunnel = sshTunnelOf(config);
      if (!tunnel) return formatted;
      const text = (name: string) => (typeof tunnel[name] === 'string' ? tunnel[name] : undefined);
      return appendQuery(formatted, {
        sshHost: text('host'),
        sshPort: typeof tunnel.port === 'number' && tunnel.port !== 22 ? tunnel.port : undefined,
        sshUser: text('username'),
        sshHostKeyFingerprint: text('hostKeyFingerprint'),
        sshCredential: text('credentialId'),
      });
    },
  };
}

/** A value the request sets for real: not absent, not null, not the mask. */
const sent = (value: string | null | undefined): value is string => typeof value === 'string' && value !== SECRET_MASK;

/**
 * A private key that is not one, or is encrypted while no passphrase is set, is refused on save.
 * The passphrase counts as unknown when the request keeps the stored one (absent or masked on update).
 */
export function checkSshSecrets(secrets: Readonly<Record<string, string | null>>, { allowMask }: { allowMask: boolean }): FieldError[] {
  const key = secrets.sshPrivateKey;
  if (!sent(key)) return [];
  const passphrase = secrets.sshPassphrase;
  const passphraseKnown = !allowMask || passphrase === null || sent(passphrase);
  try {
    checkPrivateKey(key, sent(passphrase) ? passphrase : undefined);
    return [];
  } catch (error) {
    if (!(error instanceof KeyError)) throw error;
    if (error.needsPassphrase) {
      return passphraseKnown ? [{ field: 'sshPrivateKey', message: 'is encrypted and no sshPassphrase is set' }] : [];
    }
    if (/passphrase is wrong/.test(error.message)) return [{ field: 'sshPassphrase', message: 'does not decrypt sshPrivateKey' }];
    return [{ field: 'sshPrivateKey', message: `cannot be used: ${error.message}` }];
  }
}

/** The type's definition with `config.sshTunnel` and the SSH secrets added. */
export function withSshTunnel<T extends string>(definition: ConnectionTypeDefinition<T>): ConnectionTypeDefinition<T> {
  const schema = definition.configSchema;
  const { checkSecrets } = definition;
  return {
    ...definition,
    configSchema: { ...schema, properties: { ...(schema.properties as object), sshTunnel: SSH_TUNNEL_FIELD } },
    secretFields: [...definition.secretFields, ...SSH_TUNNEL_SECRETS],
    transportSecurity: [...definition.transportSecurity, SSH_TUNNEL_TRANSPORT],
    checkSecrets: (secrets, options) => [...(checkSecrets?.(secrets, options) ?? []), ...checkSshSecrets(secrets, options)],
    uri: definition.uri && withTunnelUri(definition.uri),
  };
}
