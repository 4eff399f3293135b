import type { ConnectionConfig, ConnectionSecrets, ConnectionType } from './connection-type';
import type { EgressGuard } from './egress/egress-guard';

/** Stable codes for why a test failed; clients switch on them. */
export const TEST_ERROR_CODES = [
  'DNS_NOT_FOUND',
  'CONNECTION_REFUSED',
  'TIMEOUT',
  'TLS_ERROR',
  'AUTH_FAILED',
  'HOST_KEY_MISMATCH',
  'NOT_FOUND',
  'PERMISSION_DENIED',
  'PROTOCOL_ERROR',
  'EGRESS_DENIED',
] as const;
export type TestErrorCode = (typeof TEST_ERROR_CODES)[number];

export const STAGE_NAMES = ['dns', 'tcp', 'tls', 'ssh', 'handshake', 'auth', 'query', 'command', 'http', 'path'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export interface TestError {
  code: TestErrorCode;
  /** Scrubbed: never a secret, a DSN with a password, or a stack. */
  message: string;
}

export interface TestStage {
  name: StageName;
  ok: boolean;
  latencyMs: number;
  error?: TestError;
}

export interface TestResult {
  success: boolean;
  message: string;
  driver: string;
  latencyMs: number;
  serverVersion?: string;
  stages: TestStage[];
  error?: TestError;
  /** Facts worth showing even on failure, e.g. the observed SSH host key fingerprint. */
  details?: Record<string, string | number | boolean>;
}

/** A connection as a connector sees it: validated config and decrypted secrets, nothing else. */
export interface ResolvedConnection {
  /** Identity for caching live clients; absent for drafts, which are never cached. */
  cacheKey?: string;
  type: ConnectionType;
  config: ConnectionConfig;
  secrets: ConnectionSecrets;
}

export interface ConnectorContext {
  /** Aborts when the operation's deadline passes; connectors pass it to every I/O call. */
  signal: AbortSignal;
  /** Milliseconds left before the deadline. */
  remainingMs(): number;
  egress: EgressGuard;
}

export interface TestEmailResult {
  accepted: string[];
  rejected: string[];
  messageId: string;
  /** The server's final reply, e.g. "250 2.0.0 Ok: queued". */
  response: string;
}

/** One strategy per type: pure I/O on a resolved connection, no HTTP or ORM. */
export interface Connector {
  readonly type: ConnectionType;
  test(connection: ResolvedConnection, context: ConnectorContext): Promise<TestResult>;
  /** SMTP only: send one message to `to`; failures throw a StageFailure-like coded error. */
  sendTestEmail?(connection: ResolvedConnection, context: ConnectorContext, to: string): Promise<TestEmailResult>;
}

/**
 * The connection cannot be tested as configured, whatever the target says (e.g. a SQLite
 * path outside the allowed root): the API answers 422 instead of a failed test result.
 */
export class ConnectionRejected extends Error {
  override name = 'ConnectionRejected';
}

/** Multi-provider token: every connector registers under it. */
export const CONNECTORS = Symbol('CONNECTORS');
