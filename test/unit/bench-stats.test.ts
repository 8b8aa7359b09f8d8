/**
 * The bench's statistics: the figures the memory soak judges "flat" by (the windowed growth, median
 * of the last tenth against the first tenth, and the least-squares trend) and the nearest-rank
 * percentiles every table shows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { median, percentile, slope, summarize, windowGrowth } from '../../bench/lib/stats.js';

describe('memory soak statistics', () => {
  it('median of odd, even and empty lists', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it('windowGrowth ignores a single outlier reading but sees a steady rise', () => {
    const flat = Array.from({ length: 100 }, (_, i) => (i === 99 ? 150 : 100));
    assert.equal(windowGrowth(flat), 0); // one spike at the end is noise, not growth
    const rising = Array.from({ length: 100 }, (_, i) => 100 + i / 10); // 100 → 109.9
    const g = windowGrowth(rising);
    assert.ok(g > 0.08 && g < 0.1, `growth ${g}`);
    assert.ok(Number.isNaN(windowGrowth([1, 2, 3, 4, 5])), 'too few readings for two windows of 3');
  });

  it('slope is the least-squares trend', () => {
    assert.equal(slope([0, 1, 2, 3], [1, 3, 5, 7]), 2);
    assert.equal(slope([0, 1, 2, 3], [5, 5, 5, 5]), 0);
    assert.ok(Number.isNaN(slope([1, 1], [2, 3])));
  });

  it('percentiles are nearest-rank: every one is a measured value', () => {
    const s = summarize([5, 1, 4, 2, 3, 10, 9, 8, 7, 6]);
    assert.deepEqual([s.n, s.median, s.p90, s.p99, s.min, s.max, s.mean], [10, 5, 9, 10, 1, 10, 5.5]);
    assert.equal(percentile([7], 99), 7);
    const empty = summarize([]);
    assert.ok(Number.isNaN(empty.median) && Number.isNaN(empty.mean) && empty.n === 0);
  });
});
