/**
 * The figures the memory soak judges "flat" by: the windowed growth (median of the last tenth against
 * the first tenth), the least-squares trend, and the heap snapshot grouping that names what grew.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesByType, diffGroups, groupSnapshot } from '../../bench/heap-snapshot-diff.js';
import { median, slope, windowGrowth } from '../../bench/stats.js';

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
});

describe('heap snapshot grouping', () => {
  // The shape v8.writeHeapSnapshot writes, cut down to three fields per node.
  const snapshot = (nodes: number[]) => ({
    snapshot: { meta: { node_fields: ['type', 'name', 'self_size'], node_types: [['hidden', 'object', 'string', 'code']] } },
    nodes,
    strings: ['Poller', 'hello', '(code deopt data)', 'world'],
  });

  it('groups objects by constructor and strings by type alone', () => {
    const g = groupSnapshot(snapshot([1, 0, 40, 1, 0, 40, 2, 1, 24, 2, 3, 32, 3, 2, 100]));
    assert.deepEqual(g.get('object\u0000Poller'), { type: 'object', name: 'Poller', count: 2, bytes: 80 });
    assert.deepEqual(g.get('string\u0000'), { type: 'string', name: '', count: 2, bytes: 56 });
    assert.deepEqual(bytesByType(g), new Map([['object', 80], ['string', 56], ['code', 100]]));
  });

  it('diff lists the largest change first, groups that vanished included', () => {
    const before = groupSnapshot(snapshot([1, 0, 40, 3, 2, 100]));
    const after = groupSnapshot(snapshot([3, 2, 400]));
    const d = diffGroups(before, after);
    assert.equal(d[0]?.name, '(code deopt data)');
    assert.equal(d[0]!.bytes - d[0]!.bytesBefore, 300);
    assert.deepEqual(
      d.map((x) => [x.name, x.bytes - x.bytesBefore]),
      [['(code deopt data)', 300], ['Poller', -40]],
    );
  });

  it('a snapshot without the needed fields is a clear error', () => {
    assert.throws(
      () => groupSnapshot({ snapshot: { meta: { node_fields: ['type'], node_types: [['x']] } }, nodes: [], strings: [] }),
      /node_fields lacks type, name or self_size/,
    );
  });
});
