import { ConnectionTypeDefinition, UriError } from '../connection-type';
import { hostField, nameField, PASSWORD_SECRET, portField, TLS_SECRETS, usernameField } from '../fields';
import { rankedField, trustAnchorSecret } from '../transport-security';
import { authorityOf, buildUri, compact, numberOf, pathOf, queryOf, stringOf } from '../uri';

// Weakest first: the order transportSecurity ranks them in.
const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'];
// Encrypted unless asked otherwise; libpq's "prefer" silently falls back to plain text, so it is not offered.
const DEFAULT_SSL_MODE = 'require';

export const postgresDefinition: ConnectionTypeDefinition<'postgres'> = {
  type: 'postgres',
  label: 'PostgreSQL',
  description:
    'A PostgreSQL server (also RDS, Aurora, Cloud SQL, Supabase, Neon...): databases, schemas, tables, previews, read-only queries.',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['host'],
    properties: {
      host: hostField(),
      port: portField(5432),
      database: nameField('Database', 'Database to connect to; the user name when absent, as with libpq.', 63),
      schema: nameField('Schema', "Schema used when a request names none; the server's search_path when absent.", 63),
      username: usernameField(),
      sslMode: {
        type: 'string',
        title: 'SSL mode',
        description:
          'disable: plain text; require: TLS without checking the certificate; verify-ca: the certificate must chain to tlsCa ' +
          '(or the system CAs); verify-full: verify-ca and the host name must match.',
        enum: SSL_MODES,
        default: DEFAULT_SSL_MODE,
      },
    },
    examples: [{ host: 'db.internal.example.com', port: 5432, database: 'analytics', username: 'reporter', sslMode: 'verify-full' }],
  },
  // No password is required: trust and certificate authentication exist.
  secretFields: [PASSWORD_SECRET, ...TLS_SECRETS],
  credentialTypes: ['basic', 'generic', 'tls'],
  locationFields: ['host', 'port', 'database'],
  transportSecurity: [
    rankedField('sslMode', SSL_MODES, DEFAULT_SSL_MODE),
    trustAnchorSecret('tlsCa', (config) => config.sslMode === 'verify-ca' || config.sslMode === 'verify-full'),
  ],
  capabilities: ['test', 'databases', 'schemas', 'createSchema', 'tables', 'columns', 'preview', 'query'],
  requiredSecrets: () => [],
  credentialFields: ['username'],
  uri: {
    schemes: ['postgres', 'postgresql'],
    parse(url) {
      const { username, password, host, port } = authorityOf(url);
      if (url.pathname.lastIndexOf('/') > 0) throw new UriError('the path must be a single database name');
      const database = pathOf(url);
      const query = queryOf(url, ['sslmode', 'schema', 'currentSchema']);
      if (query.schema !== undefined && query.currentSchema !== undefined) {
        throw new UriError("give either query parameter 'schema' or 'currentSchema', not both");
      }
      const schema = query.schema ?? query.currentSchema;
      return {
        config: compact({ host, port, database: database || undefined, schema, username, sslMode: query.sslmode }),
        secrets: compact({ password }),
      };
    },
    format(config, hasPassword) {
      const database = stringOf(config, 'database');
      return buildUri({
        scheme: 'postgresql',
        username: stringOf(config, 'username'),
        hasPassword,
        host: stringOf(config, 'host'),
        port: numberOf(config, 'port'),
        path: database === undefined ? undefined : [database],
        query: {
          sslmode: config.sslMode === DEFAULT_SSL_MODE ? undefined : stringOf(config, 'sslMode'),
          schema: stringOf(config, 'schema'),
        },
      });
    },
  },
};
