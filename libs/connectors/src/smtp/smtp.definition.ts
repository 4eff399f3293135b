import { ConnectionTypeDefinition, JsonSchema, UriError } from '../connection-type';
import { emailField, hostField, PASSWORD_SECRET, portField, requiredWhen, TLS_SECRETS, usernameField } from '../fields';
import { rankedField, trustAnchorSecret } from '../transport-security';
import { authorityOf, buildUri, compact, numberOf, queryOf, refusePath, stringOf } from '../uri';

const timeoutField = (title: string, description: string): JsonSchema => ({
  type: 'integer',
  title,
  description,
  minimum: 100,
  maximum: 300_000,
});

export const smtpDefinition: ConnectionTypeDefinition<'smtp'> = {
  type: 'smtp',
  label: 'SMTP',
  description: 'An SMTP server for outgoing mail; the test connects (and signs in), send-test-email sends a message.',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['host'],
    properties: {
      host: hostField(),
      port: portField(587),
      security: {
        type: 'string',
        title: 'Security',
        description:
          'none: plain text; starttls: upgrade with STARTTLS, refused if the server does not offer it; tls: TLS from the start (port 465).',
        enum: ['none', 'starttls', 'tls'],
        default: 'starttls',
      },
      auth: { type: 'boolean', title: 'Authenticate', description: 'Sign in with username and the password secret.', default: false },
      tlsVerify: {
        type: 'boolean',
        title: 'Verify TLS',
        description: 'Check the server certificate (against tlsCa, or the system CAs) and the host name, for starttls and tls.',
        default: true,
      },
      username: usernameField('User name to sign in with when auth is true; a linked credential may supply it instead.'),
      from: emailField('From', 'Sender address of test emails.'),
      defaultEncoding: {
        type: 'string',
        title: 'Default encoding',
        description: 'Charset of message text.',
        format: 'charset',
        default: 'UTF-8',
      },
      addressToTest: emailField('Test recipient', 'Recipient of send-test-email when the request names none.'),
      additionalProperties: {
        type: 'object',
        title: 'Additional properties',
        description: 'Client settings beyond the usual ones; only these names are accepted.',
        additionalProperties: false,
        properties: {
          name: {
            ...hostField('Host name the client announces in EHLO; the machine name when absent.'),
            title: 'Client name',
            examples: ['client.example.com'],
          },
          connectionTimeoutMs: timeoutField('Connection timeout (ms)', 'How long to wait for the TCP connection.'),
          greetingTimeoutMs: timeoutField('Greeting timeout (ms)', 'How long to wait for the server greeting after connecting.'),
          socketTimeoutMs: timeoutField('Socket timeout (ms)', 'How long the connection may stay idle.'),
        },
        examples: [{ connectionTimeoutMs: 5000 }],
      },
    },
    ...requiredWhen('auth', true, ['username']),
    examples: [{ host: 'smtp.example.com', port: 587, security: 'starttls', auth: true, username: 'mailer', from: 'alerts@example.com' }],
  },
  secretFields: [PASSWORD_SECRET, ...TLS_SECRETS],
  credentialTypes: ['basic'],
  locationFields: ['host', 'port'],
  // Implicit TLS ranks above STARTTLS: no plain-text exchange before the handshake (RFC 8314).
  transportSecurity: [
    rankedField('security', ['none', 'starttls', 'tls'], 'starttls'),
    rankedField('tlsVerify', [false, true], true),
    trustAnchorSecret('tlsCa', (config) => config.security !== 'none' && config.tlsVerify !== false),
  ],
  capabilities: ['test', 'sendTestEmail'],
  requiredSecrets: (config) => (config.auth === true ? ['password'] : []),
  credentialFields: ['username'],
  uri: {
    schemes: ['smtp', 'smtps'],
    /**
     * `smtps://` is TLS from the start (port 465 when none is given); `smtp://` is STARTTLS unless
     * `?security=none`. A user name turns auth on. `?from=` sets the sender.
     */
    parse(url) {
      const { username, password, host, port } = authorityOf(url);
      const implicitTls = url.protocol === 'smtps:';
      const query = queryOf(url, implicitTls ? ['from'] : ['from', 'security']);
      if (query.security !== undefined && query.security !== 'none' && query.security !== 'starttls') {
        throw new UriError("query parameter 'security' must be none or starttls (smtps:// means tls)");
      }
      refusePath(url);
      return {
        config: compact({
          host,
          port: port ?? (implicitTls ? 465 : undefined),
          security: implicitTls ? 'tls' : query.security,
          auth: username || password ? true : undefined,
          username,
          from: query.from,
        }),
        secrets: compact({ password }),
      };
    },
    format(config, hasPassword) {
      const auth = config.auth === true;
      return buildUri({
        scheme: config.security === 'tls' ? 'smtps' : 'smtp',
        username: auth ? (stringOf(config, 'username') ?? '') : undefined,
        hasPassword: auth && hasPassword,
        host: stringOf(config, 'host'),
        port: numberOf(config, 'port'),
        query: { security: config.security === 'none' ? 'none' : undefined, from: stringOf(config, 'from') },
      });
    },
  },
};
