/**
 * One operation's HTTP conversation with a REST API a connection type speaks (an Iceberg REST
 * catalog, a Databricks workspace): undici on an agent pinned to the address the egress guard
 * checked (or over the target's SSH tunnel), the connection's tlsCa, OAuth client-credentials
 * tokens cached across operations, 429/503 retried after Retry-After while the deadline allows,
 * answers read up to a byte limit. Every message is scrubbed of the secrets and of the access
 * token in use before it is shown. What an API says in its error bodies is the caller's to read.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, buildConnector, request } from 'undici';
import { AppError, ErrorCode } from '@switchboard/common';
import type { Secrets } from '../connection-type';
import type { ConnectorContext, TestError, TestErrorCode } from '../connector';
import { lookupFor, type ResolvedTarget } from '../egress/egress-guard';
import { connectTarget } from '../egress/target-socket';
import { classifyHttpError, overStream, UNDICI_TIMER_SLACK_MS } from '../http/http.connector';
import { targetFailed } from '../introspection/errors';
import { openedThenClosed } from '../probes/reach';
import { secretScrubber } from '../probes/test-run';
import type { OAuthTokenCache } from './oauth-token-cache';
import { protocolError, RestApiFailure } from './rest-api-failure';
import { retryAfterSeconds } from './retry-after';

/** Answers to 429/503 waited out at most, each after its Retry-After (1 s when it gives none). */
const MAX_RETRIES = 3;
const CONNECT_TIMEOUT_MS = 5_000;
/** A retry is not started when less than this would be left of the deadline after its wait. */
const RETRY_SLACK_MS = 250;
/** Bytes of a token endpoint's answer read at most: a token and a few fields. */
const TOKEN_ANSWER_LIMIT = 64 * 1024;
/** The longest access token taken: real ones (JWTs included) are a few KiB; a longer one only costs memory and scrubbing. */
export const MAX_ACCESS_TOKEN_CHARS = 8 * 1024;

export type HttpMethod = 'GET' | 'POST';

/** How one request is sent: `graceMs` sends it once on a timeout of its own; `bodyLimit` overrides the API's. */
export interface SendOptions {
  graceMs?: number;
  bodyLimit?: number;
}

export interface RestAnswer {
  status: number;
  body: unknown;
  retryAfter?: number;
}

/** The Authorization header of one request, and the cached OAuth token it came from (if any). */
export interface Authorization {
  header?: string;
  cacheKey?: string;
  /** Fetched for this request: a 401 on it is the credentials' fault, not the cache's. */
  fresh?: boolean;
}

/** An OAuth 2.0 client-credentials grant (RFC 6749 §4.4). */
export interface ClientCredentialsGrant {
  tokenUrl: URL;
  clientId: string;
  clientSecret: string;
  scope: string;
  /** Where the client authenticates: the form (Iceberg REST) or HTTP Basic (Databricks' documented call). */
  clientAuth: 'form' | 'basic';
}

export interface RestApiOptions {
  /** What messages name: the API's base URL, never a credential. */
  where: string;
  /** Where connections go: the host and port the egress guard checks. */
  url: URL;
  secrets: Secrets;
  context: ConnectorContext;
  /** Bytes of one answer read at most, unless a request says otherwise. */
  bodyLimit: number;
  /** The message an error body of this API carries, if any. */
  errorMessageOf(body: unknown): string | undefined;
  /** The test code of an error status. */
  statusCode(status: number): TestErrorCode;
}

const isTls = (url: URL) => url.protocol === 'https:';
export const portOf = (url: URL): number => (url.port ? Number(url.port) : isTls(url) ? 443 : 80);
const unbracketed = (host: string): string => host.replace(/^\[(.*)\]$/u, '$1');

/** Opens TLS over a connection to the checked address and closes it: the certificate checked against tlsCa (or the system CAs). */
export function tlsHandshake(target: ResolvedTarget, url: URL, ca: string | undefined, signal: AbortSignal): Promise<void> {
  const host = unbracketed(url.hostname);
  const socket = tls.connect({
    socket: connectTarget(target, portOf(url)) as never,
    host,
    ...(isIP(host) ? {} : { servername: host }),
    ...(ca ? { ca } : {}),
    rejectUnauthorized: true,
    ALPNProtocols: ['http/1.1'],
  });
  return openedThenClosed(socket, 'secureConnect', signal);
}

export class RestApiClient {
  readonly where: string;
  private url: URL;
  private readonly scrubSecrets: (message: string) => string;
  private agent?: Agent;
  /** What this operation sent besides the secrets (the access token in use, the Basic credentials), and their scrubber. */
  private readonly sent: Record<string, string> = {};
  private scrubSent?: (message: string) => string;

  constructor(private readonly options: RestApiOptions) {
    this.where = options.where;
    this.url = options.url;
    this.scrubSecrets = secretScrubber(options.secrets);
  }

  protected get context(): ConnectorContext {
    return this.options.context;
  }

  scrub(message: string): string {
    const once = this.scrubSecrets(message);
    return this.scrubSent ? this.scrubSent(once) : once;
  }

  /** `value` is scrubbed from messages too; the scrubber is rebuilt only when a value changes. */
  private scrubAlso(name: 'accessToken' | 'basicCredentials', value: string): void {
    if (this.sent[name] === value) return;
    this.sent[name] = value;
    this.scrubSent = secretScrubber(this.sent);
  }

  /** The egress guard's check of the API's host: the only address the agent connects to. */
  resolve(): Promise<ResolvedTarget> {
    return this.context.egress.resolve(unbracketed(this.url.hostname), portOf(this.url), this.context.signal);
  }

  /** Connections go to `target` from now on: its checked address, or its tunnel's channels. */
  open(target: ResolvedTarget): void {
    void this.agent?.destroy().catch(() => undefined);
    const built = buildConnector({
      lookup: lookupFor(target),
      ...(this.options.secrets.tlsCa ? { ca: this.options.secrets.tlsCa } : {}),
      rejectUnauthorized: true,
      timeout: Math.max(1, Math.min(CONNECT_TIMEOUT_MS, this.context.remainingMs())),
    } as buildConnector.BuildOptions);
    this.agent = new Agent({ connect: target.openStream ? overStream(built, target.openStream) : built, connections: 2 });
  }

  async close(): Promise<void> {
    await this.agent?.destroy().catch(() => undefined);
  }

  /**
   * A request with the Authorization header `authorize` gives; a 401 (or `expired`, the API's
   * own expired-token status) on a cached OAuth token gets one fresh token. With `graceMs` the
   * request is sent once, on a timeout of its own: what must still be said after the deadline (a cancel).
   * The 2xx body, or a RestApiFailure.
   */
  async authorized(
    method: HttpMethod,
    url: URL,
    authorize: (forceFresh: boolean) => Promise<Authorization>,
    options: SendOptions & { body?: unknown; expired?: number; tokens?: OAuthTokenCache } = {},
  ): Promise<unknown> {
    const headers: Record<string, string> = options.body === undefined ? {} : { 'content-type': 'application/json' };
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let refreshed = false;
    for (;;) {
      const auth = await authorize(refreshed);
      const authorization: Record<string, string> = auth.header ? { authorization: auth.header } : {};
      const answer = await this.send(method, url, { ...headers, ...authorization }, body, options);
      const expired = answer.status === 401 || answer.status === options.expired;
      if (expired && auth.cacheKey && !auth.fresh && !refreshed) {
        options.tokens?.evict(auth.cacheKey);
        refreshed = true;
        continue;
      }
      return this.checked(answer);
    }
  }

  /** A bearer token of `grant`: cached (unless `forceFresh`), or fetched now and cached until shortly before it expires. */
  async clientCredentials(grant: ClientCredentialsGrant, tokens: OAuthTokenCache, forceFresh: boolean): Promise<Authorization> {
    const { tokenUrl, clientId, clientSecret, scope } = grant;
    const cacheKey = createHash('sha256')
      .update(JSON.stringify([tokenUrl.href, clientId, clientSecret, scope]))
      .digest('hex');
    const cached = forceFresh ? undefined : tokens.get(cacheKey);
    if (cached) {
      this.scrubAlso('accessToken', cached);
      return { header: `Bearer ${cached}`, cacheKey };
    }
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (grant.clientAuth === 'basic') {
      // RFC 6749 §2.3.1: both form-encoded before they are joined.
      const user = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
      const credentials = Buffer.from(user).toString('base64');
      // The header exactly as sent, should the endpoint echo it.
      this.scrubAlso('basicCredentials', credentials);
      headers.authorization = `Basic ${credentials}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    const answer = await this.send('POST', tokenUrl, headers, form.toString(), { bodyLimit: TOKEN_ANSWER_LIMIT });
    if (answer.status === 400 || answer.status === 401) {
      const said = this.options.errorMessageOf(answer.body) ?? `HTTP ${answer.status}`;
      throw new RestApiFailure({
        code: 'AUTH_FAILED',
        message: this.scrub(`${this.where} refused the OAuth client credentials (${said}).`),
      });
    }
    const body = this.checked(answer) as { access_token?: unknown; expires_in?: unknown } | null;
    if (typeof body?.access_token !== 'string' || body.access_token === '') {
      throw protocolError(`${this.where} answered the token request without an access_token.`);
    }
    if (body.access_token.length > MAX_ACCESS_TOKEN_CHARS) {
      throw protocolError(`${this.where} answered an access_token over ${MAX_ACCESS_TOKEN_CHARS} characters.`);
    }
    this.scrubAlso('accessToken', body.access_token);
    tokens.set(cacheKey, body.access_token, typeof body.expires_in === 'number' ? body.expires_in : undefined);
    return { header: `Bearer ${body.access_token}`, cacheKey, fresh: true };
  }

  /** The JSON body of a 2xx answer; anything else as a RestApiFailure. */
  checked(answer: RestAnswer): unknown {
    if (answer.status >= 200 && answer.status < 300) return answer.body;
    const said = this.options.errorMessageOf(answer.body);
    const detail = said ? ` (${said})` : '';
    const code = this.options.statusCode(answer.status);
    const message =
      code === 'AUTH_FAILED'
        ? `${this.where} rejected the credentials${detail}.`
        : code === 'PERMISSION_DENIED'
          ? `${this.where} denied access${detail}.`
          : `${this.where} answered HTTP ${answer.status}${detail}.`;
    throw new RestApiFailure({ code, message: this.scrub(message) }, answer.status, answer.retryAfter);
  }

  /** One request, 429/503 waited out per Retry-After while the deadline allows (not in `graceMs`); the body read up to the limit. */
  async send(method: HttpMethod, url: URL, headers: Record<string, string>, body?: string, options: SendOptions = {}): Promise<RestAnswer> {
    if (!this.agent) throw new Error('RestApiClient used before open()');
    const { graceMs, bodyLimit = this.options.bodyLimit } = options;
    if (graceMs !== undefined) return this.once(method, url, headers, body, AbortSignal.timeout(graceMs), graceMs, bodyLimit);
    for (let attempt = 0; ; attempt += 1) {
      const remaining = Math.max(1, this.context.remainingMs());
      const answer = await this.once(method, url, headers, body, this.context.signal, remaining, bodyLimit);
      if (answer.status !== 429 && answer.status !== 503) return answer;
      const waitMs = (answer.retryAfter ?? 1) * 1000;
      if (attempt >= MAX_RETRIES || waitMs >= this.context.remainingMs() - RETRY_SLACK_MS) return answer;
      await sleep(waitMs, undefined, { signal: this.context.signal });
    }
  }

  private async once(
    method: HttpMethod,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal,
    remaining: number,
    limit: number,
  ): Promise<RestAnswer> {
    const response = await request(url, {
      method,
      headers: { accept: 'application/json', ...headers },
      body,
      dispatcher: this.agent,
      signal,
      // The signal ends the exchange at the deadline; undici's own timers (coarse above 1 s, so they
      // may fire up to half a second early) only back it up.
      headersTimeout: remaining + UNDICI_TIMER_SLACK_MS,
      bodyTimeout: remaining + UNDICI_TIMER_SLACK_MS,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        response.body.destroy();
        throw protocolError(`${this.where} answered more than ${limit} bytes.`);
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
    if (error instanceof RestApiFailure) return error.testError;
    const classified = classifyHttpError(error, this.where, this.context.signal);
    return { code: classified.code, message: this.scrub(classified.message) };
  }

  /** The API's answer for anything an operation threw: 404 for what the target does not have, 429 when it kept asking to slow down, 502/504 otherwise. */
  appErrorOf(error: unknown, missing: string): Error {
    if (error instanceof AppError) return error;
    if (error instanceof RestApiFailure && error.status === 404)
      return new AppError(ErrorCode.NOT_FOUND, `${error.missing ?? missing} not found.`);
    if (error instanceof RestApiFailure && error.status === 429) {
      const seconds = String(Math.max(1, error.retryAfter ?? 1));
      return new AppError(ErrorCode.RATE_LIMITED, `${this.where} asks to slow down; retry in ${seconds} s.`, {
        headers: { 'Retry-After': seconds },
      });
    }
    return targetFailed(this.testErrorOf(error));
  }
}
