import type { TestError, TestErrorCode } from '../connector';
import { EgressError } from '../egress/egress-guard';
import { messageOf } from './test-run';

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY|GET)_|ERR_OSSL_)/;

/** Maps what sockets, DNS and TLS throw to the stable codes; `where` names the target. */
export function classifyNetworkError(error: unknown, where: string): TestError {
  if (error instanceof EgressError) {
    if (error.code === 'DNS_NOT_FOUND') return { code: 'DNS_NOT_FOUND', message: `The host of ${where} does not resolve.` };
    // Blocked reads like unreachable (DESIGN §3): same message, only the code tells.
    return { code: 'EGRESS_DENIED', message: `Could not reach ${where}.` };
  }
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  const by = (testCode: TestErrorCode, message: string): TestError => ({ code: testCode, message });
  if (name === 'AbortError' || name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'ABORT_ERR') {
    return by('TIMEOUT', `No answer from ${where} before the deadline.`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME')
    return by('DNS_NOT_FOUND', `The host of ${where} does not resolve.`);
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ECONNRESET' || code === 'EPIPE') {
    return by('CONNECTION_REFUSED', `Could not reach ${where}.`);
  }
  if (typeof code === 'string' && TLS_CODES.test(code)) return by('TLS_ERROR', `TLS with ${where} failed: ${messageOf(error)}`);
  return by('PROTOCOL_ERROR', messageOf(error));
}
