import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@switchboard/common';
import passport from 'passport';
import { createApp } from '../../apps/api/src/app.factory';
import { type ApiContract, contractFor, DOCUMENT_PATH } from './api-contract';

export type Driver = 'sqlite' | 'postgres';
export const DRIVERS: Driver[] = ['sqlite', 'postgres'];

export const ADMIN_EMAIL = 'admin@switchboard.test';
export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface CallOptions {
  /** An access token or API key sent as `Authorization: Bearer`. */
  token?: string;
  /** An API key sent as `X-API-Key`. */
  apiKey?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A reply the API document does not describe, or a request it refuses that the service accepted. */
export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestApp {
  driver: Driver;
  app: NestFastifyApplication;
  config: AppConfig;
  baseUrl: string;
  /** Every JSON log line the service wrote. */
  logs: string[];
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<Reply<T>>;
  login(email?: string, password?: string): Promise<{ accessToken: string; refreshToken: string }>;
  /** Stops the app and deletes its data dir, unless `keepData` (e.g. to start another app on its SQLite file). */
  close(options?: { keepData?: boolean }): Promise<void>;
}

async function databaseFor(driver: Driver, dataDir: string): Promise<AppConfig['database']> {
  if (driver === 'sqlite') return { driver, path: path.join(dataDir, 'switchboard.sqlite') };
  const server = process.env.SWITCHBOARD_TEST_PG_URL;
  if (!server) throw new Error('SWITCHBOARD_TEST_PG_URL is not set: run the tests with `npm test`, which starts PostgreSQL');
  const { Client } = await import('pg');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: server });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { driver, url: url.toString() };
}

/**
 * The whole service on a real loopback port, on a fresh database of `driver`, or on an
 * existing one given as `overrides.database` (e.g. another app's `config.database`).
 */
export async function startTestApp(driver: Driver, overrides: Partial<AppConfig> = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-test-'));
  const config: AppConfig = {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    database: overrides.database ?? (await databaseFor(driver, dataDir)),
    encryptionKeys: `k1:${randomBytes(32).toString('base64')}`,
    jwtSecret: randomBytes(32).toString('hex'),
    admin: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    logLevel: 'info',
    sqliteRoot: path.join(dataDir, 'sqlite'),
    sample: false,
    egress: {},
    ...overrides,
  };
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  // Passport strategies are process-global: building an app registers its own over those of
  // any app already running here. A start that fails hands the running app its strategies back.
  const registry = passport as unknown as { _strategies: Record<string, unknown> };
  const strategies = { ...registry._strategies };
  const app = await createApp(config, { logDestination: destination }).catch((error: unknown) => {
    registry._strategies = strategies;
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  // Every reply a test receives is checked against the document this very service publishes.
  const contract: ApiContract = contractFor(await (await fetch(baseUrl + DOCUMENT_PATH)).text());

  const call = async <T>(method: string, url: string, options: CallOptions = {}): Promise<Reply<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.apiKey) headers['x-api-key'] = options.apiKey;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(baseUrl + url, { method, headers, body });
    const text = await response.text();
    const parsed = parseJson(text);
    const violations = contract.violations({
      method,
      url,
      requestBody: body === undefined ? undefined : parseJson(body),
      requestContentType: headers['content-type'],
      status: response.status,
      headers: response.headers,
      contentType: response.headers.get('content-type') ?? '',
      body: parsed,
      text,
    });
    if (violations.length)
      throw new ContractViolation(
        `${method} ${url}: the API document disagrees:\n  ${violations.join('\n  ')}\nreply: ${text.slice(0, 500)}`,
      );
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  };

  return {
    driver,
    app,
    config,
    baseUrl,
    logs,
    call,
    async login(email = ADMIN_EMAIL, password = ADMIN_PASSWORD) {
      const reply = await call('POST', '/api/v1/auth/login', { body: { email, password } });
      if (reply.status !== 200) throw new Error(`login as ${email} failed: ${reply.status} ${reply.text}`);
      return reply.body as { accessToken: string; refreshToken: string };
    },
    async close(options: { keepData?: boolean } = {}) {
      await app.close();
      if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The JSON value of `text`, or `text` itself when it is not JSON (or undefined when empty). */
function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Creates a user as the admin and signs them in. */
export async function createUser(t: TestApp, adminToken: string, name: string, options: { isAdmin?: boolean } = {}) {
  const email = `${name}@switchboard.test`;
  const password = `${name}-password-long-enough`;
  const reply = await t.call('POST', '/api/v1/users', { token: adminToken, body: { email, password, name, ...options } });
  if (reply.status !== 201) throw new Error(`creating ${email} failed: ${reply.status} ${reply.text}`);
  const tokens = await t.login(email, password);
  return { id: reply.body.id as string, email, password, token: tokens.accessToken, refreshToken: tokens.refreshToken };
}

/** Asserts the status and returns the body, with the reply in the message when it differs. */
export function expectOk(reply: Reply, status = 200): Record<string, any> {
  assert.equal(reply.status, status, `${reply.status} ${reply.text}`);
  return reply.body as Record<string, any>;
}

/** Asserts the RFC 9457 shape every error must have. */
export function expectProblem(reply: Reply, status: number, code: string): void {
  const problem = reply.body as Record<string, unknown>;
  const ok =
    reply.status === status &&
    (reply.headers.get('content-type') ?? '').startsWith('application/problem+json') &&
    problem?.code === code &&
    problem?.status === status &&
    typeof problem?.title === 'string' &&
    typeof problem?.detail === 'string' &&
    typeof problem?.type === 'string' &&
    problem?.requestId === reply.headers.get('x-request-id') &&
    !JSON.stringify(problem).includes('    at ');
  if (!ok) throw new Error(`expected problem ${status} ${code}, got ${reply.status} ${reply.headers.get('content-type')} ${reply.text}`);
}
