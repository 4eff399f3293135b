import type { Socket } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import type { Connector, ConnectorContext, ResolvedConnection, TestError, TestErrorCode, TestResult } from '../connector';
import { lookupFor, type ResolvedTarget } from '../egress/egress-guard';
import type { StreamSocket } from '../egress/target-socket';
import { classifyNetworkError } from '../probes/network-errors';
import { secretScrubber, StageFailure, TestRun } from '../probes/test-run';

/** Bytes of a response body read before the rest is discarded. */
export const HTTP_BODY_LIMIT = 64 * 1024;
/** Redirects followed, each re-checked by the egress guard. */
export const HTTP_MAX_REDIRECTS = 5;
const CONNECT_TIMEOUT_MS = 5_000;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const SERVER_HEADER_MAX = 100;
/** Never sent to an origin other than the configured one, whoever set them. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

type Details = Record<string, string | number | boolean>;
type Headers = Record<string, string>;

interface HopResponse {
  status: number;
  location?: string;
  server?: string;
}

/** A promise settled from outside; rejections are marked handled so an unused one never crashes the process. */
class Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.promise.catch(() => undefined);
  }
}

/** Times the connection of the first hop: TCP connected, then (https) TLS handshake done. */
class ConnectProbe {
  readonly tcp = new Deferred();
  readonly tls = new Deferred();

  /** The exchange ended (either way) without the socket events saying so: settle what is left. */
  settle(error?: unknown): void {
    if (error === undefined) {
      this.tcp.resolve();
      this.tls.resolve();
    } else {
      this.tcp.reject(error);
      this.tls.reject(error);
    }
  }
}

const portOf = (url: URL): number => (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);
/** What results and messages show of a URL: no credentials, no query, no fragment. */
const displayUrl = (url: URL): string => `${url.origin}${url.pathname}`;
const stringOr = (value: unknown, fallback: string): string => (typeof value === 'string' && value !== '' ? value : fallback);
const numberOr = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
const headerValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
const protocolError = (message: string): StageFailure => new StageFailure({ code: 'PROTOCOL_ERROR', message });

/** baseUrl joined with healthPath: the base path prefix is kept, the path always starts with '/'. */
export function healthUrl(config: Record<string, unknown>): URL {
  const base = new URL(String(config.baseUrl));
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw protocolError('baseUrl must be an http:// or https:// URL.');
  const rawPath = stringOr(config.healthPath, '/');
  const path = rawPath.startsWith('/') ? rawPath : `/${rawPath}`;
  const url = new URL(`${base.origin}${base.pathname.replace(/\/+$/u, '')}${path}`);
  if (url.origin !== base.origin) throw protocolError('healthPath must be a path on the base URL.');
  url.hash = '';
  return url;
}

/** The request headers that carry credentials, by authType. */
function authHeaders(config: Record<string, unknown>, secrets: Record<string, string>): Headers {
  switch (config.authType) {
    case 'basic': {
      const basic = Buffer.from(`${stringOr(config.username, '')}:${secrets.password ?? ''}`).toString('base64');
      return { authorization: `Basic ${basic}` };
    }
    case 'bearer':
      return { authorization: `Bearer ${secrets.token ?? ''}` };
    case 'header':
      return { [stringOr(config.headerName, 'x-api-key').toLowerCase()]: secrets.token ?? '' };
    default:
      return {};
  }
}

function statusCode(status: number): TestErrorCode {
  if (status === 401 || status === 407) return 'AUTH_FAILED';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 404) return 'NOT_FOUND';
  return 'PROTOCOL_ERROR';
}

const UNDICI_TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** classifyNetworkError plus what undici throws of its own; anything after the deadline is a timeout. */
export function classifyHttpError(error: unknown, where: string, signal: AbortSignal): TestError {
  const code = (error as { code?: unknown } | null)?.code;
  if (signal.aborted || (typeof code === 'string' && UNDICI_TIMEOUTS.has(code))) {
    return { code: 'TIMEOUT', message: `No answer from ${where} before the deadline.` };
  }
  if (code === 'UND_ERR_SOCKET') return { code: 'PROTOCOL_ERROR', message: `${where} closed the connection without an HTTP answer.` };
  const cause = (error as { cause?: unknown } | null)?.cause;
  const classified = classifyNetworkError(error, where);
  return classified.code === 'PROTOCOL_ERROR' && cause instanceof Error ? classifyNetworkError(cause, where) : classified;
}

/**
 * An undici Agent whose sockets go to the address the egress guard checked (its lookup always
 * answers it), or through the target's tunnel, while the URL keeps the host name for the Host
 * header, SNI and certificate checks.
 */
function pinnedAgent(context: ConnectorContext, resolved: ResolvedTarget, tlsVerify: boolean, probe?: ConnectProbe): Agent {
  const built = buildConnector({
    lookup: lookupFor(resolved),
    rejectUnauthorized: tlsVerify,
    timeout: Math.max(1, Math.min(CONNECT_TIMEOUT_MS, context.remainingMs())),
    keepAlive: false,
  } as buildConnector.BuildOptions);
  const connector = resolved.openStream ? overStream(built, resolved.openStream) : built;
  if (!probe) return new Agent({ connect: connector, connections: 1 });
  const connect: buildConnector.connector = (options, callback) => {
    // Both connectors return the socket they open (their typings say void): 'connect' is TCP done.
    const socket = (connector as unknown as (o: buildConnector.Options, cb: buildConnector.Callback) => Socket | undefined)(
      options,
      (...args) => {
        if (args[0]) probe.settle(args[0]);
        else probe.settle();
        callback(...args);
      },
    );
    socket?.once?.('connect', () => probe.tcp.resolve());
    return socket as unknown as void;
  };
  return new Agent({ connect, connections: 1 });
}

/**
 * Connects over a stream of the target's own (its tunnel's channel): https puts undici's TLS
 * on top of it, as undici does on a proxy's tunnel. Returns the stream, whose 'connect' is TCP done.
 */
export function overStream(built: buildConnector.connector, openStream: () => StreamSocket): buildConnector.connector {
  return (options, callback) => {
    const stream = openStream();
    if (options.protocol === 'https:') {
      built({ ...options, httpSocket: stream as unknown as Socket }, callback);
      return stream as unknown as void;
    }
    let answered = false;
    const answer = (error: Error | null): void => {
      if (answered) return;
      answered = true;
      if (error) callback(error, null);
      else callback(null, stream as unknown as Socket);
    };
    stream.once('connect', () => answer(null));
    stream.once('error', answer);
    return stream as unknown as void;
  };
}

export class HttpConnector implements Connector {
  readonly type = 'http' as const;

  async test(connection: ResolvedConnection, context: ConnectorContext): Promise<TestResult> {
    const { config, secrets } = connection;
    const auth = authHeaders(config, secrets);
    // The header, and the user:password whose base64 it carries, are as secret as the password itself.
    const basic = config.authType === 'basic' ? `${stringOr(config.username, '')}:${secrets.password ?? ''}` : '';
    const run = new TestRun('undici', secretScrubber({ ...secrets, authorization: auth.authorization ?? '', basic }));
    const tlsVerify = config.tlsVerify !== false;
    const min = numberOr(config.expectedStatusMin, 200);
    const max = numberOr(config.expectedStatusMax, 399);
    const baseHeaders: Headers = {};
    for (const [name, value] of Object.entries((config.headers as Headers | undefined) ?? {}))
      baseHeaders[name.toLowerCase()] = String(value);
    const crossOriginHeaders = Object.fromEntries(Object.entries(baseHeaders).filter(([name]) => !CREDENTIAL_HEADERS.has(name)));
    const details: Details = { redirects: 0 };
    const agents = new Set<Agent>();
    let where = String(config.baseUrl);
    const classify = (error: unknown): TestError => classifyHttpError(error, where, context.signal);

    /** One request on a fresh agent pinned to `resolved`; reads at most HTTP_BODY_LIMIT bytes of the body. */
    const send = async (
      url: URL,
      method: string,
      headers: Headers,
      resolved: ResolvedTarget,
      probe?: ConnectProbe,
    ): Promise<HopResponse> => {
      const agent = pinnedAgent(context, resolved, tlsVerify, probe);
      agents.add(agent);
      try {
        const remaining = Math.max(1, context.remainingMs());
        const response = await request(url, {
          method: method as 'GET' | 'HEAD',
          headers,
          dispatcher: agent,
          signal: context.signal,
          headersTimeout: remaining,
          bodyTimeout: remaining,
        });
        await response.body.dump({ limit: HTTP_BODY_LIMIT, signal: context.signal });
        return {
          status: response.statusCode,
          location: headerValue(response.headers.location),
          server: headerValue(response.headers.server),
        };
      } finally {
        agents.delete(agent);
        await agent.destroy().catch(() => undefined);
      }
    };

    try {
      let url: URL;
      try {
        url = healthUrl(config);
      } catch (error) {
        throw error instanceof StageFailure ? error : protocolError('baseUrl is not a valid URL.');
      }
      const origin = url.origin;
      where = displayUrl(url);
      details.url = where;
      let method = config.method === 'HEAD' ? 'HEAD' : 'GET';
      const resolved = await run.stage('dns', () => context.egress.resolve(url.hostname, portOf(url), context.signal), classify);

      const probe = new ConnectProbe();
      const first = send(url, method, { ...baseHeaders, ...auth }, resolved, probe);
      first.then(
        () => probe.settle(),
        (error: unknown) => probe.settle(error),
      );
      await run.stage('tcp', () => probe.tcp.promise, classify);
      if (url.protocol === 'https:') await run.stage('tls', () => probe.tls.promise, classify);

      const response = await run.stage(
        'http',
        async () => {
          let hop = await first;
          let redirects = 0;
          while (REDIRECT_STATUSES.has(hop.status) && hop.location) {
            if (redirects >= HTTP_MAX_REDIRECTS) throw protocolError(`${where} redirected more than ${HTTP_MAX_REDIRECTS} times.`);
            let next: URL;
            try {
              next = new URL(hop.location, url);
            } catch {
              throw protocolError(`${where} redirected to an invalid URL.`);
            }
            const upgrade = url.protocol === 'http:' && next.protocol === 'https:';
            if (next.protocol !== url.protocol && !upgrade) {
              throw protocolError(
                `${where} redirected to a ${next.protocol.replace(':', '')} URL; only same-scheme and http to https redirects are followed.`,
              );
            }
            next.username = '';
            next.password = '';
            next.hash = '';
            where = displayUrl(next);
            const target = await context.egress.checkRedirect(next, context.signal);
            url = next;
            redirects += 1;
            details.redirects = redirects;
            details.url = where;
            if (hop.status === 303 && method !== 'HEAD') method = 'GET';
            // Credentials go only to the configured origin, never to where a redirect points elsewhere.
            const headers = url.origin === origin ? { ...baseHeaders, ...auth } : crossOriginHeaders;
            hop = await send(url, method, headers, target);
          }
          details.status = hop.status;
          if (hop.status < min || hop.status > max) {
            throw new StageFailure({
              code: statusCode(hop.status),
              message: `${where} answered HTTP ${hop.status}; expected ${min}-${max}.`,
            });
          }
          return hop;
        },
        classify,
      );
      const serverVersion = response.server ? response.server.slice(0, SERVER_HEADER_MAX) : undefined;
      return run.succeed(`${where} answered HTTP ${response.status}.`, serverVersion, details);
    } catch (error) {
      return run.fail(error, details);
    } finally {
      await Promise.all([...agents].map((agent) => agent.destroy().catch(() => undefined)));
    }
  }
}
