import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FixedWindowLimiter } from './fixed-window-limiter';

describe('FixedWindowLimiter', () => {
  it('allows up to the limit per window, then says when to retry', () => {
    let now = 0;
    const limiter = new FixedWindowLimiter(2, 10_000, 100, () => now);
    assert.ok(limiter.hit('k').allowed);
    assert.ok(limiter.hit('k').allowed);
    const third = limiter.hit('k');
    assert.ok(!third.allowed);
    assert.equal(third.retryAfterSeconds, 10);
    assert.ok(limiter.hit('other').allowed);
    now = 10_000;
    assert.ok(limiter.hit('k').allowed);
  });

  it('takes a hit back within its window', () => {
    let now = 0;
    const limiter = new FixedWindowLimiter(1, 10_000, 100, () => now);
    assert.ok(limiter.hit('k').allowed);
    limiter.refund('k');
    assert.ok(limiter.hit('k').allowed);
    assert.deepEqual(limiter.hit('k'), { allowed: false, retryAfterSeconds: 10 });
    now = 10_000;
    limiter.refund('k'); // an expired window is left alone
    assert.ok(limiter.hit('k').allowed);
    assert.ok(!limiter.hit('k').allowed);
  });

  it('stays bounded under many distinct keys', () => {
    const limiter = new FixedWindowLimiter(1, 60_000, 10, () => 0);
    for (let i = 0; i < 1000; i++) limiter.hit(`k${i}`);
    assert.ok((limiter as unknown as { windows: Map<string, unknown> }).windows.size <= 10);
  });
});
