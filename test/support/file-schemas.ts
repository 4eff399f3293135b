import assert from 'node:assert/strict';
import { AppError, ErrorCode } from '@switchboard/common';
import type { FileColumn, FileColumnType, FileSchema, RangeReader } from '@switchboard/connectors';
import { InferFileSchemaOptions, inferFileSchema } from '../../libs/connectors/src/files/infer-file-schema';
import { bufferReader, countingReader } from './large-files';

/** What the file-schema specs infer with and expect. */

/** Columns written `name:type`, `?` for nullable: `columns('id:integer note:string?')`. */
export function columns(spec: string): FileColumn[] {
  return spec
    .split(/\s+/)
    .filter(Boolean)
    .map((entry) => {
      const [name, type] = entry.split(':');
      return { name, type: type.replace('?', '') as FileColumnType, nullable: type.endsWith('?') };
    });
}

/** Infers the schema of in-memory content; also returns the bytes the reader served. */
export async function infer(
  path: string,
  content: Buffer | string | RangeReader,
  options?: InferFileSchemaOptions,
): Promise<FileSchema & { served: number }> {
  const source = typeof content === 'string' || Buffer.isBuffer(content) ? bufferReader(content) : content;
  const reader = countingReader(source);
  const schema = await inferFileSchema(path, reader, options);
  assert.equal(schema.details.bytesRead, reader.served, 'details.bytesRead must be what the reader served');
  return { ...schema, served: reader.served };
}

/** The 422 AppError inference fails with, its detail matching `detail`. */
export async function assertUnprocessable(path: string, content: Buffer | string | RangeReader, detail: RegExp): Promise<AppError> {
  try {
    await infer(path, content);
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, ErrorCode.UNPROCESSABLE);
    assert.equal(error.status, 422);
    assert.match(error.detail, detail);
    return error;
  }
  assert.fail(`expected ${path} to be refused with 422`);
}
