import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenOnLoopback } from './servers';

/**
 * A node:http server on 127.0.0.1 for HTTP connector tests. Routes:
 *   GET  /health                  200 {"status":"ok"}
 *   ANY  /status/:code            responds with that status (100–599 → 200 for 1xx)
 *   GET  /redirect?to=<url>&code=302   redirects to `to` (default /health)
 *   ANY  /basic                   200 with the right Basic credentials, else 401 + WWW-Authenticate
 *   ANY  /bearer                  200 with `Authorization: Bearer <bearerToken>`, else 401
 *   ANY  /header                  200 when header `headerName` equals `headerValue`, else 403
 *   ANY  /slow?ms=<n>             answers after n ms (default 10 000: beyond any test deadline)
 *   ANY  /echo                    200 with the request as JSON
 * anything else 404. Every request is recorded in `requests`.
 */
export interface HttpTarget {
  url: string;
  port: number;
  basicUser: string;
  basicPassword: string;
  bearerToken: string;
  headerName: string;
  headerValue: string;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: Date;
}

const json = (response: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) => {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
};

export async function startHttpTarget(): Promise<HttpTarget> {
  const basicUser = 'sb-http-user';
  const basicPassword = 'sb-http-password';
  const bearerToken = 'sb-test-token-0123456789';
  const headerName = 'x-switchboard-test';
  const headerValue = 'sb-header-value';
  const requests: RecordedRequest[] = [];
  const slowTimers = new Set<NodeJS.Timeout>();

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const query = Object.fromEntries(url.searchParams);
      const recorded: RecordedRequest = {
        method: request.method ?? 'GET',
        path: url.pathname,
        query,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: new Date(),
      };
      requests.push(recorded);
      const authorization = request.headers.authorization ?? '';
      const status = /^\/status\/(\d{3})$/.exec(url.pathname);

      if (url.pathname === '/health') return json(response, 200, { status: 'ok' });
      if (status) {
        const code = Number(status[1]);
        if (code < 100 || code > 599) return json(response, 400, { error: 'status out of range' });
        return json(response, code < 200 ? 200 : code, { status: code });
      }
      if (url.pathname === '/redirect') {
        const code = Number(query.code ?? 302);
        response.writeHead([301, 302, 303, 307, 308].includes(code) ? code : 302, { location: query.to ?? '/health' });
        return response.end();
      }
      if (url.pathname === '/basic') {
        const expected = 'Basic ' + Buffer.from(`${basicUser}:${basicPassword}`).toString('base64');
        if (authorization === expected) return json(response, 200, { authenticated: basicUser });
        return json(response, 401, { error: 'unauthorized' }, { 'www-authenticate': 'Basic realm="switchboard-test"' });
      }
      if (url.pathname === '/bearer') {
        if (authorization === `Bearer ${bearerToken}`) return json(response, 200, { authenticated: 'bearer' });
        return json(response, 401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer realm="switchboard-test"' });
      }
      if (url.pathname === '/header') {
        if (request.headers[headerName] === headerValue) return json(response, 200, { header: 'ok' });
        return json(response, 403, { error: `header ${headerName} missing or wrong` });
      }
      if (url.pathname === '/slow') {
        const timer = setTimeout(
          () => {
            slowTimers.delete(timer);
            json(response, 200, { slow: true });
          },
          Number(query.ms ?? 10_000),
        );
        slowTimers.add(timer);
        response.on('close', () => {
          clearTimeout(timer);
          slowTimers.delete(timer);
        });
        return;
      }
      if (url.pathname === '/echo') return json(response, 200, recorded);
      json(response, 404, { error: 'not found' });
    });
  });

  await listenOnLoopback(server, 'HTTP target');
  const port = (server.address() as AddressInfo).port;
  let stopped = false;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    basicUser,
    basicPassword,
    bearerToken,
    headerName,
    headerValue,
    requests,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const timer of slowTimers) clearTimeout(timer);
      slowTimers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
