/**
 * Writes a migration per driver from the difference between the entities and the schema the
 * existing migrations build. Usage: npm run migration:generate -- <Name>
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AUDIT_ENTITIES } from '@switchboard/audit';
import { AUTH_ENTITIES } from '@switchboard/auth';
import { CONNECTION_ENTITIES } from '@switchboard/connections';
import { CREDENTIAL_ENTITIES } from '@switchboard/credentials';
import { createDataSource, dataSourceOptions } from '@switchboard/database';
import { PROJECT_ENTITIES } from '@switchboard/projects';
import type { DataSource } from 'typeorm';
import { startPostgres } from '../test/support/postgres';

const ENTITIES = [...AUTH_ENTITIES, ...PROJECT_ENTITIES, ...AUDIT_ENTITIES, ...CREDENTIAL_ENTITIES, ...CONNECTION_ENTITIES];
// Run from the repository root: the sources are written, not the compiled copies.
const MIGRATIONS_DIR = path.join(process.cwd(), 'libs', 'database', 'src', 'migrations');

async function pendingSql(dataSource: DataSource): Promise<{ up: string[]; down: string[] }> {
  await dataSource.initialize();
  const sql = await dataSource.driver.createSchemaBuilder().log();
  await dataSource.destroy();
  return { up: sql.upQueries.map((query) => query.query), down: sql.downQueries.map((query) => query.query).reverse() };
}

/**
 * TypeORM's SQLite builder creates a table, then rebuilds it to add foreign keys. For tables
 * created in this same migration, keep only the final CREATE TABLE (and each index once).
 */
export function collapseSqliteRebuilds(sql: { up: string[]; down: string[] }): { up: string[]; down: string[] } {
  const created = new Map<string, number>();
  const indexes = new Set<string>();
  const up: string[] = [];
  let collapsed = false;
  for (const query of sql.up) {
    const temporary = /^(?:CREATE TABLE|INSERT INTO|ALTER TABLE) "temporary_([^"]+)"/.exec(query);
    if (temporary && created.has(temporary[1])) {
      collapsed = true;
      if (query.startsWith('CREATE TABLE'))
        up[created.get(temporary[1])!] = query.replace(`"temporary_${temporary[1]}"`, `"${temporary[1]}"`);
      continue;
    }
    const dropTable = /^DROP TABLE "([^"]+)"$/.exec(query);
    if (dropTable && created.has(dropTable[1])) continue;
    const dropIndex = /^DROP INDEX "([^"]+)"$/.exec(query);
    if (dropIndex && indexes.has(dropIndex[1])) continue;
    const createIndex = /^CREATE (?:UNIQUE )?INDEX "([^"]+)"/.exec(query);
    if (createIndex) {
      if (indexes.has(createIndex[1])) continue;
      indexes.add(createIndex[1]);
    }
    const createTable = /^CREATE TABLE "([^"]+)"/.exec(query);
    if (createTable) created.set(createTable[1], up.length);
    up.push(query);
  }
  const onlyCreates = up.every((query) => /^CREATE (TABLE|(UNIQUE )?INDEX) /.test(query));
  const down = collapsed && onlyCreates ? [...created.keys()].reverse().map((table) => `DROP TABLE "${table}"`) : sql.down;
  return { up, down };
}

function writeMigration(driver: 'sqlite' | 'postgres', name: string, timestamp: number, sql: { up: string[]; down: string[] }): void {
  const className = `${name}${timestamp}`;
  const lines = (queries: string[]) => queries.map((query) => `    await queryRunner.query(${JSON.stringify(query)});`).join('\n');
  const source = `import { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${lines(sql.up)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${lines(sql.down)}
  }
}
`;
  const dir = path.join(MIGRATIONS_DIR, driver);
  const file = `${timestamp}-${name}`;
  fs.writeFileSync(path.join(dir, `${file}.ts`), source);
  const index = path.join(dir, 'index.ts');
  const existing = fs.readFileSync(index, 'utf8');
  const listName = driver === 'sqlite' ? 'SQLITE_MIGRATIONS' : 'POSTGRES_MIGRATIONS';
  const imports = [...existing.matchAll(/^import .*$/gm)].map((match) => match[0]);
  const classes = (/=\s*\[([^\]]*)\]/.exec(existing)?.[1] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  imports.push(`import { ${className} } from './${file}';`);
  classes.push(className);
  fs.writeFileSync(
    index,
    `${imports.join('\n')}\n\n/** In order; each runs once, at start. */\n// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type\nexport const ${listName}: Function[] = [${classes.join(', ')}];\n`,
  );
  console.log(`wrote ${path.relative(process.cwd(), path.join(dir, file))}.ts (${sql.up.length} statements)`);
}

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) throw new Error('usage: npm run migration:generate -- <PascalCaseName>');
  const timestamp = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-migration-'));
  const sqlite = await pendingSql(createDataSource(dataSourceOptions({ driver: 'sqlite', path: path.join(tmp, 'm.sqlite') }, ENTITIES)));
  const postgres = await startPostgres();
  try {
    const pg = await pendingSql(
      createDataSource(dataSourceOptions({ driver: 'postgres', url: await postgres.createDatabase('migration') }, ENTITIES)),
    );
    if (!sqlite.up.length && !pg.up.length) return console.log('Entities and migrations agree; nothing to write.');
    if (sqlite.up.length) writeMigration('sqlite', name, timestamp, collapseSqliteRebuilds(sqlite));
    if (pg.up.length) writeMigration('postgres', name, timestamp, pg);
  } finally {
    await postgres.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
