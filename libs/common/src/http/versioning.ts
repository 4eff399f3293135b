import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';

export const etagOf = (version: number): string => `"${version}"`;

/**
 * The versions an `If-Match` header accepts: undefined when absent or `*`. A list matches
 * if any of its tags does; weak tags (W/) never match, as RFC 9110 compares strongly. A
 * header in which nothing could match answers 412.
 */
export function parseIfMatch(header: string | undefined): number[] | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const tags = header.split(',').map((tag) => tag.trim());
  if (tags.some((tag) => !/^(W\/)?"[^"]*"$/.test(tag))) throw preconditionFailed();
  const versions = tags.flatMap((tag) => (/^"\d{1,9}"$/.test(tag) ? [Number(tag.slice(1, -1))] : []));
  if (versions.length === 0) throw preconditionFailed();
  return versions;
}

export const preconditionFailed = (): AppError =>
  new AppError(
    ErrorCode.PRECONDITION_FAILED,
    'The resource has changed since you read it (If-Match does not match its ETag); read it again.',
  );

/**
 * Sets `ETag` from a returned resource's `version`, and `Location` for one just created (201),
 * on every route: whatever answers a versioned resource gives its ETag. A Fastify hook rather
 * than a Nest interceptor, which would run every request of its routes through rxjs (bench/).
 */
export function registerResourceHeaders(fastify: FastifyInstance): void {
  fastify.addHook('preSerialization', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done) => {
    const resource = payload as { id?: unknown; version?: unknown } | null;
    if (resource !== null && typeof resource === 'object' && typeof resource.version === 'number') {
      void reply.header('etag', etagOf(resource.version));
      if (request.method === 'POST' && reply.statusCode === 201 && typeof resource.id === 'string') {
        void reply.header('location', `${collectionOf(request.url)}/${resource.id}`);
      }
    }
    done(null, payload);
  });
}

/** POST /x/items -> /x/items; POST /x/items/{ref}/clone -> /x/items. */
function collectionOf(url: string): string {
  const path = url.split('?')[0];
  return path.endsWith('/clone') ? path.replace(/\/[^/]+\/clone$/, '') : path;
}
