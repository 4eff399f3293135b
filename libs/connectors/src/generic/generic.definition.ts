import { ConnectionTypeDefinition } from '../connection-type';
import { hostField, PASSWORD_SECRET, portField, usernameField } from '../fields';
import { authorityOf, buildUri, compact, numberOf, queryOf, refusePath, stringOf } from '../uri';

export const genericDefinition: ConnectionTypeDefinition<'generic'> = {
  type: 'generic',
  label: 'Generic',
  description: 'Any other TCP service: stores its address, user and password for a consumer; the test checks TCP reachability only.',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['host', 'port'],
    properties: {
      host: hostField(),
      port: portField(),
      username: usernameField(),
      extra: {
        type: 'object',
        title: 'Extra',
        description: 'Non-secret settings for the consumer, shown in responses: put anything secret in secrets instead.',
        maxProperties: 50,
        propertyNames: { format: 'key-name' },
        additionalProperties: { type: 'string', maxLength: 4096, format: 'single-line' },
        examples: [{ vhost: 'orders' }],
      },
    },
    examples: [{ host: 'rabbitmq.internal.example.com', port: 5672, username: 'app', extra: { vhost: 'orders' } }],
  },
  secretFields: [PASSWORD_SECRET],
  credentialTypes: ['basic', 'generic'],
  locationFields: ['host', 'port'],
  // Switchboard only checks the port answers; how a consumer protects its traffic is not known here.
  transportSecurity: [],
  capabilities: ['test'],
  requiredSecrets: () => [],
  credentialFields: ['username'],
  uri: {
    schemes: ['tcp'],
    /** `tcp://user:password@host:port?name=value`; as in Airflow, query parameters become `extra`. */
    parse(url) {
      const { username, password, host, port } = authorityOf(url);
      refusePath(url);
      const extra = queryOf(url, 'any');
      return {
        config: compact({ host, port, username, extra: Object.keys(extra).length ? extra : undefined }),
        secrets: compact({ password }),
      };
    },
    format(config, hasPassword) {
      return buildUri({
        scheme: 'tcp',
        username: stringOf(config, 'username'),
        hasPassword,
        host: stringOf(config, 'host'),
        port: numberOf(config, 'port'),
        query: (config.extra as Record<string, string> | undefined) ?? {},
      });
    },
  },
};
