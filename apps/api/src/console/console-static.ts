import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const CONSOLE_PREFIX = '/console/';

/**
 * The console only loads its own files and talks only to this origin: no inline script or
 * style, no plugin, no framing (clickjacking), no form posted elsewhere.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Vite names every file under assets/ by its content hash, so a browser may keep them for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

function consoleHeaders(reply: FastifyReply): void {
  void reply.header('content-security-policy', CONSOLE_CONTENT_SECURITY_POLICY);
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('x-frame-options', 'DENY');
  void reply.header('referrer-policy', 'no-referrer');
}

/**
 * Serves the built console (`npm run build` writes it to dist/console) at /console/, with
 * deep links answered by index.html so that the browser's router takes over. Nothing is
 * registered when the directory holds no build: the API runs without a console.
 */
export async function registerConsole(fastify: FastifyInstance, dir: string): Promise<boolean> {
  if (!fs.existsSync(path.join(dir, 'index.html'))) return false;
  await fastify.register(async (scope) => {
    scope.addHook('onRequest', async (_request, reply) => consoleHeaders(reply));
    await scope.register(fastifyStatic, {
      root: dir,
      prefix: CONSOLE_PREFIX,
      // One route per built file, found at start: anything else falls to the deep-link route below.
      wildcard: false,
      index: false,
      cacheControl: false,
      setHeaders: (response, file) => {
        // index.html names the hashed files of this build: revalidate it every time.
        void response.header('cache-control', file.startsWith(path.join(dir, 'assets') + path.sep) ? IMMUTABLE : 'no-cache');
      },
    });
    scope.get('/console', (_request, reply) => reply.redirect(CONSOLE_PREFIX, 301));
    const app = (_request: unknown, reply: FastifyReply) => reply.sendFile('index.html');
    scope.get(CONSOLE_PREFIX, app);
    scope.get(`${CONSOLE_PREFIX}*`, (request, reply) => {
      // A missing hashed file is a 404, not the page: a stale index.html must not load HTML as script.
      if (request.url.startsWith(`${CONSOLE_PREFIX}assets/`)) return reply.callNotFound();
      return app(request, reply);
    });
  });
  return true;
}
