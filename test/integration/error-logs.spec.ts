import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { DRIVERS, expectProblem, startTestApp, TestApp } from '../support/test-app';

const API = '/api/v1';

/**
 * A statement the metadata store refuses is a 500 whose log line says what failed (type,
 * message, SQLSTATE, statement, stack) and never carries the statement's parameters: a TypeORM
 * QueryFailedError holds them (password and API-key hashes, secret envelopes), and so do the
 * fields PostgreSQL adds (a check violation's `detail` is the whole failing row).
 */
for (const driver of DRIVERS) {
  describe(`error logs: a query's parameters never reach a log line (${driver})`, () => {
    let t: TestApp;
    let token: string;
    before(async () => {
      t = await startTestApp(driver);
      token = (await t.login()).accessToken;
    });
    after(() => t?.close());

    /** The store refuses every new user whose email has "canary" in it, as the store's own constraint would. */
    async function refuseCanaryUsers(): Promise<void> {
      const database = t.config.database;
      if (database.driver === 'sqlite') {
        const db = new Database(database.path);
        try {
          db.exec(
            "CREATE TRIGGER refuse_canary BEFORE INSERT ON users WHEN NEW.email LIKE '%canary%' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
          );
        } finally {
          db.close();
        }
        return;
      }
      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        await client.query("ALTER TABLE users ADD CONSTRAINT no_canary CHECK (email NOT LIKE '%canary%')");
      } finally {
        await client.end();
      }
    }

    it('a refused INSERT answers 500 and logs the failure without the email or the password hash', async () => {
      await refuseCanaryUsers();
      const email = `canary-${driver}-5f1c2a@switchboard.test`;
      const reply = await t.call('POST', `${API}/users`, {
        token,
        body: { email, password: 'canary-password-long-enough', name: 'Canary' },
      });
      expectProblem(reply, 500, 'INTERNAL_ERROR');

      const lines = t.logs.filter((line) => line.includes('"Unhandled error"'));
      assert.equal(lines.length, 1, t.logs.join('\n'));
      const err = JSON.parse(lines[0]).err;
      assert.equal(err.type, 'QueryFailedError');
      assert.match(err.query, /^INSERT INTO "users"/);
      assert.equal(err.code, driver === 'postgres' ? '23514' : 'SQLITE_CONSTRAINT_TRIGGER');
      assert.match(err.message, driver === 'postgres' ? /violates check constraint "no_canary"/ : /refused by the test/);
      assert.match(err.stack, /QueryFailedError/);
      assert.equal(err.parameters, undefined);
      assert.equal(err.driverError, undefined);
      const leaked = t.logs.filter((line) => line.includes(email) || line.includes('$argon2'));
      assert.deepEqual(leaked, [], 'a query parameter reached the logs');
    });

    it('an error whose message repeats a parameter is logged with the value cut out, however it is passed to the logger', async () => {
      const canary = `canary-parameter-${driver}-93d1`;
      const sql = driver === 'postgres' ? 'SELECT CAST($1 AS uuid)' : "SELECT json_extract(?, '$')";
      const failed = await t.app
        .get(DataSource)
        .query(sql, [canary])
        .then(
          () => assert.fail('the query should fail'),
          (error: unknown) => error as Error,
        );
      assert.equal(failed.constructor.name, 'QueryFailedError');
      if (driver === 'postgres') assert.ok(failed.message.includes(canary), 'PostgreSQL repeats the value in its message');
      const logger = new Logger('ErrorLogsSpec');
      const before = t.logs.length;
      logger.error({ err: failed }, 'as err');
      logger.warn({ nested: { failure: failed } }, 'nested');
      logger.error(failed);
      const lines = t.logs.slice(before);
      assert.equal(lines.length, 3, lines.join('\n'));
      assert.deepEqual(
        lines.filter((line) => line.includes(canary)),
        [],
        'the parameter reached the logs',
      );
      for (const line of lines) assert.match(line, /QueryFailedError/);
      if (driver === 'postgres')
        for (const line of lines) assert.match(line, /invalid input syntax for type uuid: \\"\[query parameter\]\\"/);
    });
  });
}
