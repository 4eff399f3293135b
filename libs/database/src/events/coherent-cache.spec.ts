import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoherentCache } from './coherent-cache';
import type { InstanceEvents } from './instance-events';

/** Only `live` matters to the cache. */
const eventsThatAre = (state: { live: boolean }) => state as unknown as InstanceEvents;

describe('CoherentCache', () => {
  it('serves a loaded value from memory until it is invalidated', async () => {
    const cache = new CoherentCache<string | null>(eventsThatAre({ live: true }), 10, 60_000);
    let loads = 0;
    const load = async () => `v${++loads}`;
    assert.equal(await cache.get('k', load), 'v1');
    assert.equal(await cache.get('k', load), 'v1');
    cache.invalidate((_, key) => key === 'k');
    assert.equal(await cache.get('k', load), 'v2');
  });

  it('does not keep values `keep` refuses (e.g. an unknown key must work as soon as it exists)', async () => {
    const cache = new CoherentCache<string | null>(eventsThatAre({ live: true }), 10, 60_000);
    let value: string | null = null;
    assert.equal(await cache.get('k', async () => value), null);
    value = 'created';
    assert.equal(await cache.get('k', async () => value), 'created');
  });

  it('does not keep a value loaded while a change was heard: it may predate the change', async () => {
    const cache = new CoherentCache<string | null>(eventsThatAre({ live: true }), 10, 60_000);
    let release!: () => void;
    const slow = cache.get('k', () => new Promise<string>((resolve) => (release = () => resolve('stale'))));
    cache.invalidate();
    release();
    assert.equal(await slow, 'stale');
    assert.equal(await cache.get('k', async () => 'fresh'), 'fresh');
  });

  it('serves nothing from memory while events may be missed', async () => {
    const state = { live: true };
    const cache = new CoherentCache<string | null>(eventsThatAre(state), 10, 60_000);
    await cache.get('k', async () => 'cached');
    state.live = false;
    assert.equal(await cache.get('k', async () => 'from the database'), 'from the database');
    state.live = true;
    assert.equal(await cache.get('k', async () => 'again'), 'cached');
  });
});
