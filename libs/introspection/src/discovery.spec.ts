import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, ErrorCode } from '@switchboard/common';
import { discoverCatalogs } from './discovery';

const SCHEMAS: Record<string, string[]> = { main: ['a', 'b', 'c'], hive: ['d', 'e'], lab: ['f'] };
const catalogs = Object.keys(SCHEMAS).map((name) => ({ name }));
const listSchemas = async (catalog: string) => SCHEMAS[catalog].map((name) => ({ name }));

describe('discoverCatalogs', () => {
  it('lists every catalog with its schemas when within the limits', async () => {
    assert.deepEqual(await discoverCatalogs(catalogs, undefined, listSchemas, { catalogs: 3, schemas: 6 }), {
      catalogs: [
        { name: 'main', schemas: ['a', 'b', 'c'] },
        { name: 'hive', schemas: ['d', 'e'] },
        { name: 'lab', schemas: ['f'] },
      ],
      truncated: false,
    });
  });

  it('cuts at the catalog limit and at the schema limit across catalogs, and says so', async () => {
    const fewerCatalogs = await discoverCatalogs(catalogs, undefined, listSchemas, { catalogs: 2, schemas: 100 });
    assert.deepEqual(
      fewerCatalogs.catalogs.map((catalog) => catalog.name),
      ['main', 'hive'],
    );
    assert.equal(fewerCatalogs.truncated, true);
    const fewerSchemas = await discoverCatalogs(catalogs, undefined, listSchemas, { catalogs: 10, schemas: 4 });
    assert.deepEqual(fewerSchemas, {
      catalogs: [
        { name: 'main', schemas: ['a', 'b', 'c'] },
        { name: 'hive', schemas: ['d'] },
        { name: 'lab', schemas: [] },
      ],
      truncated: true,
    });
  });

  it('lists only the catalog named, and 404s for one there is not', async () => {
    assert.deepEqual(await discoverCatalogs(catalogs, 'hive', listSchemas, { catalogs: 1, schemas: 10 }), {
      catalogs: [{ name: 'hive', schemas: ['d', 'e'] }],
      truncated: false,
    });
    await assert.rejects(
      discoverCatalogs(catalogs, 'nope', listSchemas, { catalogs: 1, schemas: 10 }),
      (error: unknown) => error instanceof AppError && error.code === 'NOT_FOUND',
    );
  });

  it('reports a catalog that refuses its listing (no grant, or gone meanwhile) and lists the others', async () => {
    const denied = new AppError(ErrorCode.TARGET_UNAVAILABLE, 'User does not have USE CATALOG on hive.', {
      extensions: { targetCode: 'PERMISSION_DENIED' },
    });
    const refusing = async (catalog: string) => {
      if (catalog === 'hive') throw denied;
      if (catalog === 'lab') throw new AppError(ErrorCode.NOT_FOUND, 'Catalog "lab" not found.');
      return listSchemas(catalog);
    };
    assert.deepEqual(await discoverCatalogs(catalogs, undefined, refusing, { catalogs: 3, schemas: 10 }), {
      catalogs: [
        { name: 'main', schemas: ['a', 'b', 'c'] },
        { name: 'hive', schemas: [], error: { code: 'PERMISSION_DENIED', message: 'User does not have USE CATALOG on hive.' } },
        { name: 'lab', schemas: [], error: { code: 'NOT_FOUND', message: 'Catalog "lab" not found.' } },
      ],
      truncated: false,
    });
    // The catalog asked for by name fails the call; so does anything else (unreachable, timeout).
    await assert.rejects(discoverCatalogs(catalogs, 'hive', refusing, { catalogs: 1, schemas: 10 }), (error) => error === denied);
    const down = new AppError(ErrorCode.TARGET_TIMEOUT, 'No answer.');
    await assert.rejects(
      discoverCatalogs(catalogs, undefined, async () => Promise.reject(down), { catalogs: 3, schemas: 10 }),
      (error) => error === down,
    );
  });
});
