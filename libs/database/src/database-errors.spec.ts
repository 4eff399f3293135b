import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { AppError, ErrorCode } from '@switchboard/common';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { QueryFailedError } from 'typeorm';
import { isForeignKeyViolation, isStoreUnavailable, isUniqueViolation, storeUnavailableProblem } from './database-errors';

/** What `work` throws (it must throw). */
function thrownBy(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  assert.fail('expected an error');
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('isUniqueViolation and isForeignKeyViolation', () => {
  it("tell SQLite's constraint errors apart, raw or wrapped", () => {
    const db = new Database(':memory:');
    try {
      db.exec('PRAGMA foreign_keys = ON');
      db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent_id INTEGER REFERENCES parent (id))');
      db.exec('INSERT INTO parent VALUES (1)');
      const orphan = thrownBy(() => db.exec('INSERT INTO child VALUES (2)'));
      assert.equal(isForeignKeyViolation(orphan), true, String(orphan));
      assert.equal(isForeignKeyViolation(new QueryFailedError('INSERT', [], orphan as Error)), true);
      assert.equal(isUniqueViolation(orphan), false);
      const duplicate = thrownBy(() => db.exec('INSERT INTO parent VALUES (1)'));
      assert.equal(isUniqueViolation(duplicate), true);
      assert.equal(isForeignKeyViolation(duplicate), false);
    } finally {
      db.close();
    }
  });

  it("know PostgreSQL's SQLSTATEs (23503 foreign key, 23505 unique)", () => {
    const sqlState = (code: string) => new QueryFailedError('INSERT', [], Object.assign(new Error('violation'), { code }));
    assert.equal(isForeignKeyViolation(sqlState('23503')), true);
    assert.equal(isUniqueViolation(sqlState('23503')), false);
    assert.equal(isUniqueViolation(sqlState('23505')), true);
    assert.equal(isForeignKeyViolation(sqlState('23505')), false);
    assert.equal(isForeignKeyViolation(undefined), false);
  });
});

/** The drivers' own errors, as TypeORM hands them on (raw or wrapped in a QueryFailedError). */
describe('isStoreUnavailable', () => {
  it('is true for a PostgreSQL server that refuses the connection, raw or wrapped', async () => {
    const client = new Client({ host: '127.0.0.1', port: await closedPort(), user: 'x', password: 'y', database: 'z' });
    const refused = await client.connect().then(
      () => assert.fail('connected to a closed port'),
      (error: unknown) => error,
    );
    assert.equal(isStoreUnavailable(refused), true, String(refused));
    assert.equal(isStoreUnavailable(new QueryFailedError('SELECT 1', [], refused as Error)), true);
    assert.equal(isStoreUnavailable(new Error('wrapped', { cause: refused })), true);
  });

  it('is true for a SQLite file locked past the busy timeout, false for what SQLite answers about a statement', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-db-errors-'));
    const file = path.join(dir, 'store.sqlite');
    const holder = new Database(file);
    const other = new Database(file, { timeout: 0 });
    try {
      holder.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      holder.exec('BEGIN EXCLUSIVE');
      const busy = thrownBy(() => other.exec('INSERT INTO t VALUES (1)'));
      assert.match(String((busy as { code?: unknown }).code), /^SQLITE_BUSY/);
      assert.equal(isStoreUnavailable(busy), true);
      assert.equal(isStoreUnavailable(new QueryFailedError('INSERT', [], busy as Error)), true);
      holder.exec('COMMIT');

      other.exec('INSERT INTO t VALUES (1)');
      const duplicate = thrownBy(() => other.exec('INSERT INTO t VALUES (1)'));
      assert.equal(isUniqueViolation(duplicate), true);
      assert.equal(isStoreUnavailable(duplicate), false);
      assert.equal(isStoreUnavailable(thrownBy(() => other.exec('SELEKT 1'))), false);
    } finally {
      other.close();
      holder.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is false for errors that are not about reaching the store', () => {
    assert.equal(isStoreUnavailable(new Error('something else')), false);
    assert.equal(isStoreUnavailable(Object.assign(new Error('syntax'), { code: '42601' })), false);
    assert.equal(isStoreUnavailable(undefined), false);
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    assert.equal(isStoreUnavailable(loop), false);
  });

  it('the problem filter gets 503 SERVICE_UNAVAILABLE with Retry-After, and leaves AppErrors alone', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const problem = storeUnavailableProblem(refused);
    assert.ok(problem instanceof AppError);
    assert.equal(problem.code, ErrorCode.SERVICE_UNAVAILABLE);
    assert.equal(problem.status, 503);
    assert.match(problem.options.headers?.['Retry-After'] ?? '', /^[1-9]\d*$/);
    assert.ok(!problem.detail.includes('ECONNREFUSED'));
    assert.equal(storeUnavailableProblem(new AppError(ErrorCode.TARGET_UNAVAILABLE, 'target')), undefined);
    assert.equal(storeUnavailableProblem(new Error('bug')), undefined);
  });
});
