import { posix } from 'node:path';
import { AppError, ErrorCode, notFound } from '@switchboard/common';
import type { Attributes } from 'ssh2';
import { invalidInput } from '../introspection/errors';
import type { FileListing, FileObject, FilesRequest, RangeReader } from '../introspection/types';
import { splitPrefix, underRoot } from './sftp-paths';
import { SFTP_NO_SUCH_FILE, type SftpChannel } from './sftp-session';

/**
 * Listing and reading files over SFTP. SFTP has no server-side paging or filtering: a listing
 * reads the whole directory (at most MAX_DIRECTORY_ENTRIES entries, else 422), keeps only the
 * `limit + 1` smallest names after the cursor (memory follows the page, not the directory) and
 * pages by name with an opaque cursor.
 *
 * With delimiter '/', subdirectories come back as commonPrefixes (`name/`); without one, only
 * the files of that one directory are listed (no recursion: a tree walk over SFTP costs one
 * round trip per directory). Symlinks are followed on the server and kept only when they
 * resolve inside the root; broken ones are left out.
 */

/** Entries read at most from one directory. */
export const MAX_DIRECTORY_ENTRIES = 100_000;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

type Kind = 'directory' | 'file' | 'link' | 'other';

const kindOf = (mode: number): Kind => {
  switch (mode & S_IFMT) {
    case S_IFDIR:
      return 'directory';
    case S_IFREG:
      return 'file';
    case S_IFLNK:
      return 'link';
    default:
      return 'other';
  }
};

interface Candidate {
  name: string;
  kind: Kind;
  attrs: Attributes;
}

/** The cursor is the last name of the previous page, wrapped so clients treat it as opaque. */
export function encodeCursor(lastName: string): string {
  return Buffer.from(JSON.stringify({ after: lastName }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const after = (decoded as { after?: unknown } | null)?.after;
    if (typeof after === 'string') return after;
  } catch {
    // falls through to the validation error
  }
  throw invalidInput('cursor', 'is not a cursor this listing returned');
}

/** The `size` smallest candidates by name, kept in bounded memory while a directory streams by. */
class SmallestNames {
  private items: Candidate[] = [];

  constructor(private readonly size: number) {}

  add(candidate: Candidate): void {
    this.items.push(candidate);
    if (this.items.length >= this.size * 2 + 64) this.trim();
  }

  sorted(): Candidate[] {
    this.trim();
    return this.items;
  }

  private trim(): void {
    this.items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.items.length = Math.min(this.items.length, this.size);
  }
}

/** Lists one directory under the root; see the module comment for the rules. */
export async function listSftpFiles(
  channel: SftpChannel,
  root: string,
  request: FilesRequest,
  maxEntries = MAX_DIRECTORY_ENTRIES,
): Promise<FileListing> {
  const { delimiter } = request;
  const limit = Math.max(1, request.limit);
  if (delimiter !== undefined && delimiter !== '' && delimiter !== '/') throw invalidInput('delimiter', "must be '/' for SFTP");
  const grouped = delimiter === '/';
  const after = decodeCursor(request.cursor);
  underRoot(root, request.prefix, 'prefix'); // the whole prefix, `..` included, must stay inside
  const { directory, partial } = splitPrefix(request.prefix);
  const dir = underRoot(root, directory, 'prefix');
  const shownDir = dir.relative ? `Directory "${dir.relative}"` : 'The root directory';
  const realDir = await orNotFound(channel.confine(dir.absolute), shownDir);
  if (!(await orNotFound(channel.stat(realDir), shownDir)).isDirectory()) throw notFound(shownDir);

  const wanted = (candidate: Candidate): boolean =>
    candidate.name.startsWith(partial) &&
    (after === undefined || candidate.name > after) &&
    (candidate.kind === 'file' || candidate.kind === 'link' || (grouped && candidate.kind === 'directory'));
  const smallest = new SmallestNames(limit + 1);
  const handle = await channel.opendir(realDir);
  try {
    let seen = 0;
    for (let batch = await channel.readdir(handle); batch; batch = await channel.readdir(handle)) {
      seen += batch.length;
      if (seen > maxEntries) {
        throw new AppError(
          ErrorCode.UNPROCESSABLE,
          `${shownDir} holds more than ${maxEntries} entries, more than a listing reads; list a subdirectory instead.`,
        );
      }
      for (const entry of batch) {
        const candidate = { name: entry.filename, kind: kindOf(entry.attrs.mode), attrs: entry.attrs };
        if (wanted(candidate)) smallest.add(candidate);
      }
    }
  } finally {
    channel.release(handle);
  }

  const candidates = smallest.sorted();
  const page = candidates.slice(0, limit);
  const resolved = await Promise.all(
    page.map((candidate) => (candidate.kind === 'link' ? followLink(channel, realDir, candidate) : candidate)),
  );
  const keyOf = (name: string): string => (dir.relative ? `${dir.relative}/${name}` : name);
  const objects: FileObject[] = [];
  const commonPrefixes: string[] = [];
  for (const entry of resolved) {
    if (entry?.kind === 'file') objects.push({ key: keyOf(entry.name), size: entry.attrs.size, lastModified: isoTime(entry.attrs.mtime) });
    else if (entry?.kind === 'directory' && grouped) commonPrefixes.push(`${keyOf(entry.name)}/`);
  }
  const nextCursor = candidates.length > limit ? encodeCursor(page[page.length - 1].name) : null;
  return { prefix: request.prefix, objects, commonPrefixes, nextCursor };
}

/** What a symlink points to, if that lies inside the root and exists; otherwise nothing. */
async function followLink(channel: SftpChannel, realDir: string, link: Candidate): Promise<Candidate | undefined> {
  try {
    const real = await channel.confine(posix.join(realDir, link.name));
    const attrs = await channel.stat(real);
    return { name: link.name, kind: kindOf(attrs.mode), attrs };
  } catch (error) {
    if (!channel.alive) throw error;
    return undefined; // outside the root, broken, or unreadable: not listed
  }
}

const isoTime = (seconds: number | undefined): string | null =>
  typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : null;

/** A file opened for file-schema: its handle (close it with channel.release) and size. */
export interface OpenedFile {
  handle: Buffer;
  size: number;
}

/** Opens a regular file under the root for reading; 404 when missing, 422 for a directory or anything not a file. */
export async function openSftpFile(channel: SftpChannel, root: string, path: string): Promise<OpenedFile> {
  if (path === '' || path.endsWith('/')) throw notAFile('a directory');
  const file = underRoot(root, path, 'path');
  if (file.relative === '') throw notAFile('a directory');
  const shown = `File "${file.relative}"`;
  const real = await orNotFound(channel.confine(file.absolute), shown);
  const stats = await orNotFound(channel.stat(real), shown);
  const kind = kindOf(stats.mode);
  if (kind === 'directory') throw notAFile('a directory');
  if (kind !== 'file') throw notAFile('a special file');
  // Opened by its resolved name: a symlink swapped after the check cannot redirect the read.
  const handle = await channel.open(real);
  return { handle, size: stats.size };
}

/** SFTP's "no such file" as the API's 404 for `what`. */
function orNotFound<T>(work: Promise<T>, what: string): Promise<T> {
  return work.catch((error: unknown) => {
    throw (error as { code?: unknown } | null)?.code === SFTP_NO_SUCH_FILE ? notFound(what) : error;
  });
}

const notAFile = (what: string): AppError => new AppError(ErrorCode.UNPROCESSABLE, `The path names ${what}, not a file.`);

/** Byte ranges of an open file: positioned reads, repeated until the range is filled or the file ends. */
export class SftpRangeReader implements RangeReader {
  /** Bytes the server sent for this reader, for the schema's details. */
  bytesRead = 0;

  constructor(
    private readonly channel: SftpChannel,
    private readonly handle: Buffer,
    readonly size: number,
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    const wanted = Math.max(0, Math.min(length, this.size - offset));
    const buffer = Buffer.alloc(wanted);
    let filled = 0;
    while (filled < wanted) {
      const count = await this.channel.read(this.handle, buffer, filled, wanted - filled, offset + filled);
      if (count === 0) break; // the file shrank since it was opened
      filled += count;
    }
    this.bytesRead += filled;
    return filled === wanted ? buffer : buffer.subarray(0, filled);
  }
}
