import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { AppError, conflict, ErrorCode, notFound } from '@switchboard/common';
import { invalidInput, targetFailed, targetTimeout } from '../introspection/errors';
import type { FileListing, FileObject, FilesRequest, IntrospectionContext, RangeReader } from '../introspection/types';
import { requestOptions, type S3Handle } from './s3-client';
import { classifyS3Error, s3CodeOf, statusOf } from './s3-errors';

/**
 * Files on S3. Request paths and prefixes are relative to config.prefix and simply appended to
 * it: S3 compares keys as plain strings, so no key can leave the prefix by itself. A `.` or
 * `..` path segment is refused all the same (422): some S3-compatible servers and proxies
 * normalise the request path, where `../` could climb out of the prefix or even the bucket.
 * A key with dots inside a segment (`a..b`, `.hidden`) is fine.
 */

/** S3's own limit on key length. */
const MAX_KEY_LENGTH = 1_024;
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;

export function checkS3Path(value: string, field: 'prefix' | 'path'): void {
  if (value.includes('\0')) throw invalidInput(field, 'must not contain NUL characters');
  if (value.length > MAX_KEY_LENGTH) throw invalidInput(field, `must be at most ${MAX_KEY_LENGTH} characters`);
  if (DOT_SEGMENT.test(value)) {
    throw new AppError(
      ErrorCode.UNPROCESSABLE,
      `The ${field} has a "." or ".." segment; those are refused because some S3 servers resolve them, which could leave the connection's prefix.`,
    );
  }
}

/** One page of ListObjectsV2; the cursor is S3's continuation token. */
export async function listS3Files(s3: S3Handle, context: IntrospectionContext, request: FilesRequest): Promise<FileListing> {
  checkS3Path(request.prefix, 'prefix');
  const { bucket, prefix: base } = s3.settings;
  const answer = await s3.client
    .send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: base + request.prefix || undefined,
        Delimiter: request.delimiter || undefined,
        ContinuationToken: request.cursor || undefined,
        MaxKeys: request.limit,
      }),
      requestOptions(context),
    )
    .catch((error: unknown) => {
      // A cursor that is not S3's own token (edited, or from another prefix) is the client's mistake, not the target's.
      if (request.cursor && s3CodeOf(error) === 'InvalidArgument') throw invalidInput('cursor', 'is not the nextCursor of a previous page');
      throw error;
    });
  // Every key starts with the base prefix. Keys ending in '/' are folder markers (what consoles
  // create for "New folder"), not files: file-schema refuses them, so they are not listed.
  const relative = (key: string): string => key.slice(base.length);
  const objects: FileObject[] = (answer.Contents ?? []).flatMap((object) =>
    object.Key && !object.Key.endsWith('/')
      ? [{ key: relative(object.Key), size: object.Size ?? 0, lastModified: object.LastModified?.toISOString() ?? null }]
      : [],
  );
  const commonPrefixes = (answer.CommonPrefixes ?? []).flatMap((common) => (common.Prefix ? [relative(common.Prefix)] : []));
  const nextCursor = answer.IsTruncated && answer.NextContinuationToken ? answer.NextContinuationToken : null;
  return { prefix: request.prefix, objects, commonPrefixes, nextCursor };
}

/** An object about to be read: its full key, size, and ETag (reads fail if it changes meanwhile). */
export interface S3Object {
  key: string;
  size: number;
  etag?: string;
}

const notAFile = (): AppError => new AppError(ErrorCode.UNPROCESSABLE, 'The path names a directory, not a file.');

/** HeadObject: 404 for a missing key, 422 for a "directory" (a key prefix with objects below it). */
export async function openS3Object(s3: S3Handle, context: IntrospectionContext, path: string): Promise<S3Object> {
  checkS3Path(path, 'path');
  if (path === '' || path.endsWith('/')) throw notAFile();
  const { bucket } = s3.settings;
  const key = s3.settings.prefix + path;
  try {
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), requestOptions(context));
    return { key, size: head.ContentLength ?? 0, etag: head.ETag };
  } catch (error) {
    // A HEAD answer has no body: a 404 does not say whether the key or the bucket is missing.
    if (statusOf(error) !== 404 || context.signal.aborted) throw error;
    const below = await s3.client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${key}/`, MaxKeys: 1 }),
      requestOptions(context),
    );
    if ((below.KeyCount ?? below.Contents?.length ?? 0) > 0) throw notAFile();
    throw notFound(`File "${path}"`);
  }
}

/** Byte ranges of one object through ranged GetObjects, pinned to the ETag HeadObject saw. */
export class S3RangeReader implements RangeReader {
  readonly size: number;
  /** Bytes taken from the server's answers, for the schema's details. */
  bytesRead = 0;

  constructor(
    private readonly s3: S3Handle,
    private readonly context: IntrospectionContext,
    private readonly object: S3Object,
  ) {
    this.size = object.size;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, offset + Math.max(0, length));
    if (end <= offset) return Buffer.alloc(0);
    const answer = await this.s3.client.send(
      new GetObjectCommand({
        Bucket: this.s3.settings.bucket,
        Key: this.object.key,
        Range: `bytes=${offset}-${end - 1}`,
        ...(this.object.etag ? { IfMatch: this.object.etag } : {}),
      }),
      requestOptions(this.context),
    );
    const body = answer.Body as (AsyncIterable<Uint8Array> & { destroy?(): void }) | undefined;
    if (!body) return Buffer.alloc(0);
    // A server that ignores Range sends the whole object from byte 0: usable only for a head.
    if (!answer.ContentRange && offset > 0) {
      body.destroy?.();
      throw targetFailed({ code: 'PROTOCOL_ERROR', message: `${this.s3.where} ignored the byte range of a read.` });
    }
    const bytes = await firstBytes(body, end - offset);
    this.bytesRead += bytes.length;
    return bytes;
  }
}

/**
 * At most `wanted` bytes of a body. A body that ends on time is read to its end, so its
 * kept-alive socket goes back to the pool; one that runs longer (a server that ignored the
 * Range) is cut there: leaving the loop destroys the stream and its socket.
 */
async function firstBytes(body: AsyncIterable<Uint8Array>, wanted: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const chunk of body) {
    const part = Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(chunk.byteLength, wanted - got));
    chunks.push(part);
    got += part.length;
    if (part.length < chunk.byteLength) break;
  }
  return Buffer.concat(chunks, got);
}

/** What an S3 call threw, as the AppError the API answers with; `path` is the file asked for, if any. */
export function s3Failure(
  error: unknown,
  s3: S3Handle | undefined,
  context: IntrospectionContext,
  scrub: (message: string) => string,
  path: string | undefined,
): AppError {
  if (error instanceof AppError) return error;
  const where = s3?.where ?? 'the S3 endpoint';
  const bucket = s3?.settings.bucket ?? '';
  if (context.signal.aborted) return targetTimeout(where);
  const code = s3CodeOf(error);
  const status = statusOf(error);
  if (code === 'NoSuchBucket') return notFound(`Bucket "${bucket}"`);
  if (path !== undefined && (code === 'NoSuchKey' || status === 404)) return notFound(`File "${path}"`);
  if (code === 'PreconditionFailed' || status === 412) return conflict('The file changed while it was read; try again.');
  const classified = classifyS3Error(error, where, bucket, context.signal, s3?.settings.region);
  if (classified.code === 'PERMISSION_DENIED') return new AppError(ErrorCode.FORBIDDEN, scrub(classified.message));
  if (classified.code === 'NOT_FOUND') return notFound(`Bucket "${bucket}"`);
  return targetFailed({ code: classified.code, message: scrub(classified.message) });
}
