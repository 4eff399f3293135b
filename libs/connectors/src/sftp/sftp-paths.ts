import { posix } from 'node:path';
import { AppError, ErrorCode } from '@switchboard/common';
import { invalidInput } from '../introspection/errors';

/**
 * Confinement of SFTP paths to the connection's rootPath, in two steps:
 * 1. lexically here: a request path is relative to the root; it is normalised (`.`, `..`,
 *    repeated slashes) and refused when absolute or when its resolution leaves the root.
 *    Nothing is decoded: `%2e%2e` is a file name like any other.
 * 2. on the server (see SftpChannel.confine): the normalised path is resolved with the
 *    server's realpath, so symlinks count, and the result must be the root's own realpath or
 *    lie below it (`/data2` is not below `/data`). Later calls use that resolved path.
 */

const MAX_PATH_LENGTH = 4_096;

export const outsideRoot = (): AppError => new AppError(ErrorCode.UNPROCESSABLE, "The path is outside the connection's rootPath.");

/** The configured root, normalised: absolute, without a trailing slash unless it is `/`. */
export function normalRoot(rootPath: string): string {
  const normal = posix.normalize(rootPath.startsWith('/') ? rootPath : `/${rootPath}`);
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal;
}

/** `candidate` is `root` itself or lies below it (a plain prefix test would let /data2 pass for /data). */
export function isWithin(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root === '/' ? '/' : `${root}/`);
}

export interface RootedPath {
  /** Absolute on the server, normalised, no trailing slash. */
  absolute: string;
  /** Relative to the root, normalised; '' for the root itself. */
  relative: string;
}

/** Joins a request path to the root lexically; throws the 422 for anything that would leave it. */
export function underRoot(root: string, requested: string, field: string): RootedPath {
  if (requested.includes('\0')) throw invalidInput(field, 'must not contain NUL characters');
  if (requested.length > MAX_PATH_LENGTH) throw invalidInput(field, `must be at most ${MAX_PATH_LENGTH} characters`);
  if (requested.startsWith('/')) throw outsideRoot();
  const joined = posix.normalize(`${root}/${requested}`);
  const absolute = joined.length > 1 ? joined.replace(/\/+$/, '') : joined;
  if (!isWithin(root, absolute)) throw outsideRoot();
  const relative = absolute === root ? '' : absolute.slice(root === '/' ? 1 : root.length + 1);
  return { absolute, relative };
}

/**
 * Splits a listing prefix into the directory to read and the start of the names to keep,
 * as S3 would: `data/cu` reads `data` for names starting with `cu`; `data/` all of `data`.
 * A last segment of `.` or `..` names a directory, not a partial name.
 */
export function splitPrefix(prefix: string): { directory: string; partial: string } {
  const slash = prefix.lastIndexOf('/');
  const partial = prefix.slice(slash + 1);
  if (partial === '.' || partial === '..') return { directory: prefix, partial: '' };
  return { directory: slash < 0 ? '' : prefix.slice(0, slash), partial };
}
