import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Column, type DataSource, Entity, PrimaryColumn } from 'typeorm';
import { type PostgresServer, startPostgres } from '../../../test/support/postgres';
import { TimestampColumn, UuidColumn } from './columns';
import { createDataSource } from './data-source-options';
import { rowHydrator } from './row-hydrator';

@Entity({ name: 'gadgets' })
class GadgetEntity {
  @PrimaryColumn({ type: 'varchar' }) id: string;
  @UuidColumn('owner_id', { nullable: true }) ownerId: string | null;
  @Column({ type: 'simple-json' }) settings: Record<string, unknown>;
  @Column({ type: 'simple-json', nullable: true }) extras: unknown[] | null;
  @Column({ type: 'boolean' }) enabled: boolean;
  @Column({ type: 'integer' }) version: number;
  @Column({ type: 'varchar', nullable: true }) note: string | null;
  // Not one of rowHydrator's own cases: read through the driver's prepareHydratedValue.
  @Column({ type: 'date', nullable: true }) due: string | null;
  @TimestampColumn('created_at') createdAt: Date;
  @TimestampColumn('deleted_at', { nullable: true }) deletedAt: Date | null;
}

const GADGETS: GadgetEntity[] = [
  Object.assign(new GadgetEntity(), {
    id: 'full',
    ownerId: '0193a5b2-0000-7000-8000-000000000001',
    settings: { host: 'db', port: 5432, nested: { list: [1, 'two', null] } },
    extras: ['a', { b: true }],
    enabled: true,
    version: 7,
    note: 'it’s “quoted”, emoji 🎉',
    due: '2026-12-06',
    createdAt: new Date('2026-12-06T17:42:45.123Z'),
    deletedAt: new Date('2026-12-07T00:00:00.000Z'),
  }),
  Object.assign(new GadgetEntity(), {
    id: 'empty',
    ownerId: null,
    settings: {},
    extras: null,
    enabled: false,
    version: 1,
    note: null,
    due: null,
    createdAt: new Date('1999-12-31T23:59:59.999Z'),
    deletedAt: null,
  }),
];

/** rowHydrator against TypeORM's own reading of the same rows, on both metadata databases. */
function hydratesAsTypeorm(name: string, open: () => Promise<DataSource>, close?: () => Promise<void>) {
  describe(`rowHydrator on ${name}`, () => {
    let dataSource: DataSource;
    before(async () => {
      dataSource = await open();
      await dataSource.getRepository(GadgetEntity).save(GADGETS.map((gadget) => ({ ...gadget })));
    });
    after(async () => {
      await dataSource?.destroy();
      await close?.();
    });

    it('gives the entities TypeORM gives, with each column converted the same way', async () => {
      const viaTypeorm = await dataSource.getRepository(GadgetEntity).find({ order: { id: 'ASC' } });
      const raw = (await dataSource.query('SELECT * FROM gadgets ORDER BY id')) as Record<string, unknown>[];
      const toGadget = rowHydrator<GadgetEntity>(dataSource, dataSource.getMetadata(GadgetEntity));
      const viaHydrator = raw.map(toGadget);
      assert.deepEqual(viaHydrator, viaTypeorm);
      for (const gadget of viaHydrator) {
        assert.ok(gadget instanceof GadgetEntity);
        assert.ok(gadget.createdAt instanceof Date);
        assert.equal(typeof gadget.enabled, 'boolean');
      }
      assert.equal(viaHydrator[1].createdAt.toISOString(), '2026-12-06T17:42:45.123Z');
      assert.equal(viaHydrator[0].deletedAt, null);
    });
  });
}

hydratesAsTypeorm('SQLite', () =>
  createDataSource({ type: 'better-sqlite3', database: ':memory:', entities: [GadgetEntity], synchronize: true }).initialize(),
);

let postgres: PostgresServer;
hydratesAsTypeorm(
  'PostgreSQL',
  async () => {
    postgres = await startPostgres();
    const url = await postgres.createDatabase('hydrator');
    return createDataSource({ type: 'postgres', url, entities: [GadgetEntity], synchronize: true }).initialize();
  },
  () => postgres?.stop(),
);
