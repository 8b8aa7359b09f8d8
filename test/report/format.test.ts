/** How the report writes ages, latencies and proxy addresses (src/report/format.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAge, formatLatency } from '../../src/report/format.js';

test('formatAge and formatLatency', () => {
  assert.deepEqual([0.44, 9.96, 42, 187, 7380, 363_600].map(formatAge), ['0.4s', '10s', '42s', '3m07s', '2h03m', '4d05h']);
  assert.deepEqual([0.00081, 0.012, 1.043].map(formatLatency), ['0.8ms', '12ms', '1.04s']);
});
