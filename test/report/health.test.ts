/** /healthz's engine part (src/report/health.ts) on states built by the real poller. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthComponents, healthProbes } from '../../src/report/health.js';
import { containerd, dockerd } from '../unit/engine-helpers.js';
import { HEALTHY, snap, stateAfter, UP } from './tree-fixtures.js';

test('before the first poll: each expected singleton is unknown, and no probe is listed', () => {
  assert.deepEqual(healthComponents(null, true), { dockerd: 'unknown', containerd: 'unknown' });
  assert.deepEqual(healthComponents(null, false), { containerd: 'unknown' }, 'no dockerd on a containerd-only node');
  assert.deepEqual(healthProbes(null), {});
});

test('a SIGSTOPped containerd: unresponsive, then hung; the probe shows its error', async () => {
  const down = { dockerd: true, containerd: false, tasks: null };
  const once = await stateAfter([snap(HEALTHY), snap(HEALTHY)], [UP, down]);
  assert.deepEqual(healthComponents(once, true), { dockerd: 'up', containerd: 'unresponsive' });
  const twice = await stateAfter([snap(HEALTHY), snap(HEALTHY), snap(HEALTHY)], [UP, down, down]);
  assert.deepEqual(healthComponents(twice, true), { dockerd: 'up', containerd: 'hung' });
  assert.deepEqual(healthProbes(twice), { dockerd_ping: 'ok', containerd_health: '4 DEADLINE_EXCEEDED: Deadline exceeded' });
});

test('a dockerd that never had a containerd: containerd is none (not expected), not down', async () => {
  const state = await stateAfter([snap([dockerd(10)])], [{ dockerd: true, containerd: null, tasks: null, published: [] }]);
  assert.equal(state.view.containerdMode, 'none');
  assert.deepEqual(healthComponents(state, true), { dockerd: 'up', containerd: 'none' });
  const killed = await stateAfter([snap([dockerd(10), containerd(20, 10)]), snap([dockerd(10)])], [UP, { ...UP, containerd: null }]);
  assert.deepEqual(healthComponents(killed, true), { dockerd: 'up', containerd: 'down' }, 'a managed containerd that died is down');
});
