import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { DRIVERS, startTestApp } from '../support/test-app';

for (const driver of DRIVERS) {
  describe(`migrations (${driver})`, () => {
    it('build exactly the schema the entities describe, and run once', async () => {
      const t = await startTestApp(driver);
      try {
        const dataSource = t.app.get(DataSource);
        assert.equal(dataSource.options.synchronize, false);
        const pending = await dataSource.driver.createSchemaBuilder().log();
        assert.deepEqual(
          pending.upQueries.map((query) => query.query),
          [],
          'entities and migrations disagree: run npm run migration:generate -- <Name>',
        );
        assert.equal(await dataSource.showMigrations(), false);
        const tables = await dataSource.query(
          driver === 'sqlite'
            ? "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            : "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
        );
        const names = tables.map((row: { name: string }) => row.name);
        for (const table of ['api_keys', 'memberships', 'migrations', 'projects', 'sessions', 'users'])
          assert.ok(names.includes(table), table);
      } finally {
        await t.close();
      }
    });
  });
}
