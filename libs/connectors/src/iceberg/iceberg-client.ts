/**
 * One operation's HTTP conversation with an Iceberg REST catalog (Apache Iceberg REST catalog
 * OpenAPI spec): undici on an agent pinned to the address the egress guard checked, the
 * connection's tlsCa, the bearer token or an OAuth2 client-credentials token (cached across
 * operations until shortly before it expires), 429/503 retried after Retry-After while the
 * deadline allows. What the catalog says is scrubbed of every secret and token before it is shown.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, buildConnector, request } from 'undici';
import { AppError, ErrorCode } from '@switchboard/common';
import type { ConnectorContext, ResolvedConnection, TestError } from '../connector';
import { lookupFor, type ResolvedTarget } from '../egress/egress-guard';
import { classifyHttpError } from '../http/http.connector';
import { targetFailed } from '../introspection/errors';
import { secretScrubber } from '../probes/test-run';
import { errorMessageOf, retryAfterSeconds, statusCode } from './iceberg-metadata';

/** Bytes of one answer read at most: table metadata with a long history is the largest. */
export const ICEBERG_BODY_LIMIT = 16 * 1024 * 1024;
/** Answers to 429/503 waited out at most, each after its Retry-After (1 s when it gives none). */
const MAX_RETRIES = 3;
const CONNECT_TIMEOUT_MS = 5_000;
/** An OAuth token is replaced this long before it expires (a tenth of its life when that is shorter). */
const TOKEN_REFRESH_MARGIN_MS = 60_000;
/** How long a token that says nothing of its expiry is kept. */
const TOKEN_UNDATED_MS = 5 * 60_000;
const MAX_CACHED_TOKENS = 256;
export const DEFAULT_OAUTH_SCOPE = 'catalog';

/** An error answer (or an unusable one) of the catalog, as a coded test error; NOT_FOUND ones are answered as 404s. */
export class IcebergFailure extends Error {
  constructor(
    readonly testError: TestError,
    readonly status?: number,
    readonly retryAfter?: number,
    /** What a 404 says is missing, when the request itself knows better than the operation. */
    readonly missing?: string,
  ) {
    super(testError.message);
  }
}

const protocolError = (message: string) => new IcebergFailure({ code: 'PROTOCOL_ERROR', message });

/**
 * OAuth access tokens by client (uri, client id, a hash of the secret, scope), shared by every
 * operation of the connector; a changed secret is another client, so never served a stale token.
 */
export class OAuthTokenCache {
  private readonly tokens = new Map<string, { token: string; refreshAt: number }>();

  get(key: string, now = Date.now()): string | undefined {
    const entry = this.tokens.get(key);
    if (entry && entry.refreshAt > now) return entry.token;
    this.tokens.delete(key);
    return undefined;
  }

  set(key: string, token: string, expiresInSeconds: number | undefined, now = Date.now()): void {
    const lifetime = expiresInSeconds === undefined ? TOKEN_UNDATED_MS : expiresInSeconds * 1000;
    const margin = Math.min(TOKEN_REFRESH_MARGIN_MS, lifetime / 10);
    this.tokens.delete(key);
    if (this.tokens.size >= MAX_CACHED_TOKENS) this.tokens.delete(this.tokens.keys().next().value as string);
    this.tokens.set(key, { token, refreshAt: now + lifetime - margin });
  }

  evict(key: string): void {
    this.tokens.delete(key);
  }
}

interface Answer {
  status: number;
  body: unknown;
  retryAfter?: number;
}

const isTls = (url: URL) => url.protocol === 'https:';
export const portOf = (url: URL): number => (url.port ? Number(url.port) : isTls(url) ? 443 : 80);

/** The catalog's base URL: `uri` without a trailing '/', query or fragment. */
export function baseUrlOf(config: Record<string, unknown>): URL {
  const url = new URL(String(config.uri));
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw protocolError('uri must be an http:// or https:// URL.');
  url.hash = '';
  url.search = '';
  return url;
}

/** `uri`'s path without a trailing '/' ('' at the root), for /v1/… to follow. */
const basePathOf = (url: URL): string => url.pathname.replace(/\/+$/u, '');

export class IcebergClient {
  readonly base: URL;
  /** What messages name: the base URL, never a credential. */
  readonly where: string;
  /** Origin and path of `uri`, without a trailing '/'. */
  private readonly root: string;
  private readonly scrubSecrets: (message: string) => string;
  private agent?: Agent;
  private prefix?: string;
  private accessToken?: string;

  constructor(
    private readonly connection: ResolvedConnection,
    private readonly context: ConnectorContext,
    private readonly tokens: OAuthTokenCache,
  ) {
    this.base = baseUrlOf(connection.config);
    this.root = `${this.base.origin}${basePathOf(this.base)}`;
    this.where = this.root;
    this.scrubSecrets = secretScrubber(connection.secrets);
  }

  scrub(message: string): string {
    const once = this.scrubSecrets(message);
    return this.accessToken ? secretScrubber({ accessToken: this.accessToken })(once) : once;
  }

  /** The egress guard's check of the catalog's host: the only address the agent connects to. */
  resolve(): Promise<ResolvedTarget> {
    return this.context.egress.resolve(this.base.hostname, portOf(this.base), this.context.signal);
  }

  open(target: ResolvedTarget): void {
    const connect = buildConnector({
      lookup: lookupFor(target),
      ...(this.connection.secrets.tlsCa ? { ca: this.connection.secrets.tlsCa } : {}),
      rejectUnauthorized: true,
      timeout: Math.max(1, Math.min(CONNECT_TIMEOUT_MS, this.context.remainingMs())),
    } as buildConnector.BuildOptions);
    this.agent = new Agent({ connect, connections: 2 });
  }

  async close(): Promise<void> {
    await this.agent?.destroy().catch(() => undefined);
  }

  /** GET /v1/config (with the warehouse): the catalog answers with these credentials, and says its prefix. */
  async loadConfig(): Promise<{ prefix: string }> {
    const warehouse = this.connection.config.warehouse;
    let body: unknown;
    try {
      body = await this.get(['config'], typeof warehouse === 'string' ? { warehouse } : {}, false);
    } catch (error) {
      if (!(error instanceof IcebergFailure) || error.status !== 404) throw error;
      const shown = typeof warehouse === 'string' ? `Warehouse "${warehouse}"` : 'The default warehouse';
      throw new IcebergFailure(
        { code: 'NOT_FOUND', message: this.scrub(`${shown} does not exist at ${this.where}.`) },
        404,
        undefined,
        shown,
      );
    }
    const overrides = (body as { overrides?: Record<string, unknown> } | null)?.overrides;
    const defaults = (body as { defaults?: Record<string, unknown> } | null)?.defaults;
    const prefix = overrides?.prefix ?? defaults?.prefix;
    this.prefix = typeof prefix === 'string' ? prefix : '';
    return { prefix: this.prefix };
  }

  /**
   * GET /v1/{prefix}/… (or /v1/… when `catalogPath` is false); `segments` are encoded here except
   * those given pre-encoded by the caller (namespace paths). A 401 on a cached OAuth token gets one fresh token.
   */
  async get(segments: string[], query: Record<string, string> = {}, catalogPath = true, encoded = false): Promise<unknown> {
    if (catalogPath && this.prefix === undefined) await this.loadConfig();
    const prefixSegments = catalogPath && this.prefix ? this.prefix.split('/').map(encodeURIComponent) : [];
    const path = [...prefixSegments, ...(encoded ? segments : segments.map(encodeURIComponent))].join('/');
    const url = new URL(`${this.root}/v1/${path}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    let refreshed = false;
    for (;;) {
      const auth = await this.authorization(refreshed);
      const answer = await this.send('GET', url, auth.header ? { authorization: auth.header } : {});
      if ((answer.status === 401 || answer.status === 419) && auth.cacheKey && !auth.fresh && !refreshed) {
        this.tokens.evict(auth.cacheKey);
        refreshed = true;
        continue;
      }
      return this.checked(answer);
    }
  }

  /** The Authorization header: the token secret, or an OAuth token (cached, or fetched now). */
  private async authorization(forceFresh: boolean): Promise<{ header?: string; cacheKey?: string; fresh?: boolean }> {
    const { config, secrets } = this.connection;
    const clientId = typeof config.clientId === 'string' ? config.clientId : undefined;
    if (!clientId) return secrets.token ? { header: `Bearer ${secrets.token}` } : {};
    const scope = typeof config.scope === 'string' ? config.scope : DEFAULT_OAUTH_SCOPE;
    const secret = secrets.clientSecret ?? '';
    const cacheKey = createHash('sha256')
      .update(JSON.stringify([this.where, clientId, secret, scope]))
      .digest('hex');
    const cached = forceFresh ? undefined : this.tokens.get(cacheKey);
    if (cached) {
      this.accessToken = cached;
      return { header: `Bearer ${cached}`, cacheKey };
    }
    const url = new URL(`${this.root}/v1/oauth/tokens`);
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret, scope });
    const answer = await this.send('POST', url, { 'content-type': 'application/x-www-form-urlencoded' }, form.toString());
    if (answer.status === 400 || answer.status === 401) {
      throw new IcebergFailure({
        code: 'AUTH_FAILED',
        message: this.scrub(
          `${this.where} refused the OAuth client credentials (${errorMessageOf(answer.body) ?? `HTTP ${answer.status}`}).`,
        ),
      });
    }
    const body = this.checked(answer) as { access_token?: unknown; expires_in?: unknown } | null;
    if (typeof body?.access_token !== 'string' || body.access_token === '') {
      throw protocolError(`${this.where} answered the token request without an access_token.`);
    }
    this.accessToken = body.access_token;
    this.tokens.set(cacheKey, body.access_token, typeof body.expires_in === 'number' ? body.expires_in : undefined);
    return { header: `Bearer ${body.access_token}`, cacheKey, fresh: true };
  }

  /** The JSON body of a 2xx answer; anything else as an IcebergFailure. */
  private checked(answer: Answer): unknown {
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    const said = errorMessageOf(answer.body);
    const detail = said ? ` (${said})` : '';
    const code = statusCode(answer.status);
    const message =
      code === 'AUTH_FAILED'
        ? `${this.where} rejected the credentials${detail}.`
        : code === 'PERMISSION_DENIED'
          ? `${this.where} denied access${detail}.`
          : `${this.where} answered HTTP ${answer.status}${detail}.`;
    throw new IcebergFailure({ code, message: this.scrub(message) }, answer.status, answer.retryAfter);
  }

  /** One request, 429/503 waited out per Retry-After while the deadline allows; the body read up to ICEBERG_BODY_LIMIT. */
  private async send(method: 'GET' | 'POST', url: URL, headers: Record<string, string>, body?: string): Promise<Answer> {
    if (!this.agent) throw new Error('IcebergClient used before open()');
    for (let attempt = 0; ; attempt += 1) {
      const answer = await this.once(method, url, headers, body);
      if (answer.status !== 429 && answer.status !== 503) return answer;
      const waitMs = (answer.retryAfter ?? 1) * 1000;
      if (attempt >= MAX_RETRIES || waitMs >= this.context.remainingMs() - 250) return answer;
      await sleep(waitMs, undefined, { signal: this.context.signal });
    }
  }

  private async once(method: 'GET' | 'POST', url: URL, headers: Record<string, string>, body?: string): Promise<Answer> {
    const remaining = Math.max(1, this.context.remainingMs());
    const response = await request(url, {
      method,
      headers: { accept: 'application/json', ...headers },
      body,
      dispatcher: this.agent,
      signal: this.context.signal,
      headersTimeout: remaining,
      bodyTimeout: remaining,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > ICEBERG_BODY_LIMIT) {
        response.body.destroy();
        throw protocolError(`${this.where} answered more than ${ICEBERG_BODY_LIMIT} bytes.`);
      }
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        if (response.statusCode < 300)
          throw protocolError(`${this.where} answered HTTP ${response.statusCode} with a body that is not JSON.`);
      }
    }
    const retryAfterHeader = response.headers['retry-after'];
    return {
      status: response.statusCode,
      body: parsed,
      retryAfter: retryAfterSeconds(Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader),
    };
  }

  /** A test error for anything an exchange threw. */
  testErrorOf(error: unknown): TestError {
    if (error instanceof IcebergFailure) return error.testError;
    const classified = classifyHttpError(error, this.where, this.context.signal);
    return { code: classified.code, message: this.scrub(classified.message) };
  }

  /** The API's answer for anything an operation threw: 404 for what the catalog does not have, 429 when it kept asking to slow down, 502/504 otherwise. */
  appErrorOf(error: unknown, missing: string): Error {
    if (error instanceof AppError) return error;
    if (error instanceof IcebergFailure && error.status === 404)
      return new AppError(ErrorCode.NOT_FOUND, `${error.missing ?? missing} not found.`);
    if (error instanceof IcebergFailure && error.status === 429) {
      const seconds = String(Math.max(1, error.retryAfter ?? 1));
      return new AppError(ErrorCode.RATE_LIMITED, `${this.where} asks to slow down; retry in ${seconds} s.`, {
        headers: { 'Retry-After': seconds },
      });
    }
    return targetFailed(this.testErrorOf(error));
  }
}
