import { ConnectionTypeDefinition } from '../connection-type';
import { hostField, hostKeyFingerprintField, PASSWORD_SECRET, portField, usernameField } from '../fields';
import { pinnedField } from '../transport-security';
import { authorityOf, buildUri, compact, numberOf, pathOf, queryOf, stringOf } from '../uri';

export const sftpDefinition: ConnectionTypeDefinition<'sftp'> = {
  type: 'sftp',
  label: 'SFTP',
  description: 'An SSH server speaking SFTP: files under rootPath and the schema of CSV/JSON files.',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['host', 'username'],
    properties: {
      host: hostField(),
      port: portField(22),
      username: usernameField('User name to sign in with.'),
      rootPath: {
        type: 'string',
        title: 'Root path',
        description: 'Directory every file operation is confined to.',
        maxLength: 1024,
        format: 'absolute-path',
        default: '/',
        examples: ['/srv/exports'],
      },
      hostKeyFingerprint: hostKeyFingerprintField(
        'SHA256 fingerprint of the server host key (ssh-keygen -lf); when set, any other key is refused. ' +
          'Left out, the first successful test or use of the stored connection pins the key the server presented.',
      ),
    },
    examples: [{ host: 'files.example.com', port: 22, username: 'exports', rootPath: '/srv/exports' }],
  },
  secretFields: [
    PASSWORD_SECRET,
    { name: 'privateKey', label: 'Private key', description: 'OpenSSH or PEM private key.', multiline: true },
    { name: 'passphrase', label: 'Key passphrase', description: 'Passphrase of an encrypted private key.' },
  ],
  credentialTypes: ['basic', 'ssh-key', 'generic'],
  locationFields: ['host', 'port', 'rootPath'],
  // Unpinned, any host key is taken: a machine in the middle would receive the password.
  transportSecurity: [pinnedField('hostKeyFingerprint')],
  capabilities: ['test', 'files', 'fileSchema'],
  // A password or a private key is needed, but either will do; the interface cannot say "one of",
  // so the connector answers AUTH_FAILED when both are missing.
  requiredSecrets: () => [],
  credentialFields: ['username'],
  uri: {
    schemes: ['sftp'],
    /** `sftp://user:password@host:22/srv/exports?hostKeyFingerprint=SHA256:...`; the path is rootPath. */
    parse(url) {
      const { username, password, host, port } = authorityOf(url);
      const { hostKeyFingerprint } = queryOf(url, ['hostKeyFingerprint']);
      const rootPath = url.pathname ? `/${pathOf(url)}` : undefined;
      return { config: compact({ host, port, username, rootPath, hostKeyFingerprint }), secrets: compact({ password }) };
    },
    format(config, hasPassword) {
      const rootPath = stringOf(config, 'rootPath') ?? '/';
      return buildUri({
        scheme: 'sftp',
        username: stringOf(config, 'username'),
        hasPassword,
        host: stringOf(config, 'host'),
        port: numberOf(config, 'port'),
        path: rootPath.slice(1).split('/'),
        query: { hostKeyFingerprint: stringOf(config, 'hostKeyFingerprint') },
      });
    },
  },
};
