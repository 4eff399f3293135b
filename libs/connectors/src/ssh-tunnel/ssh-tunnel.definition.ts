import { isDeepStrictEqual } from 'node:util';
import type { FieldError } from '@switchboard/common';
import type { ConnectionConfig, ConnectionTypeDefinition, JsonSchema, SecretFieldDefinition, TransportSetting } from '../connection-type';
import { SECRET_MASK } from '../connection-type';
import { hostField, hostKeyFingerprintField, portField, usernameField } from '../fields';
import { checkPrivateKey, KeyError } from '../sftp/ssh-keys';

/** `config.sshTunnel`: the bastion every connection of the type goes through when it is set. */
export const SSH_TUNNEL_FIELD: JsonSchema = {
  type: 'object',
  title: 'SSH tunnel',
  description:
    'Reach the host through an SSH bastion: the connection is forwarded from the bastion, so the host (and its name) is ' +
    'as the bastion sees it. Sign in with secrets sshPassword, or sshPrivateKey (and sshPassphrase if it is encrypted). ' +
    'Without hostKeyFingerprint, the test result reports the fingerprint the bastion presented.',
  additionalProperties: false,
  required: ['host', 'username'],
  properties: {
    host: hostField('Host name or IP address of the bastion (SSH server).'),
    port: { ...portField(22), description: 'SSH port of the bastion.' },
    username: usernameField('User name on the bastion.'),
    hostKeyFingerprint: hostKeyFingerprintField(
      'SHA256 fingerprint of the bastion host key (ssh-keygen -lf); when set, any other key is refused before authentication.',
    ),
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

const tunnelOf = (config: ConnectionConfig): Record<string, unknown> | undefined =>
  typeof config.sshTunnel === 'object' && config.sshTunnel !== null ? (config.sshTunnel as Record<string, unknown>) : undefined;

/**
 * The bastion receives the SSH secrets and carries the traffic: another bastion, or none, is
 * another path (counts as pointing elsewhere), and so is dropping or changing its pinned key.
 * Pinning one where there was none is free (trust on first use does it).
 */
const SSH_TUNNEL_TRANSPORT: TransportSetting = {
  name: 'sshTunnel',
  source: 'config',
  weakens: (before, after) => {
    const old = tunnelOf(before.config);
    if (!old) return false;
    const next = tunnelOf(after.config);
    if (!next || next.host !== old.host || (next.port ?? 22) !== (old.port ?? 22)) return true;
    return old.hostKeyFingerprint !== undefined && !isDeepStrictEqual(old.hostKeyFingerprint, next.hostKeyFingerprint);
  },
};

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
  };
}
