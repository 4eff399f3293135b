import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';

/** The repository (the tests run from .build/test/integration). */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'node_modules', '.bin');
const PROGRAM = path.join(ROOT, 'test', 'typed-client', 'client.mts');

const run = (command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) =>
  promisify(execFile)(command, args, { ...options, maxBuffer: 64 << 20 });

describe('typed client: generated from the document, strict, no casts, runs (sqlite)', () => {
  let t: TestApp;
  let dir: string;

  before(async () => {
    t = await startTestApp('sqlite');
    // Under the repository, so that the program finds openapi-fetch and @types/node in node_modules.
    dir = fs.mkdtempSync(path.join(ROOT, '.build', 'typed-client-'));
    const reply = await t.call('GET', '/docs/openapi.json');
    assert.equal(reply.status, 200);
    fs.writeFileSync(path.join(dir, 'openapi.json'), reply.text);
    fs.copyFileSync(PROGRAM, path.join(dir, 'client.mts'));
  });
  after(async () => {
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has no cast, non-null assertion or any in the program', () => {
    const code = fs
      .readFileSync(PROGRAM, 'utf8')
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('//'))
      .join('\n');
    // `x as T`, `<T>x` (not a type argument), `x!.y` / `x!)`, and any.
    const casts = /\bas\s+(?!const\b)\w|(?<![\w$])<\w+>\s*[\w(]|\w!\.|\w!\)|\bany\b/;
    assert.doesNotMatch(code, casts);
  });

  it('logs in, creates a postgres connection with inline secrets, lists, patches with If-Match and tests it', async () => {
    // --default-non-nullable=false: a request property with a default (enabled, timeoutMs) stays optional.
    await run(path.join(BIN, 'openapi-typescript'), ['openapi.json', '--default-non-nullable=false', '-o', 'openapi.d.ts'], { cwd: dir });
    const strict = ['--ignoreConfig', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
    await run(path.join(BIN, 'tsc'), [...strict, '--types', 'node', '--skipLibCheck', '--outDir', 'out', 'client.mts'], { cwd: dir }).catch(
      (error: { stdout: string }) => assert.fail(`the program does not compile:\n${error.stdout}`),
    );
    const target = new URL(process.env.SWITCHBOARD_TEST_PG_URL!);
    const env = {
      ...process.env,
      SWITCHBOARD_URL: t.baseUrl,
      SWITCHBOARD_EMAIL: ADMIN_EMAIL,
      SWITCHBOARD_PASSWORD: ADMIN_PASSWORD,
      PG_HOST: target.hostname,
      PG_PORT: target.port || '5432',
      PG_DATABASE: target.pathname.slice(1) || 'postgres',
      PG_USER: decodeURIComponent(target.username),
      PG_PASSWORD: decodeURIComponent(target.password),
    };
    const { stdout } = await run(process.execPath, [path.join('out', 'client.mjs')], { cwd: dir, env });
    assert.deepEqual(JSON.parse(stdout), { name: 'typed-client', listed: 1, description: 'Changed by a typed client', tested: true });
  });
});
