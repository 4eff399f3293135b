import { AppError, ErrorCode } from '@switchboard/common';

/**
 * Errors a client's file can cause: all 422, never a 500. Details name the path only,
 * never the file's contents (a parse error could echo a secret stored in the file).
 */
export const unprocessable = (detail: string): AppError => new AppError(ErrorCode.UNPROCESSABLE, detail);

export const unknownFormat = (path: string): AppError =>
  unprocessable(`Cannot tell the format of ${path}; supported: CSV, JSON lines, JSON arrays, Parquet.`);

export const emptyFile = (path: string): AppError => unprocessable(`${path} is empty; there is no schema to infer.`);

export const noRecords = (path: string): AppError => unprocessable(`${path} has no records; there is no schema to infer.`);

export const recordTooLarge = (path: string, limit: number): AppError =>
  unprocessable(`The first record of ${path} does not fit in its first ${limit} bytes; cannot infer its schema from the head.`);

export const invalidJson = (path: string, record: number): AppError =>
  unprocessable(`${path} is not valid JSON: record ${record} cannot be parsed.`);

export const invalidParquet = (path: string, why: string): AppError => unprocessable(`${path} is not a valid Parquet file: ${why}.`);
