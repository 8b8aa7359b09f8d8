/** Deep findings for a person (src/report/deep-findings.ts): ids shortened, one warning per problem, nothing when all is 0 or unknown. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EngineState } from '../../src/engine/engine-state.js';
import { deepFindings, deepWarnings } from '../../src/report/deep-findings.js';

const A = 'a1'.repeat(32);

function stateWith(deep: Record<string, unknown> | null, info: Record<string, unknown> | null = null): EngineState {
  return { probes: { deep, info } } as unknown as EngineState;
}

const zero = { running_without_task: 0, task_process_dead: 0, task_unknown_to_dockerd: 0, exit_without_die: 0 };
const none = { running_without_task: [], task_process_dead: [], task_unknown_to_dockerd: [], exit_without_die: [] };

test('a drifted container is named by its short id, and each problem is one warning', () => {
  const d = deepFindings(
    stateWith(
      {
        drift: { ...zero, exit_without_die: 1 },
        driftIds: { ...none, exit_without_die: [A] },
        leakedProxies: 2,
        pluginErrors: 1,
        containerEvents: null,
      },
      { goroutines: 120, eventListeners: 3 },
    ),
  );
  assert.deepEqual(d?.drift.exit_without_die, { count: 1, containers: [A.slice(0, 12)] });
  assert.equal(d?.dockerdGoroutines, 120);
  const w = deepWarnings(d);
  assert.equal(w.length, 3);
  assert.match(w[0] ?? '', new RegExp(`^1 container exited in containerd with no die from dockerd: ${A.slice(0, 12)}$`));
  assert.match(w[1] ?? '', /^2 leaked docker-proxy processes/);
  assert.match(w[2] ?? '', /^1 containerd plugin failed to load$/);
});

test('all 0 or unknown: no warning; not probed: no findings', () => {
  assert.deepEqual(
    deepWarnings(deepFindings(stateWith({ drift: zero, driftIds: none, leakedProxies: 0, pluginErrors: 0, containerEvents: null }))),
    [],
  );
  const unknown = { running_without_task: null, task_process_dead: null, task_unknown_to_dockerd: null, exit_without_die: null };
  assert.deepEqual(
    deepWarnings(deepFindings(stateWith({ drift: unknown, driftIds: none, leakedProxies: null, pluginErrors: null, containerEvents: null }))),
    [],
  );
  assert.equal(deepFindings(stateWith(null)), null);
});
