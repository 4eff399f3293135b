/**
 * One operation's HTTP conversation with an Iceberg REST catalog (Apache Iceberg REST catalog
 * OpenAPI spec), on the shared REST client (../rest-api): the bearer token or an OAuth2
 * client-credentials token at {uri}/v1/oauth/tokens, the prefix and the base URI GET /v1/config
 * says to use. What the catalog says is scrubbed of every secret and token before it is shown.
 */
import type { ConnectorContext, ResolvedConnection } from '../connector';
import type { OAuthTokenCache } from '../rest-api/oauth-token-cache';
import { RestApiClient, type Authorization } from '../rest-api/rest-api-client';
import { protocolError, RestApiFailure } from '../rest-api/rest-api-failure';
import { errorMessageOf, statusCode } from './iceberg-metadata';

export { OAuthTokenCache } from '../rest-api/oauth-token-cache';
export { portOf } from '../rest-api/rest-api-client';
/** The catalog's failures are the shared client's. */
export { RestApiFailure as IcebergFailure } from '../rest-api/rest-api-failure';

/** Bytes of one answer read at most (the config, a list page): it is parsed whole, at many times its size. */
export const ICEBERG_BODY_LIMIT = 4 * 1024 * 1024;
/** Bytes of a table's or view's metadata read at most: metadata with a long history is the largest answer. */
export const ICEBERG_METADATA_LIMIT = 16 * 1024 * 1024;
export const DEFAULT_OAUTH_SCOPE = 'catalog';
/** The spec's AuthenticationTimeoutException: an expired token. */
const EXPIRED_TOKEN_STATUS = 419;

/** An http(s) URL without a trailing '/', query or fragment; a PROTOCOL_ERROR naming `field` otherwise. */
function httpUrlOf(value: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw protocolError(`${field} is not a valid URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw protocolError(`${field} must be an http:// or https:// URL.`);
  url.hash = '';
  url.search = '';
  return url;
}

/** The catalog's base URL: `uri` without a trailing '/', query or fragment. */
export const baseUrlOf = (config: Record<string, unknown>): URL => httpUrlOf(String(config.uri), 'uri');

/** A URL's origin and path without a trailing '/', for /v1/… to follow. */
const rootOf = (url: URL): string => `${url.origin}${url.pathname.replace(/\/+$/u, '')}`;

export class IcebergClient extends RestApiClient {
  readonly base: URL;
  /** Origin and path requests go to, without a trailing '/': `uri`, or the one /v1/config overrides it with. */
  private root: string;
  private prefix?: string;

  constructor(
    private readonly connection: ResolvedConnection,
    context: ConnectorContext,
    private readonly tokens: OAuthTokenCache,
  ) {
    const base = baseUrlOf(connection.config);
    super({
      where: rootOf(base),
      url: base,
      secrets: connection.secrets,
      context,
      bodyLimit: ICEBERG_BODY_LIMIT,
      errorMessageOf,
      statusCode,
    });
    this.base = base;
    this.root = rootOf(base);
  }

  /**
   * GET /v1/config (with the warehouse): the catalog answers with these credentials, says its
   * prefix, and may say which base URI to use from now on (`overrides.uri`).
   */
  async loadConfig(): Promise<{ prefix: string; uri?: string }> {
    const warehouse = this.connection.config.warehouse;
    let body: unknown;
    try {
      body = await this.get(['config'], typeof warehouse === 'string' ? { warehouse } : {}, false);
    } catch (error) {
      if (!(error instanceof RestApiFailure) || error.status !== 404) throw error;
      const shown = typeof warehouse === 'string' ? `Warehouse "${warehouse}"` : 'The default warehouse';
      throw new RestApiFailure(
        { code: 'NOT_FOUND', message: this.scrub(`${shown} does not exist at ${this.where}.`) },
        404,
        undefined,
        shown,
      );
    }
    const overrides = (body as { overrides?: Record<string, unknown> } | null)?.overrides;
    const defaults = (body as { defaults?: Record<string, unknown> } | null)?.defaults;
    const prefix = overrides?.prefix ?? defaults?.prefix;
    if (typeof prefix === 'string' && prefix.split('/').some((segment) => segment === '.' || segment === '..')) {
      // encodeURIComponent leaves them as they are: the URL would resolve them to a path outside the catalog's.
      throw protocolError(`${this.where} gave a prefix with a '.' or '..' segment in /v1/config.`);
    }
    this.prefix = typeof prefix === 'string' ? prefix : '';
    const uri = typeof overrides?.uri === 'string' ? this.useUri(overrides.uri) : undefined;
    return { prefix: this.prefix, ...(uri ? { uri } : {}) };
  }

  /**
   * Requests go to `uri` from now on, as the catalog's config overrides say: only on the configured
   * uri's origin (scheme, host and port), another path there. Another origin would receive the
   * token or client secret on the word of whoever answers /v1/config, not of the project.
   */
  private useUri(value: string): string | undefined {
    const url = httpUrlOf(value, `The overrides.uri ${this.where} gave in /v1/config`);
    if (this.base.protocol === 'https:' && url.protocol !== 'https:') {
      throw protocolError(`${this.where} gave an http:// uri in /v1/config for an https:// catalog.`);
    }
    if (url.username || url.password) throw protocolError(`${this.where} gave a uri with credentials in /v1/config.`);
    if (url.origin !== this.base.origin) {
      throw protocolError(
        `${this.where} gave an overrides.uri in /v1/config on another origin (${url.origin}); it is followed only on ${this.base.origin}.`,
      );
    }
    const root = rootOf(url);
    if (root === this.root) return undefined;
    this.root = root;
    return root;
  }

  /**
   * GET /v1/{prefix}/… (or /v1/… when `catalogPath` is false); `segments` are encoded here except
   * those given pre-encoded by the caller (namespace paths). A 401 on a cached OAuth token gets one fresh token.
   * `bodyLimit` is ICEBERG_BODY_LIMIT unless given.
   */
  async get(
    segments: string[],
    query: Record<string, string> = {},
    catalogPath = true,
    encoded = false,
    bodyLimit?: number,
  ): Promise<unknown> {
    if (catalogPath && this.prefix === undefined) await this.loadConfig();
    const prefixSegments = catalogPath && this.prefix ? this.prefix.split('/').map(encodeURIComponent) : [];
    const path = [...prefixSegments, ...(encoded ? segments : segments.map(encodeURIComponent))].join('/');
    const url = new URL(`${this.root}/v1/${path}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    return this.authorized('GET', url, (fresh) => this.authorization(fresh), {
      expired: EXPIRED_TOKEN_STATUS,
      tokens: this.tokens,
      bodyLimit,
    });
  }

  /** The Authorization header: the token secret, or an OAuth token (cached, or fetched now) at the uri in use, as the spec's clients do. */
  private authorization(forceFresh: boolean): Promise<Authorization> {
    const { config, secrets } = this.connection;
    const clientId = typeof config.clientId === 'string' ? config.clientId : undefined;
    if (!clientId) return Promise.resolve(secrets.token ? { header: `Bearer ${secrets.token}` } : {});
    const grant = {
      tokenUrl: new URL(`${this.root}/v1/oauth/tokens`),
      clientId,
      clientSecret: secrets.clientSecret ?? '',
      scope: typeof config.scope === 'string' ? config.scope : DEFAULT_OAUTH_SCOPE,
      clientAuth: 'form' as const,
    };
    return this.clientCredentials(grant, this.tokens, forceFresh);
  }
}
