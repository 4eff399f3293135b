import type { IncomingMessage } from 'node:http';
import { uuidv7 } from '../ids/uuid';

export const REQUEST_ID_HEADER = 'x-request-id';
const CLIENT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Reuses a caller's X-Request-Id when it is safe to echo and log, else mints one. */
export function generateRequestId(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && CLIENT_ID_PATTERN.test(incoming) ? incoming : uuidv7();
}
