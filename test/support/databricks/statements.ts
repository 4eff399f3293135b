/**
 * The SQL warehouse side of the test Databricks workspace, from the SQL Warehouses API 2.0
 * (https://docs.databricks.com/api/workspace/warehouses/get) and the SQL Statement Execution API 2.0
 * (https://docs.databricks.com/api/workspace/statementexecution: executestatement, getstatement,
 * cancelexecution, and "The StatementResponse object"):
 *
 *   GET  /api/2.0/sql/warehouses/{id}              EndpointInfo with state RUNNING / STOPPED / STARTING / …
 *   POST /api/2.0/sql/statements                   statement, warehouse_id, catalog, schema, row_limit,
 *                                                  wait_timeout (0s or 5s–50s, default 10s),
 *                                                  on_wait_timeout (CONTINUE | CANCEL), disposition INLINE,
 *                                                  format JSON_ARRAY (the only format INLINE allows)
 *   GET  /api/2.0/sql/statements/{id}              status, and for SUCCEEDED the manifest and the first chunk
 *   POST /api/2.0/sql/statements/{id}/cancel       `{}`; the caller polls to see CANCELED
 *
 * A statement goes PENDING -> RUNNING -> SUCCEEDED or FAILED, one step each time a client looks at it
 * (`polls`), so tests see every state without sleeping; with wait_timeout > 0 the call waits as the
 * real one does and answers the finished statement. It stays PENDING while its warehouse is not
 * RUNNING (a STOPPED warehouse is set STARTING, as auto-resume does, and starts when a test says so),
 * and a slow statement stays RUNNING until its time is up or it is cancelled. Results are INLINE
 * JSON_ARRAY: every value a string or null, `row_limit` applied with `manifest.truncated`, and no
 * `data_array` when there are no rows (the API leaves empty fields out).
 */
import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { sleep } from '../servers';
import type { JsonRequest } from '../json-server';
import { sendDatabricksError, sendOk } from './errors';
import { runSelect, type StatementFailure, type StatementRows } from './sql';
import type { UnityCatalogState } from './unity-catalog';

export type WarehouseState = 'RUNNING' | 'STOPPED' | 'STARTING' | 'STOPPING' | 'DELETING' | 'DELETED';
export type StatementState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';

export interface Warehouse {
  id: string;
  name: string;
  state: WarehouseState;
}

/** A statement as a client submitted it. */
export interface SubmittedStatement {
  statementId: string;
  statement: string;
  warehouseId: string;
  catalog?: string;
  schema?: string;
  rowLimit?: number;
  waitTimeout: string;
  onWaitTimeout: string;
}

interface Statement {
  submitted: SubmittedStatement;
  outcome: StatementRows | StatementFailure;
  /** Looks taken while its warehouse ran; drives PENDING -> RUNNING -> done. */
  steps: number;
  /** Epoch ms until which the statement keeps RUNNING (0: not slow). */
  slowUntil: number;
  cancelRequested: boolean;
  finalState?: StatementState;
}

export interface WarehouseSideState {
  catalog: UnityCatalogState;
  warehouses: Map<string, Warehouse>;
  statements: Map<string, Statement>;
  /** How many looks a statement answers PENDING, then RUNNING, before it is done. */
  polls: { pending: number; running: number };
  /** Makes the next submitted statement slow for this many ms (Infinity: until cancelled). */
  nextSlowMs: number | undefined;
  submitted: SubmittedStatement[];
  cancelledIds: string[];
  stopped: boolean;
}

const WAIT_TIMEOUT = /^(\d+)s$/;
const isDone = (state: StatementState) => state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELED';

function observe(statement: Statement, side: WarehouseSideState): StatementState {
  if (statement.finalState) return statement.finalState;
  if (statement.cancelRequested) return (statement.finalState = 'CANCELED');
  if (side.warehouses.get(statement.submitted.warehouseId)?.state !== 'RUNNING') return 'PENDING';
  if (statement.steps < side.polls.pending) {
    statement.steps += 1;
    return 'PENDING';
  }
  if (Date.now() < statement.slowUntil) return 'RUNNING';
  if (statement.steps < side.polls.pending + side.polls.running) {
    statement.steps += 1;
    return 'RUNNING';
  }
  return (statement.finalState = 'errorCode' in statement.outcome ? 'FAILED' : 'SUCCEEDED');
}

/** The synchronous part of executeStatement: wait up to `seconds` for the statement to finish. */
async function waitFor(
  statement: Statement,
  seconds: number,
  side: WarehouseSideState,
  response: http.ServerResponse,
): Promise<StatementState> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const running = side.warehouses.get(statement.submitted.warehouseId)?.state === 'RUNNING';
    if (running && Date.now() >= statement.slowUntil) statement.steps = side.polls.pending + side.polls.running;
    const state = observe(statement, side);
    if (isDone(state) || Date.now() >= deadline || side.stopped || response.destroyed) return state;
    await sleep(Math.min(50, deadline - Date.now()));
  }
}

function statementBody(statement: Statement, state: StatementState) {
  const body: Record<string, unknown> = { statement_id: statement.submitted.statementId, status: { state } };
  const outcome = statement.outcome;
  if (state === 'FAILED' && 'errorCode' in outcome) {
    body.status = { state, error: { error_code: outcome.errorCode, message: outcome.message }, sql_state: outcome.sqlState };
  }
  if (state === 'SUCCEEDED' && !('errorCode' in outcome)) {
    const rowLimit = statement.submitted.rowLimit;
    const rows = rowLimit === undefined ? outcome.rows : outcome.rows.slice(0, rowLimit);
    body.manifest = {
      format: 'JSON_ARRAY',
      schema: {
        column_count: outcome.columns.length,
        columns: outcome.columns.map((column, position) => ({
          name: column.name,
          type_text: column.typeText.toUpperCase(),
          type_name: column.typeName,
          position,
        })),
      },
      total_chunk_count: rows.length ? 1 : 0,
      chunks: rows.length ? [{ chunk_index: 0, row_offset: 0, row_count: rows.length }] : undefined,
      total_row_count: rows.length,
      truncated: rows.length < outcome.rows.length,
    };
    body.result = { chunk_index: 0, row_offset: 0, row_count: rows.length, data_array: rows.length ? rows : undefined };
  }
  return body;
}

function parseBody(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The request's problem, in the words of an INVALID_PARAMETER_VALUE answer, or undefined. */
function invalidParameter(body: Record<string, unknown>): string | undefined {
  if (typeof body.statement !== 'string' || !body.statement.trim()) return 'Missing required field: statement';
  if (typeof body.warehouse_id !== 'string' || !body.warehouse_id) return 'Missing required field: warehouse_id';
  const wait = WAIT_TIMEOUT.exec(String(body.wait_timeout ?? '10s'));
  if (!wait || (Number(wait[1]) !== 0 && (Number(wait[1]) < 5 || Number(wait[1]) > 50))) {
    return `wait_timeout must be 0s or between 5s and 50s, got ${String(body.wait_timeout)}`;
  }
  if (!['CONTINUE', 'CANCEL'].includes(String(body.on_wait_timeout ?? 'CONTINUE'))) {
    return `Invalid on_wait_timeout: ${String(body.on_wait_timeout)}`;
  }
  if ((body.disposition ?? 'INLINE') !== 'INLINE') {
    return `Disposition ${String(body.disposition)} is not supported by the test workspace; use INLINE`;
  }
  if ((body.format ?? 'JSON_ARRAY') !== 'JSON_ARRAY') {
    return `INLINE disposition only supports JSON_ARRAY format, got ${String(body.format)}`;
  }
  if (body.row_limit !== undefined && !(Number.isInteger(body.row_limit) && (body.row_limit as number) >= 0)) {
    return `Invalid row_limit: ${String(body.row_limit)}`;
  }
  return undefined;
}

async function executeStatement(request: JsonRequest, response: http.ServerResponse, side: WarehouseSideState): Promise<void> {
  const body = parseBody(request.body);
  if (!body) return sendDatabricksError(response, 400, 'MALFORMED_REQUEST', 'Could not parse request body as JSON');
  const problem = invalidParameter(body);
  if (problem) return sendDatabricksError(response, 400, 'INVALID_PARAMETER_VALUE', problem);
  const warehouse = side.warehouses.get(body.warehouse_id as string);
  if (!warehouse) {
    return sendDatabricksError(response, 404, 'RESOURCE_DOES_NOT_EXIST', `Warehouse ${String(body.warehouse_id)} does not exist.`);
  }
  // Submitting to a stopped warehouse starts it (auto-resume); the statement waits, PENDING.
  if (warehouse.state === 'STOPPED') warehouse.state = 'STARTING';

  const submitted: SubmittedStatement = {
    statementId: randomUUID(),
    statement: body.statement as string,
    warehouseId: warehouse.id,
    catalog: typeof body.catalog === 'string' ? body.catalog : undefined,
    schema: typeof body.schema === 'string' ? body.schema : undefined,
    rowLimit: body.row_limit as number | undefined,
    waitTimeout: String(body.wait_timeout ?? '10s'),
    onWaitTimeout: String(body.on_wait_timeout ?? 'CONTINUE'),
  };
  side.submitted.push(submitted);
  const slowMs = side.nextSlowMs;
  side.nextSlowMs = undefined;
  const statement: Statement = {
    submitted,
    outcome: runSelect(submitted.statement, submitted, side.catalog),
    steps: 0,
    slowUntil: slowMs === undefined ? 0 : Date.now() + slowMs,
    cancelRequested: false,
  };
  side.statements.set(submitted.statementId, statement);

  const waitSeconds = Number(WAIT_TIMEOUT.exec(submitted.waitTimeout)![1]);
  let state = waitSeconds > 0 ? await waitFor(statement, waitSeconds, side, response) : observe(statement, side);
  if (!isDone(state) && waitSeconds > 0 && submitted.onWaitTimeout === 'CANCEL') {
    statement.cancelRequested = true;
    side.cancelledIds.push(submitted.statementId);
    state = observe(statement, side);
  }
  sendOk(response, statementBody(statement, state));
}

function warehouseInfo(warehouse: Warehouse, request: JsonRequest) {
  const hostname = request.headers.host?.replace(/:\d+$/, '') ?? '127.0.0.1';
  const path = `/sql/1.0/warehouses/${warehouse.id}`;
  return {
    id: warehouse.id,
    name: warehouse.name,
    state: warehouse.state,
    cluster_size: 'X-Small',
    min_num_clusters: 1,
    max_num_clusters: 1,
    num_clusters: warehouse.state === 'RUNNING' ? 1 : 0,
    num_active_sessions: 0,
    auto_stop_mins: 10,
    warehouse_type: 'PRO',
    enable_serverless_compute: true,
    odbc_params: { hostname, path, protocol: 'https', port: 443 },
    health: warehouse.state === 'RUNNING' ? { status: 'HEALTHY' } : undefined,
  };
}

/** Answers a warehouse or statement request; returns false when the path is not one of them. */
export function handleWarehouseSide(
  request: JsonRequest,
  response: http.ServerResponse,
  side: WarehouseSideState,
): boolean | Promise<void> {
  const warehouseId = /^\/api\/2\.0\/sql\/warehouses\/([^/]+)$/.exec(request.path)?.[1];
  if (warehouseId !== undefined && request.method === 'GET') {
    const warehouse = side.warehouses.get(decodeURIComponent(warehouseId));
    if (warehouse) sendOk(response, warehouseInfo(warehouse, request));
    else sendDatabricksError(response, 404, 'RESOURCE_DOES_NOT_EXIST', `Warehouse ${decodeURIComponent(warehouseId)} does not exist.`);
    return true;
  }
  if (request.path === '/api/2.0/sql/statements' && request.method === 'POST') return executeStatement(request, response, side);
  const [, statementId, cancel] = /^\/api\/2\.0\/sql\/statements\/([^/]+)(\/cancel)?$/.exec(request.path) ?? [];
  if (statementId === undefined || request.method !== (cancel ? 'POST' : 'GET')) return false;
  const statement = side.statements.get(decodeURIComponent(statementId));
  if (!statement) {
    sendDatabricksError(response, 404, 'NOT_FOUND', `The statement ${decodeURIComponent(statementId)} does not exist.`);
  } else if (cancel) {
    if (!statement.finalState && !statement.cancelRequested) {
      statement.cancelRequested = true;
      side.cancelledIds.push(statement.submitted.statementId);
    }
    sendOk(response, {});
  } else {
    sendOk(response, statementBody(statement, observe(statement, side)));
  }
  return true;
}
