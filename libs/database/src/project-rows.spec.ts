import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { updateIfVersion } from './optimistic-update';
import { ProjectRows } from './project-rows';

@Entity({ name: 'notes' })
class NoteEntity {
  @PrimaryColumn({ type: 'varchar' }) id: string;
  @Column({ name: 'project_id', type: 'varchar' }) projectId: string;
  @Column({ type: 'varchar' }) text: string;
  @Column({ type: 'integer', default: 1 }) version: number;
}

const note = (projectId: string, id: string, text = id): NoteEntity => Object.assign(new NoteEntity(), { id, projectId, text, version: 1 });

/** On a real SQLite database: whatever a caller passes, statements reach only the rows of the project named first. */
describe('ProjectRows: every statement names the project', () => {
  let dataSource: DataSource;
  let rows: ProjectRows<NoteEntity>;
  const texts = async (projectId: string) => (await rows.find(projectId, { order: { id: 'ASC' } })).map((row) => row.text);

  before(async () => {
    dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [NoteEntity], synchronize: true });
    await dataSource.initialize();
    rows = new ProjectRows(dataSource.getRepository(NoteEntity));
    for (const [projectId, id] of [
      ['a', 'a1'],
      ['a', 'a2'],
      ['b', 'b1'],
    ]) {
      await dataSource.getRepository(NoteEntity).insert(note(projectId, id));
    }
  });
  after(() => dataSource.destroy());

  it('reads only the project, even when a filter names another one', async () => {
    assert.deepEqual(await texts('a'), ['a1', 'a2']);
    assert.equal(await rows.findOne('a', { id: 'b1' }), null);
    // Types refuse `projectId` in a filter; a cast that sneaks one in is overridden.
    const sneaky = { id: 'b1', projectId: 'b' } as { id: string };
    assert.equal(await rows.findOne('a', sneaky), null);
    assert.equal(await rows.exists('a', sneaky), false);
    assert.deepEqual((await rows.findAndCount('b', {}))[1], 1);
    assert.throws(() => rows.find('a', { where: [{ id: 'a1' }, { id: 'b1' }] as never }), /one filter object/);
  });

  it('updates and deletes only the project, and inserts into it whatever the row says', async () => {
    assert.equal(await rows.update('a', { id: 'b1' }, { text: 'changed' }), 0);
    assert.equal(await rows.delete('a', { id: 'b1' }), 0);
    assert.deepEqual(await texts('b'), ['b1']);
    await rows.insert('b', note('a', 'b2'));
    assert.deepEqual(await texts('b'), ['b1', 'b2']);
    assert.equal(await rows.update('b', { id: 'b2' }, { text: 'b2!' }), 1);
    assert.deepEqual(await texts('b'), ['b1', 'b2!']);
  });

  it('starts every query builder with the project condition', async () => {
    const selected = await rows
      .select('a', 'n')
      .andWhere('n.id IN (:...ids)', { ids: ['a1', 'b1'] })
      .getMany();
    assert.deepEqual(
      selected.map((row) => row.id),
      ['a1'],
    );
    assert.equal((await rows.updating('a', { text: 'x' }).andWhere('id = :id', { id: 'b1' }).execute()).affected, 0);
    assert.equal((await rows.deleting('a').andWhere('id = :id', { id: 'b1' }).execute()).affected, 0);
    assert.equal((await rows.on(dataSource.manager).deleting('b').andWhere('id = :id', { id: 'b1' }).execute()).affected, 1);
    assert.deepEqual(await texts('a'), ['a1', 'a2']);
  });

  it('runs plain SQL with the project bound first, and refuses a statement that could reach other projects', async () => {
    const byId = rows.sql<{ text: string }>('n', (where) => `SELECT n.text FROM notes n ${where} AND n.id = ${rows.placeholder(2)}`);
    assert.match(byId.text, /^SELECT n\.text FROM notes n WHERE n\.project_id = \? AND n\.id = \?$/);
    assert.deepEqual(await byId.run('a', ['a1']), [{ text: 'a1' }]);
    assert.deepEqual(await byId.run('a', ['b1']), []);
    const deletion = rows.sql(null, (where) => `DELETE FROM notes ${where} AND id = ${rows.placeholder(2)}`);
    await deletion.run('a', ['b2'], dataSource.manager);
    assert.deepEqual(await texts('b'), ['b2!']);
    assert.throws(() => rows.placeholder(1), /Parameter 1 of a project statement is the project/);
    assert.throws(() => rows.sql('n', () => 'SELECT n.text FROM notes n'), /names the project once/);
    assert.throws(
      () => rows.sql('n', (where) => `SELECT n.text FROM notes n ${where} AND n.id = ? OR n.id = ?`),
      /joins its conditions with AND/,
    );
    assert.throws(
      () => rows.sql('n', (where) => `SELECT n.text FROM notes n JOIN notes m ON m.id = ? ${where}`),
      /binds the project first/,
    );
    rows.sql('n', (where) => `SELECT n.text FROM notes n ${where} AND (n.id = ? OR n.id = ?) ORDER BY n.id`);
  });

  it('inserts as plain SQL into the project named, whatever the row says', async () => {
    await rows.insertPrepared('b', note('a', 'b3'));
    await rows.on(dataSource.manager).insertPrepared('b', note('a', 'b4'));
    assert.deepEqual(await texts('b'), ['b2!', 'b3', 'b4']);
    assert.deepEqual(await texts('a'), ['a1', 'a2']);
  });

  it('compares and sets a version only in the project named', async () => {
    const refusals = { unique: () => new Error('unique') as never };
    assert.equal(await updateIfVersion(rows, { projectId: 'a', id: 'b3', version: 1 }, { text: 'stolen' }, refusals), false);
    assert.equal(await updateIfVersion(rows, { projectId: 'b', id: 'b3', version: 2 }, { text: 'stale' }, refusals), false);
    assert.equal(await updateIfVersion(rows, { projectId: 'b', id: 'b3', version: 1 }, { text: 'b3!' }, refusals), true);
    assert.deepEqual(
      (await rows.find('b', { order: { id: 'ASC' } })).map((row) => [row.text, row.version]),
      [
        ['b2!', 1],
        ['b3!', 2],
        ['b4', 1],
      ],
    );
  });
});
