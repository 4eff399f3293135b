import type { FieldError } from '@switchboard/common';
import type { ConnectionTypeDefinition } from '../connection-type';
import { nameField, TLS_SECRETS } from '../fields';
import { trustAnchorSecret } from '../transport-security';

const isHttps = (config: Record<string, unknown>) => typeof config.uri === 'string' && config.uri.toLowerCase().startsWith('https:');

export const icebergDefinition: ConnectionTypeDefinition<'iceberg'> = {
  type: 'iceberg',
  label: 'Iceberg REST catalog',
  description:
    'An Apache Iceberg REST catalog (Polaris, Lakekeeper, Gravitino, Unity Catalog iceberg-rest...): the warehouse as the catalog, ' +
    "namespaces as schemas (nested ones joined with '.'), tables and the columns of their current schema. Metadata only.",
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['uri'],
    properties: {
      uri: {
        type: 'string',
        title: 'Catalog URI',
        description: 'http:// or https:// base URL of the REST catalog, the part before /v1, without credentials.',
        maxLength: 2048,
        format: 'http-url',
        examples: ['https://polaris.example.com/api/catalog'],
      },
      warehouse: nameField('Warehouse', "Warehouse (or catalog) sent to /v1/config; the catalog's default when absent.", 1024),
      clientId: nameField(
        'OAuth client ID',
        'Client ID of an OAuth2 client-credentials grant at {uri}/v1/oauth/tokens, with the clientSecret secret.',
        1024,
      ),
      scope: nameField(
        'OAuth scope',
        'Scope asked for with the client credentials; "catalog" when absent (Polaris: PRINCIPAL_ROLE:ALL).',
        1024,
      ),
    },
    examples: [
      { uri: 'https://polaris.example.com/api/catalog', warehouse: 'analytics', clientId: 'switchboard', scope: 'PRINCIPAL_ROLE:ALL' },
    ],
  },
  secretFields: [
    { name: 'token', label: 'Token', description: 'Bearer token sent to the catalog as it is (without clientId).' },
    {
      name: 'clientSecret',
      label: 'OAuth client secret',
      description: 'Secret of clientId; tokens are fetched with it and cached until shortly before they expire.',
    },
    TLS_SECRETS[0],
  ],
  credentialTypes: ['token', 'tls', 'generic'],
  locationFields: ['uri', 'warehouse'],
  // http:// versus https:// is part of uri, the location; with https the certificate is always checked.
  transportSecurity: [trustAnchorSecret('tlsCa', isHttps)],
  capabilities: ['test', 'catalogs', 'schemas', 'tables', 'columns'],
  requiredSecrets: (config) => (typeof config.clientId === 'string' ? ['clientSecret'] : []),
  credentialFields: [],
  checkConfig(config) {
    const errors: FieldError[] = [];
    if (config.scope !== undefined && config.clientId === undefined)
      errors.push({ field: 'scope', message: 'needs clientId (OAuth client credentials)' });
    return errors;
  },
  checkSecrets(secrets) {
    const errors: FieldError[] = [];
    if (typeof secrets.token === 'string' && typeof secrets.clientSecret === 'string') {
      errors.push({ field: 'token', message: 'give either token or clientSecret (with config.clientId), not both' });
    }
    return errors;
  },
};
