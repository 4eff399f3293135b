import type { FastifyCorsOptions } from '@fastify/cors';

/** How long a browser may reuse a preflight's answer: long enough to spare a round trip, short enough for a config change to land. */
export const CORS_PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS for consoles served from other origins: exact origins only, and no credentials
 * (the API authenticates with Bearer tokens and API keys in headers, never with cookies).
 */
export function corsOptions(allowed: readonly string[]): FastifyCorsOptions {
  const origins = new Set(allowed);
  return {
    // An unknown origin (or none) gets no CORS header at all, and its OPTIONS a plain 404.
    origin: (origin, callback) => callback(null, origin !== undefined && origins.has(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'X-API-Key', 'If-Match', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: ['ETag', 'Location', 'Retry-After', 'X-Request-Id'],
    credentials: false,
    maxAge: CORS_PREFLIGHT_MAX_AGE_SECONDS,
    // An OPTIONS from an allowed origin without Access-Control-Request-Method is answered like a
    // preflight, rather than with the plugin's text/plain 400.
    strictPreflight: false,
  };
}
