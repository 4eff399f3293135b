import { Injectable } from '@nestjs/common';
import { FieldError, validationFailed } from '@switchboard/common';
import { ConnectionConfig, Secrets, SSH_SECRET_NAMES, sshTunnelOf } from '@switchboard/connectors';
import { CredentialsService } from '@switchboard/credentials';
import { CredentialUser, SharedCredentialLocations } from './shared-credential-locations';

/** Where problems with the bastion's key credential are reported. */
export const SSH_CREDENTIAL_FIELD = 'config.sshTunnel.credentialId';

/** The only credential type a bastion signs in with, and which tunnel secret each of its secrets becomes. */
const SSH_KEY_CREDENTIAL = 'ssh-key';
const TUNNEL_SECRET_OF: Record<string, string> = { privateKey: 'sshPrivateKey', passphrase: 'sshPassphrase' };

/** An ssh-key credential as a bastion uses it. */
export interface SshKeyCredential {
  fields: Record<string, string>;
  secrets: Secrets;
}

/** The bastion's key credential of a stored config: always an id, written by SshTunnelKeys.plan. */
export function sshCredentialIdOf(config: ConnectionConfig): string | null {
  const ref = sshTunnelOf(config)?.credentialId;
  return typeof ref === 'string' ? ref : null;
}

/**
 * The config and secrets a connector uses: the credential's username where sshTunnel leaves it
 * out, its key as sshPrivateKey and sshPassphrase (and no other SSH secret, whatever else supplies one).
 */
export function withSshKey(
  resolved: { config: ConnectionConfig; secrets: Secrets },
  credential: SshKeyCredential | null,
): { config: ConnectionConfig; secrets: Secrets } {
  const tunnel = sshTunnelOf(resolved.config);
  if (!credential || !tunnel) return resolved;
  const username = tunnel.username ?? credential.fields.username;
  const secrets = Object.fromEntries(Object.entries(resolved.secrets).filter(([name]) => !SSH_SECRET_NAMES.includes(name)));
  for (const [name, value] of Object.entries(credential.secrets)) if (TUNNEL_SECRET_OF[name]) secrets[TUNNEL_SECRET_OF[name]] = value;
  return { config: { ...resolved.config, sshTunnel: { ...tunnel, ...(username !== undefined && { username }) } }, secrets };
}

/**
 * `config.sshTunnel.credentialId`: one shared ssh-key credential of the project signs in to
 * the bastion of many connections. One source for the bastion's secrets: the credential, or
 * inline ones (or another credential's), never both. It goes only to bastions the project
 * already sends it to, unless the user may reveal it (SharedCredentialLocations).
 */
@Injectable()
export class SshTunnelKeys {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly locations: SharedCredentialLocations,
  ) {}

  /**
   * The validated config with the credential named by its id. `otherSshSecrets` are the SSH
   * secrets the connection would have from elsewhere too (inline, or its credentialId), each
   * refused with `refusal(name)`.
   */
  async plan(
    user: CredentialUser,
    config: ConnectionConfig,
    otherSshSecrets: { names: readonly string[]; refusal: (name: string) => FieldError },
  ): Promise<ConnectionConfig> {
    const tunnel = sshTunnelOf(config);
    if (typeof tunnel?.credentialId !== 'string') return config;
    const doubled = otherSshSecrets.names.filter((name) => SSH_SECRET_NAMES.includes(name));
    if (doubled.length) throw validationFailed(doubled.map(otherSshSecrets.refusal));
    const credential = await this.credentials.findShared(user.access.project.id, tunnel.credentialId);
    if (!credential) throw validationFailed([{ field: SSH_CREDENTIAL_FIELD, message: 'no such credential in this project' }]);
    if (credential.type !== SSH_KEY_CREDENTIAL) {
      throw validationFailed([
        { field: SSH_CREDENTIAL_FIELD, message: `a ${credential.type} credential cannot sign in to a bastion; it must be of type ssh-key` },
      ]);
    }
    if (tunnel.username === undefined && typeof credential.fields.username !== 'string') {
      throw validationFailed([
        { field: 'config.sshTunnel.username', message: `is required: the credential "${credential.name}" has no username field` },
      ]);
    }
    const planned = { ...config, sshTunnel: { ...tunnel, credentialId: credential.id } };
    await this.locations.assertMayUseAtBastion(user, planned, credential);
    return planned;
  }

  /** A planned (not stored) config's bastion key, read from its credential. */
  async read(projectId: string, config: ConnectionConfig): Promise<SshKeyCredential | null> {
    const id = sshCredentialIdOf(config);
    if (!id) return null;
    const credential = await this.credentials.requireShared(projectId, id);
    return { fields: credential.fields, secrets: await this.credentials.readSecrets(projectId, id) };
  }
}
