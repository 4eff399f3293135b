import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { listenOnLoopback, makeTempDir, selfSignedCert } from './servers';

/**
 * The HTTP(S) plumbing the protocol test servers share (the Databricks workspace and the Iceberg
 * REST catalog): a node:http or node:https listener on 127.0.0.1 with a self-signed certificate
 * made at start (test/support/servers selfSignedCert), the request body read in full, and JSON
 * answers. What each server says lives in its own module.
 */
export interface JsonRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type JsonHandler = (request: JsonRequest, response: http.ServerResponse) => void | Promise<void>;

export interface JsonServer {
  /** Base URL, `https://127.0.0.1:<port>` or `http://…`, without a trailing slash. */
  url: string;
  port: number;
  /** PEM of the self-signed certificate (CN=localhost, IP:127.0.0.1) when TLS is on; trust it as `tlsCa`. */
  ca: string | undefined;
  stop(): Promise<void>;
}

/** One request as a test server saw it; the Authorization header is summarised, never kept. */
export interface SeenRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  at: Date;
}

export function sendJson(response: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}

/** Client id and secret from `Authorization: Basic` or, failing that, the form body (RFC 6749 §2.3.1). */
export function clientCredentials(headers: http.IncomingHttpHeaders, form: URLSearchParams): { id: string; secret: string } | undefined {
  const basic = /^Basic\s+(.+)$/i.exec(headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  }
  const id = form.get('client_id');
  const secret = form.get('client_secret');
  return id && secret ? { id, secret } : undefined;
}

export function bearerToken(headers: http.IncomingHttpHeaders): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
}

export async function startJsonServer(label: string, handler: JsonHandler, options: { tls: boolean }): Promise<JsonServer> {
  const dir = options.tls ? makeTempDir(label) : undefined;
  try {
    const cert = dir ? selfSignedCert(dir) : undefined;
    const listener = (request: http.IncomingMessage, response: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        const parsed: JsonRequest = {
          method: request.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        Promise.resolve(handler(parsed, response)).catch((error: unknown) => {
          // A bug in the test server itself: say so loudly rather than hang the client.
          console.error(`${label} test server failed on ${parsed.method} ${parsed.path}:`, error);
          sendJson(response, 500, { message: `${label} test server error: ${error instanceof Error ? error.message : error}` });
        });
      });
    };
    const server = cert ? https.createServer({ cert: cert.cert, key: cert.key }, listener) : http.createServer(listener);
    // TLS clients that give up mid-handshake (a plain TCP probe) raise socket errors; they are not fatal.
    server.on('tlsClientError', () => undefined);
    await listenOnLoopback(server, `${label} test server`);
    const port = (server.address() as AddressInfo).port;
    let stopped = false;
    return {
      url: `${cert ? 'https' : 'http'}://127.0.0.1:${port}`,
      port,
      ca: cert?.cert,
      async stop() {
        if (stopped) return;
        stopped = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`${label} test server failed to start: ${error instanceof Error ? error.message : error}`, { cause: error });
  }
}
