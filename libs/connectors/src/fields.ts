import type { JsonSchema, SecretFieldDefinition } from './connection-type';

/** Config and secret fields several types share, so their limits and wording stay the same. */

export const hostField = (description = 'Host name or IP address of the server.'): JsonSchema => ({
  type: 'string',
  title: 'Host',
  description,
  minLength: 1,
  maxLength: 253,
  format: 'hostname',
  examples: ['db.internal.example.com'],
});

export const portField = (defaultPort?: number): JsonSchema => ({
  type: 'integer',
  title: 'Port',
  description: 'TCP port of the server.',
  minimum: 1,
  maximum: 65535,
  ...(defaultPort === undefined ? {} : { default: defaultPort }),
});

export const usernameField = (description = 'User name to sign in with; a linked credential may supply it instead.'): JsonSchema => ({
  type: 'string',
  title: 'User name',
  description,
  minLength: 1,
  maxLength: 256,
  format: 'single-line',
});

/** A one-line name such as a database, schema or region label. */
export const nameField = (title: string, description: string, maxLength: number): JsonSchema => ({
  type: 'string',
  title,
  description,
  minLength: 1,
  maxLength,
  format: 'single-line',
});

/** A pinned SSH host key; when set, any other key is refused before authentication. */
export const hostKeyFingerprintField = (description: string): JsonSchema => ({
  type: 'string',
  title: 'Host key fingerprint',
  description,
  format: 'ssh-fingerprint',
  examples: ['SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8'],
});

export const emailField = (title: string, description: string): JsonSchema => ({
  type: 'string',
  title,
  description,
  maxLength: 254,
  format: 'email',
  examples: ['alerts@example.com'],
});

/**
 * `field === value` makes `names` required. The `properties: {name: true}` repeats nothing
 * but lets ajv's strict mode see that the required names exist.
 */
export const requiredWhen = (field: string, value: unknown, names: string[]): JsonSchema => ({
  if: { properties: { [field]: { const: value } }, required: [field] },
  then: { required: names, properties: Object.fromEntries(names.map((name) => [name, true])) },
});

export const PASSWORD_SECRET: SecretFieldDefinition = { name: 'password', label: 'Password', description: 'Password of the user.' };

export const TLS_SECRETS: SecretFieldDefinition[] = [
  {
    name: 'tlsCa',
    label: 'CA certificate',
    description: 'PEM certificate(s) of the authority the server certificate must chain to; the system CAs when absent.',
    multiline: true,
  },
  {
    name: 'tlsCert',
    label: 'Client certificate',
    description: 'PEM client certificate for mutual TLS, used together with the client key.',
    multiline: true,
  },
  { name: 'tlsKey', label: 'Client key', description: 'PEM private key of the client certificate.', multiline: true },
];
