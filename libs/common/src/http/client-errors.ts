import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../errors/problem';
import { uuidv7 } from '../ids/uuid';
import { REQUEST_ID_HEADER } from './request-id';

const CLIENT_ERRORS: Record<string, [ErrorCode, string]> = {
  HPE_HEADER_OVERFLOW: [ErrorCode.HEADERS_TOO_LARGE, 'The request line and headers are too large (the query string counts too).'],
  ERR_HTTP_REQUEST_TIMEOUT: [ErrorCode.REQUEST_TIMEOUT, 'The request was not received in time.'],
};
const MALFORMED: [ErrorCode, string] = [ErrorCode.MALFORMED_REQUEST, 'The request is not well-formed HTTP.'];

/**
 * Fastify's `clientErrorHandler`: node's HTTP parser refused the request (headers too large,
 * broken framing, too slow) before any route, hook or filter could run. It is answered as a
 * problem like every other error. Only the parser's code is logged: the raw request it also
 * carries may hold an Authorization header.
 */
export function sendClientError(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  // A reset connection, or one node already closed: there is nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, detail] = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED;
  const requestId = uuidv7();
  const { body } = toProblem(new AppError(code, detail), requestId);
  this.log.info({ requestId, status: body.status, parserCode: error.code ?? null }, 'request refused by the HTTP parser');
  if (socket.writable) {
    const text = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status]}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
        `${REQUEST_ID_HEADER}: ${requestId}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy();
}
