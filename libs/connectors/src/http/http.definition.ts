import type { FieldError } from '@switchboard/common';
import { ConnectionConfig, ConnectionTypeDefinition, JsonSchema, SECRET_MASK, UriError } from '../connection-type';
import { PASSWORD_SECRET, requiredWhen, TLS_SECRETS, usernameField } from '../fields';
import { rankedField, trustAnchorSecret } from '../transport-security';
import { compact, decode, queryOf, stringOf } from '../uri';

const statusField = (title: string, defaultStatus: number): JsonSchema => ({
  type: 'integer',
  title,
  description: 'The test succeeds when the status is between expectedStatusMin and expectedStatusMax, inclusive.',
  minimum: 100,
  maximum: 599,
  default: defaultStatus,
});

export const httpDefinition: ConnectionTypeDefinition<'http'> = {
  type: 'http',
  label: 'HTTP API',
  description: 'An HTTP or HTTPS API; the test requests healthPath and checks the status code.',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['baseUrl'],
    properties: {
      baseUrl: {
        type: 'string',
        title: 'Base URL',
        description: 'http:// or https:// URL the API lives under, without credentials, query or fragment.',
        maxLength: 2048,
        format: 'http-url',
        examples: ['https://api.example.com/v2'],
      },
      healthPath: {
        type: 'string',
        title: 'Health path',
        description: 'Path, relative to the base URL, that the test requests; may carry a query.',
        maxLength: 2048,
        format: 'url-path',
        default: '/',
        examples: ['/health'],
      },
      method: { type: 'string', title: 'Method', description: 'HTTP method of the test request.', enum: ['GET', 'HEAD'], default: 'GET' },
      headers: {
        type: 'object',
        title: 'Headers',
        description: 'Non-secret headers sent with every request; they are shown in responses, so credentials go through authType.',
        maxProperties: 50,
        propertyNames: { maxLength: 128, format: 'plain-header-name' },
        additionalProperties: { type: 'string', maxLength: 4096, format: 'single-line' },
        examples: [{ Accept: 'application/json' }],
      },
      authType: {
        type: 'string',
        title: 'Authentication',
        description:
          'none; basic: username and the password secret; bearer: "Authorization: Bearer <token secret>"; ' +
          'header: the token secret sent as the value of the headerName header.',
        enum: ['none', 'basic', 'bearer', 'header'],
        default: 'none',
      },
      username: usernameField('User name for basic authentication; a linked credential may supply it instead.'),
      headerName: {
        type: 'string',
        title: 'Header name',
        description: 'Header that carries the token when authType is header.',
        maxLength: 128,
        format: 'header-name',
        examples: ['X-API-Key'],
      },
      expectedStatusMin: statusField('Lowest healthy status', 200),
      expectedStatusMax: statusField('Highest healthy status', 399),
      tlsVerify: {
        type: 'boolean',
        title: 'Verify TLS',
        description: 'Check the server certificate and host name on https URLs (against tlsCa when given, else the system CAs).',
        default: true,
      },
    },
    allOf: [requiredWhen('authType', 'basic', ['username']), requiredWhen('authType', 'header', ['headerName'])],
    examples: [{ baseUrl: 'https://api.example.com/v2', healthPath: '/health', authType: 'bearer' }],
  },
  secretFields: [
    { ...PASSWORD_SECRET, description: 'Password for basic authentication.' },
    { name: 'token', label: 'Token', description: 'Bearer token, or the header value when authType is header.' },
    // For baseUrl's host only: a redirect to another host gets the system CAs and no client certificate.
    ...TLS_SECRETS,
  ],
  credentialTypes: ['basic', 'token', 'tls', 'generic'],
  locationFields: ['baseUrl'],
  // http:// versus https:// is part of baseUrl, the location.
  transportSecurity: [rankedField('tlsVerify', [false, true], true), trustAnchorSecret('tlsCa', (config) => config.tlsVerify !== false)],
  capabilities: ['test'],
  requiredSecrets(config) {
    if (config.authType === 'basic') return ['password'];
    if (config.authType === 'bearer' || config.authType === 'header') return ['token'];
    return [];
  },
  credentialFields: ['username'],
  checkConfig(config) {
    const errors: FieldError[] = [];
    if ((config.expectedStatusMin as number) > (config.expectedStatusMax as number)) {
      errors.push({ field: 'expectedStatusMax', message: 'must be >= expectedStatusMin' });
    }
    const headerName = stringOf(config, 'headerName')?.toLowerCase();
    const headers = Object.keys((config.headers as Record<string, string> | undefined) ?? {});
    const clash = config.authType === 'header' ? headers.find((name) => name.toLowerCase() === headerName) : undefined;
    if (clash) errors.push({ field: `headers.${clash}`, message: 'is the header authType sends the token in (headerName); remove it' });
    return errors;
  },
  uri: {
    schemes: ['http', 'https'],
    /** `https://user:password@api.example.com/v2` -> baseUrl without the credentials, authType basic. */
    parse(url) {
      queryOf(url, []);
      const username = decode(url.username, 'the user name');
      const password = decode(url.password, 'the password');
      if (password && !username) throw new UriError('a password needs a user name (basic authentication)');
      const baseUrl = url.pathname === '/' ? url.origin : `${url.origin}${url.pathname}`;
      if (!username) return { config: { baseUrl }, secrets: {} };
      return { config: { baseUrl, authType: 'basic', username }, secrets: compact({ password: password || undefined }) };
    },
    format(config, hasPassword) {
      const baseUrl = new URL(stringOf(config, 'baseUrl') ?? '');
      if (config.authType === 'basic') {
        baseUrl.username = stringOf(config, 'username') ?? '';
        if (hasPassword) baseUrl.password = SECRET_MASK;
      }
      return baseUrl.pathname === '/' ? baseUrl.href.replace(/\/$/u, '') : baseUrl.href;
    },
  },
};

/** Through an SSH tunnel, the bastion forwards to baseUrl's host and port. */
export function httpTunnelTarget(config: ConnectionConfig): { host: string; port: number } {
  const url = new URL(String(config.baseUrl));
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80 };
}
