import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { LingeringSlots } from './lingering-slots';
import { MemoryRateLimits } from './memory-rate-limits';
import type { ReleaseSlot, Slots } from './rate-limits';

/** Shared slots that count what is asked of them (the database in production). */
function countingSlots(max: number): Slots & { acquired: number; released: number; leases: number[]; held(): number } {
  const inner = new MemoryRateLimits().slots('test', max);
  let held = 0;
  const counts = {
    acquired: 0,
    released: 0,
    leases: [] as number[],
    held: () => held,
    async acquire(key: string, leaseMs: number): Promise<ReleaseSlot | undefined> {
      const release = await inner.acquire(key, leaseMs);
      if (!release) return undefined;
      counts.acquired += 1;
      counts.leases.push(leaseMs);
      held += 1;
      return async () => {
        counts.released += 1;
        held -= 1;
        await release();
      };
    },
  };
  return counts;
}

const options = { lingerMs: 30, retryAfterMs: 60, reuseWindowMs: 1_000 };

describe('LingeringSlots', () => {
  it('reuses a slot given back for the next operation, without asking the shared slots again', async () => {
    const shared = countingSlots(4);
    const slots = new LingeringSlots(shared, options);
    for (let i = 0; i < 10; i++) {
      const release = await slots.acquire('project', 500);
      assert.ok(release);
      await release();
    }
    assert.equal(shared.acquired, 1);
    assert.deepEqual(shared.leases, [1_500], 'taken for the operation plus the reuse window');
    assert.equal(shared.held(), 1, 'still lingering');
    await sleep(60);
    assert.equal(shared.held(), 0, 'given back once it lingered lingerMs unused');
  });

  it('keeps the cap: lingering and running slots both count', async () => {
    const shared = countingSlots(2);
    const slots = new LingeringSlots(shared, options);
    const first = await slots.acquire('project', 500);
    const second = await slots.acquire('project', 500);
    assert.ok(first && second);
    const started = Date.now();
    assert.equal(await slots.acquire('project', 500), undefined);
    assert.ok(Date.now() - started >= 55, 'refused only after asking again past the linger');
    await first();
    assert.ok(await slots.acquire('project', 500), 'the lingering slot serves the next operation');
    assert.equal(shared.acquired, 2);
    assert.ok(await slots.acquire('other', 500), 'keys are counted apart');
  });

  it("waits out another instance's lingering slot instead of refusing", async () => {
    const shared = countingSlots(1);
    const instanceA = new LingeringSlots(shared, options);
    const instanceB = new LingeringSlots(shared, options);
    const release = await instanceA.acquire('project', 500);
    await release!();
    assert.equal(shared.held(), 1, "A's slot lingers");
    const taken = await instanceB.acquire('project', 500);
    assert.ok(taken, "B got the slot once A's linger ended");
    assert.equal(shared.released, 1);
  });

  it('does not reuse a slot whose lease would end before the new operation could', async () => {
    let now = 0;
    const shared = countingSlots(4);
    const slots = new LingeringSlots(shared, { ...options, lingerMs: 10_000 }, () => now);
    const release = await slots.acquire('project', 500);
    await release!();
    now = 1_200; // 300 ms of the 1,500 ms lease left, 500 needed
    const again = await slots.acquire('project', 500);
    assert.ok(again);
    assert.equal(shared.acquired, 2);
    await sleep(0);
    assert.equal(shared.released, 1, 'the old one was given back');
    await slots.releaseAll();
  });

  it('gives lingering slots back at shutdown, and a second release is a no-op', async () => {
    const shared = countingSlots(4);
    const slots = new LingeringSlots(shared, { ...options, lingerMs: 60_000 });
    const releases = await Promise.all([slots.acquire('a', 500), slots.acquire('a', 500), slots.acquire('b', 500)]);
    for (const release of releases) {
      await release!();
      await release!();
    }
    assert.equal(shared.held(), 3);
    const running = await slots.acquire('c', 500);
    await slots.releaseAll();
    assert.equal(shared.held(), 1, 'the running one stays taken');
    assert.equal(shared.released, 3);
    await running!();
    assert.equal(shared.held(), 0, 'given back at once after shutdown, not left to linger');
  });
});
