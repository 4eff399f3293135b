/**
 * Error answers of the test Databricks workspace, in the shape every Databricks REST API uses
 * (https://docs.databricks.com/api/workspace/errors): the HTTP status, and a body
 * `{error_code, message, details?}` whose codes are those the Databricks SDKs map
 * (databricks-sdk-py errors/platform.py): 400 INVALID_PARAMETER_VALUE, 401 UNAUTHENTICATED,
 * 403 PERMISSION_DENIED, 404 NOT_FOUND / RESOURCE_DOES_NOT_EXIST, 429 REQUEST_LIMIT_EXCEEDED,
 * 503 TEMPORARILY_UNAVAILABLE.
 */
import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { sendJson } from '../json-server';

export function sendDatabricksError(
  response: http.ServerResponse,
  status: number,
  errorCode: string,
  message: string,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const details = [{ '@type': 'type.googleapis.com/google.rpc.RequestInfo', request_id: randomUUID(), serving_data: '' }];
  sendJson(response, status, { error_code: errorCode, message, details }, headers);
}

export function sendOk(response: http.ServerResponse, body: unknown): void {
  sendJson(response, 200, body);
}
