import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionCache } from './session-cache';

function opener(log: string[], name: string) {
  return async () => ({ client: name, close: async () => void log.push(`closed ${name}`) });
}

describe('SessionCache', () => {
  it('reuses a session per connection version and closes older versions', async () => {
    const log: string[] = [];
    const cache = new SessionCache(10, 60_000);
    let opened = 0;
    // Each session closes under its own number, so closing the wrong one shows in the log.
    const open = async () => {
      const id = ++opened;
      return { client: id, close: async () => void log.push(`closed ${id}`) };
    };
    assert.equal(await cache.use('c1', 1, open, async (client) => client), 1);
    assert.equal(await cache.use('c1', 1, open, async (client) => client), 1);
    assert.equal(await cache.use('c1', 2, open, async (client) => client), 2);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(log, ['closed 1'], 'version 1 was closed when version 2 opened');
    assert.equal(await cache.use('c1', 2, open, async (client) => client), 2, 'version 2 stays open and is reused');
    assert.equal(opened, 2);
    assert.equal(cache.size, 1);
    await cache.onApplicationShutdown();
    assert.deepEqual(log, ['closed 1', 'closed 2']);
    assert.equal(cache.size, 0);
  });

  it('evicts on update/delete, expires idle sessions, and stays bounded without closing one in use', async () => {
    const log: string[] = [];
    let now = 0;
    const cache = new SessionCache(2, 1_000, () => now);
    await cache.use('a', 1, opener(log, 'a'), async () => undefined);
    cache.evictConnection('a');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(log, ['closed a']);

    let release!: () => void;
    const busy = cache.use('b', 1, opener(log, 'b'), () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setImmediate(resolve));
    now = 10;
    await cache.use('c', 1, opener(log, 'c'), async () => undefined);
    now = 20;
    await cache.use('d', 1, opener(log, 'd'), async () => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(log.includes('closed c') && !log.includes('closed b'), log.join(','));
    release();
    await busy;
    now = 5_000;
    cache.sweep();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(cache.size, 0);
    assert.ok(log.includes('closed b') && log.includes('closed d'));
  });

  it('does not keep a session that failed to open', async () => {
    const cache = new SessionCache();
    await assert.rejects(
      cache.use(
        'x',
        1,
        async () => Promise.reject(new Error('no')),
        async () => undefined,
      ),
    );
    assert.equal(cache.size, 0);
    await cache.onApplicationShutdown();
  });
});
