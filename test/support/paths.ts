/**
 * Resolves the `@switchboard/<lib>` aliases of tsconfig.json to the compiled tree the tests
 * run from (`nest build` rewrites them for the service itself). Loaded with --require.
 */
import Module from 'node:module';
import path from 'node:path';

const BUILD_ROOT = path.resolve(__dirname, '..', '..');
const ALIAS = /^@switchboard\/([a-z-]+)$/;

type Resolve = (request: string, ...rest: unknown[]) => string;
const moduleWithResolver = Module as unknown as { _resolveFilename: Resolve };
const resolve = moduleWithResolver._resolveFilename;

moduleWithResolver._resolveFilename = function (request: string, ...rest: unknown[]): string {
  const alias = ALIAS.exec(request);
  const target = alias ? path.join(BUILD_ROOT, 'libs', alias[1], 'src', 'index.js') : request;
  return resolve.call(this, target, ...rest);
};
