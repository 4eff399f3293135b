import type { TestErrorCode } from '../connector';
import type { ColumnInfo, QueryResult, RowSet, TablePage } from '../introspection/types';

/**
 * Messages between the service and its SQLite worker process (sqlite.worker.ts), one request
 * at a time. Types only: the worker must never be imported into the service itself.
 */
export type WorkerRequest =
  | { op: 'open'; file: string }
  | { op: 'tables'; search?: string; offset: number; limit: number }
  | { op: 'columns'; table: string }
  | { op: 'preview'; table: string; limit: number }
  | { op: 'query'; sql: string; limit: number }
  | { op: 'memory' };

/** What each request answers when it succeeds. */
export interface WorkerAnswers {
  open: null;
  tables: TablePage;
  columns: ColumnInfo[];
  preview: RowSet;
  query: QueryResult;
  memory: WorkerMemory;
}

/** The worker's own memory, for tests and diagnostics (bytes). */
export interface WorkerMemory {
  rss: number;
  maxRss: number;
}

/**
 * Why a request failed, decided where the SQLite error is seen:
 * - open: the file could not be opened or is not a database (`code` is the test error code);
 * - notFound: the table is not in sqlite_schema;
 * - readOnly: the statement would write (or SQLite refused a write);
 * - multiple: more than one statement;
 * - failed: SQLite rejected the statement (its message).
 */
export interface WorkerFailure {
  kind: 'open' | 'notFound' | 'readOnly' | 'multiple' | 'failed';
  message: string;
  code?: TestErrorCode;
}

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; failure: WorkerFailure };

export type WorkerMessage = WorkerRequest & { id: number };
