import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trendOf } from '../../bench/lib/soak';

// The soak's verdict beside the last-window rule (bench/README.md, "Soak"): pure arithmetic, checked by hand.
describe('bench soak trendOf', () => {
  it('says nothing moved for flat windows', () => {
    assert.deepEqual(trendOf(Array(30).fill(500)), { lastMinuteVsFirst: 0, slopePerMinute: 0 });
  });

  it('gives a steady decline as the last minute against the first and a slope in % of the mean per minute', () => {
    const rates = Array.from({ length: 30 }, (_, window) => 1000 - 10 * window); // 1000 ... 710, mean 855
    const { lastMinuteVsFirst, slopePerMinute } = trendOf(rates);
    // The bench's median is a rank (lib/stats.ts quantile): of six windows, the lower middle one.
    assert.ok(Math.abs(lastMinuteVsFirst - (730 / 970 - 1)) < 1e-9, String(lastMinuteVsFirst));
    assert.ok(Math.abs(slopePerMinute - (-10 * 6) / 855) < 1e-9, String(slopePerMinute));
  });

  it('compares half the windows each way when the soak is shorter than two minutes', () => {
    const { lastMinuteVsFirst } = trendOf([100, 100, 90, 90]);
    assert.ok(Math.abs(lastMinuteVsFirst - -0.1) < 1e-9);
  });

  it('does not let one dip in the middle move the minute comparison', () => {
    const rates = Array(30).fill(800);
    rates[14] = 300;
    assert.equal(trendOf(rates).lastMinuteVsFirst, 0);
  });
});
