import type { FieldError } from '@switchboard/common';
import { SECRET_MASK, UriError, type ConnectionConfig, type ConnectionTypeDefinition } from '../connection-type';
import { nameField, requiredWhen, TLS_SECRETS } from '../fields';
import { rankedField, trustAnchorSecret } from '../transport-security';
import { compact, decode, queryOf, stringOf } from '../uri';

export const DATABRICKS_AUTH_TYPES = ['pat', 'oauth-m2m'] as const;

/** A SQL warehouse's HTTP path as the workspace shows it (Connection details), which the URI form carries. */
const WAREHOUSE_HTTP_PATH = /^\/sql\/1\.0\/(?:warehouses|endpoints)\/([^/]+)$/u;
const warehouseHttpPath = (warehouseId: string): string => `/sql/1.0/warehouses/${warehouseId}`;

/** The workspace URL as requests use it: its origin, whatever trailing '/' it was given with. */
export const workspaceUrlOf = (config: ConnectionConfig): URL => new URL(new URL(String(config.host)).origin);

export const databricksDefinition: ConnectionTypeDefinition<'databricks'> = {
  type: 'databricks',
  label: 'Databricks',
  description:
    "A Databricks workspace: Unity Catalog's catalogs, schemas, tables and columns, and rows through a SQL warehouse " +
    "(SQL Statement Execution API). Queries only with readOnlyByGrants: the token's Unity Catalog grants are then the only guard.",
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['host', 'warehouseId'],
    properties: {
      host: {
        type: 'string',
        title: 'Workspace URL',
        description: 'https:// URL of the workspace, e.g. https://adb-1234567890123456.7.azuredatabricks.net; https only.',
        maxLength: 2048,
        format: 'http-url',
        pattern: '^[Hh][Tt][Tt][Pp][Ss]://',
        examples: ['https://dbc-a1b2c3d4-e5f6.cloud.databricks.com'],
      },
      warehouseId: {
        ...nameField('SQL warehouse ID', 'ID of the SQL warehouse previews and queries run on (the last part of its HTTP path).', 256),
        pattern: '^[A-Za-z0-9_-]+$',
      },
      catalog: nameField('Catalog', "Default catalog: the one routes use when they name none; the metastore's default when absent.", 255),
      schema: nameField('Schema', 'Default schema of statements and of routes that name no schema.', 255),
      authType: {
        type: 'string',
        title: 'Authentication',
        description: 'pat: a personal access token (secret token); oauth-m2m: a service principal (clientId, secret clientSecret).',
        enum: [...DATABRICKS_AUTH_TYPES],
        default: 'pat',
      },
      clientId: nameField('OAuth client ID', "The service principal's application (client) ID; for authType oauth-m2m.", 256),
      readOnlyByGrants: {
        type: 'boolean',
        title: 'Read-only by grants',
        description:
          'Allows POST …/query. Databricks has no read-only transaction: the service cannot keep a statement from writing, ' +
          "so the token's Unity Catalog grants are the only guard. Set it only for a principal granted nothing but SELECT.",
        default: false,
      },
    },
    ...requiredWhen('authType', 'oauth-m2m', ['clientId']),
    examples: [
      { host: 'https://dbc-a1b2c3d4-e5f6.cloud.databricks.com', warehouseId: '1234567890abcdef', catalog: 'main', authType: 'pat' },
    ],
  },
  secretFields: [
    { name: 'token', label: 'Personal access token', description: 'A personal access token (dapi…), for authType pat.' },
    {
      name: 'clientSecret',
      label: 'OAuth client secret',
      description:
        "The service principal's OAuth secret, for authType oauth-m2m; tokens are fetched with it and cached until shortly before they expire.",
    },
    TLS_SECRETS[0],
  ],
  credentialTypes: ['token', 'tls', 'generic'],
  locationFields: ['host'],
  // https only; the certificate is always checked, against tlsCa when given. readOnlyByGrants is a
  // claim about what the token may do: turning it on lets statements through, so it weakens as a
  // weaker transport does (the token re-entered, or secrets:reveal on a shared credential).
  transportSecurity: [trustAnchorSecret('tlsCa', () => true), rankedField('readOnlyByGrants', [true, false], false)],
  capabilities: ['test', 'catalogs', 'schemas', 'tables', 'columns', 'preview', 'query'],
  requiredSecrets: (config) => [config.authType === 'oauth-m2m' ? 'clientSecret' : 'token'],
  credentialFields: [],
  checkConfig(config) {
    const errors: FieldError[] = [];
    const host = new URL(String(config.host));
    if (host.pathname !== '/') errors.push({ field: 'host', message: 'must be the workspace URL alone, without a path' });
    if (config.clientId !== undefined && config.authType !== 'oauth-m2m')
      errors.push({ field: 'clientId', message: 'is for authType oauth-m2m' });
    return errors;
  },
  checkSecrets(secrets) {
    const errors: FieldError[] = [];
    if (typeof secrets.token === 'string' && typeof secrets.clientSecret === 'string') {
      errors.push({ field: 'token', message: 'give either token (authType pat) or clientSecret (authType oauth-m2m), not both' });
    }
    return errors;
  },
  uri: {
    schemes: ['databricks'],
    passwordSecret: 'token',
    /**
     * The Databricks SQLAlchemy dialect's URL: `databricks://token:<PAT>@<host>?http_path=/sql/1.0/warehouses/<id>&catalog&schema`,
     * or with `client_id` instead of the token for a service principal (its secret given in secrets).
     */
    parse(url) {
      const query = queryOf(url, ['http_path', 'catalog', 'schema', 'client_id']);
      if (url.pathname !== '' && url.pathname !== '/') throw new UriError('takes no path; the warehouse is in http_path');
      const warehouseId = WAREHOUSE_HTTP_PATH.exec(query.http_path ?? '')?.[1];
      if (!warehouseId) throw new UriError("needs http_path, the SQL warehouse's /sql/1.0/warehouses/<id>");
      const username = decode(url.username, 'the user name');
      const token = decode(url.password, 'the token');
      if (username && username !== 'token') throw new UriError("the user name must be 'token' (a personal access token as the password)");
      if (token && query.client_id) throw new UriError('give either a token or client_id, not both');
      const config = compact<unknown>({
        host: `https://${url.host}`,
        warehouseId: decode(warehouseId, 'the warehouse id'),
        catalog: query.catalog,
        schema: query.schema,
        authType: query.client_id ? 'oauth-m2m' : 'pat',
        clientId: query.client_id,
      });
      return { config, secrets: compact({ token: token || undefined }) };
    },
    format(config, hasPassword) {
      const url = new URL(`databricks://${workspaceUrlOf(config).host}`);
      if (config.authType !== 'oauth-m2m') {
        url.username = 'token';
        if (hasPassword) url.password = SECRET_MASK;
      }
      const query = compact({
        http_path: warehouseHttpPath(String(config.warehouseId)),
        catalog: stringOf(config, 'catalog'),
        schema: stringOf(config, 'schema'),
        client_id: config.authType === 'oauth-m2m' ? stringOf(config, 'clientId') : undefined,
      });
      return `${url.href.replace(/\/$/u, '')}?${new URLSearchParams(query).toString().replace(/%2F/g, '/')}`;
    },
  },
};
