import { ConnectionTypeDefinition, UriError } from '../connection-type';
import { hostField, nameField, PASSWORD_SECRET, portField, TLS_SECRETS, usernameField } from '../fields';
import { rankedField, trustAnchorSecret } from '../transport-security';
import { authorityOf, buildUri, compact, numberOf, parseBoolean, pathOf, queryOf, stringOf } from '../uri';

export const mysqlDefinition: ConnectionTypeDefinition<'mysql'> = {
  type: 'mysql',
  label: 'MySQL / MariaDB',
  description: 'A MySQL or MariaDB server (also RDS, Aurora, Cloud SQL): databases, tables, previews, read-only queries.',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['host'],
    properties: {
      host: hostField(),
      port: portField(3306),
      database: nameField('Database', 'Default database; none selected when absent.', 64),
      username: usernameField(),
      ssl: {
        type: 'boolean',
        title: 'TLS',
        description: 'Connect over TLS; the server certificate must chain to tlsCa, or to the system CAs when tlsCa is absent.',
        default: false,
      },
    },
    examples: [{ host: 'mysql.internal.example.com', port: 3306, database: 'shop', username: 'reporter', ssl: true }],
  },
  secretFields: [PASSWORD_SECRET, ...TLS_SECRETS],
  credentialTypes: ['basic', 'generic', 'tls'],
  locationFields: ['host', 'port', 'database'],
  // With ssl on the certificate is always checked (mysql.client.ts), against tlsCa when given.
  transportSecurity: [rankedField('ssl', [false, true], false), trustAnchorSecret('tlsCa', (config) => config.ssl === true)],
  // In MySQL a schema is a database: both lists show the same names; creating one is left to DBAs.
  capabilities: ['test', 'databases', 'schemas', 'tables', 'columns', 'preview', 'query'],
  requiredSecrets: () => [],
  credentialFields: ['username'],
  uri: {
    schemes: ['mysql', 'mariadb'],
    parse(url) {
      const { username, password, host, port } = authorityOf(url);
      if (url.pathname.lastIndexOf('/') > 0) throw new UriError('the path must be a single database name');
      const database = pathOf(url);
      const query = queryOf(url, ['ssl']);
      const ssl = query.ssl === undefined ? undefined : parseBoolean('ssl', query.ssl);
      return {
        config: compact({ host, port, database: database || undefined, username, ssl }),
        secrets: compact({ password }),
      };
    },
    format(config, hasPassword) {
      const database = stringOf(config, 'database');
      return buildUri({
        scheme: 'mysql',
        username: stringOf(config, 'username'),
        hasPassword,
        host: stringOf(config, 'host'),
        port: numberOf(config, 'port'),
        path: database === undefined ? undefined : [database],
        query: { ssl: config.ssl === true ? true : undefined },
      });
    },
  },
};
