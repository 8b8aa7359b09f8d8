/** State drift between dockerd and containerd (src/engine/state-drift.ts), kind by kind. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advanceDrift, CONFIRM_MS, noDrift, type DriftInputs, type DriftMemory } from '../../src/engine/state-drift.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const T0 = 1_000_000;

function inputs(over: Partial<DriftInputs> = {}): DriftInputs {
  return {
    containers: [{ id: A, running: true }],
    tasks: [{ id: A, pid: 100, status: 'RUNNING' }],
    processAlive: () => true,
    exits: new Map(),
    lastDieMs: () => null,
    streamsUpSinceMs: T0 - 60_000,
    nowMs: T0,
    ...over,
  };
}

/** Runs the same inputs at T0 and at T0 + ms; returns the second result. */
function after(ms: number, over: Partial<DriftInputs>, memory: DriftMemory = noDrift) {
  const first = advanceDrift(memory, inputs(over));
  return { first, then: advanceDrift(first.memory, inputs({ ...over, nowMs: T0 + ms })) };
}

test('an engine in agreement has no drift of any kind', () => {
  const r = advanceDrift(noDrift, inputs());
  assert.deepEqual(r.counts, { running_without_task: 0, task_process_dead: 0, task_unknown_to_dockerd: 0, exit_without_die: 0 });
});

test('running without a task counts only once it has lasted CONFIRM_MS, and clears when it ends', () => {
  const over = { tasks: [] };
  const { first, then } = after(CONFIRM_MS, over);
  assert.equal(first.counts.running_without_task, 0, 'a moment of disagreement is a race');
  assert.equal(then.counts.running_without_task, 1);
  assert.deepEqual(then.ids.running_without_task, [A]);
  assert.equal(advanceDrift(then.memory, inputs({ nowMs: T0 + CONFIRM_MS + 1000 })).counts.running_without_task, 0);
  // A stopped task is no running task either.
  assert.equal(after(CONFIRM_MS, { tasks: [{ id: A, pid: 100, status: 'STOPPED' }] }).then.counts.running_without_task, 1);
  // A paused container keeps its task (dockerd calls it paused, not running).
  assert.equal(after(CONFIRM_MS, { containers: [{ id: A, running: false }], tasks: [] }).then.counts.running_without_task, 0);
});

test('a RUNNING task whose process is gone (or a zombie) counts as task_process_dead', () => {
  const { then } = after(CONFIRM_MS, { processAlive: (pid) => pid !== 100 });
  assert.equal(then.counts.task_process_dead, 1);
  assert.equal(then.counts.running_without_task, 0);
});

test('a running task dockerd does not list counts as task_unknown_to_dockerd', () => {
  const { then } = after(CONFIRM_MS, {
    tasks: [
      { id: A, pid: 100, status: 'RUNNING' },
      { id: B, pid: 101, status: 'RUNNING' },
    ],
  });
  assert.equal(then.counts.task_unknown_to_dockerd, 1);
  assert.deepEqual(then.ids.task_unknown_to_dockerd, [B]);
});

test('an exit with no die within CONFIRM_MS counts; a die afterwards clears it', () => {
  const exits = new Map([[A, T0]]);
  const early = advanceDrift(noDrift, inputs({ exits, nowMs: T0 + CONFIRM_MS - 1 }));
  assert.equal(early.counts.exit_without_die, 0, 'dockerd still has time to say die');
  const late = advanceDrift(early.memory, inputs({ exits, nowMs: T0 + CONFIRM_MS }));
  assert.equal(late.counts.exit_without_die, 1);
  const died = advanceDrift(late.memory, inputs({ exits, lastDieMs: () => T0 + CONFIRM_MS + 500, nowMs: T0 + CONFIRM_MS + 600 }));
  assert.equal(died.counts.exit_without_die, 0);
  // A die just before the exit's stamp (dockerd's clock read first) still matches.
  assert.equal(advanceDrift(noDrift, inputs({ exits, lastDieMs: () => T0 - 200, nowMs: T0 + CONFIRM_MS })).counts.exit_without_die, 0);
  // The die of an earlier run of the container does not answer this exit.
  assert.equal(advanceDrift(noDrift, inputs({ exits, lastDieMs: () => T0 - 60_000, nowMs: T0 + CONFIRM_MS })).counts.exit_without_die, 1);
});

test('exits from before both event streams were up cannot be judged; a stream down makes the kind unknown', () => {
  const exits = new Map([[A, T0]]);
  assert.equal(advanceDrift(noDrift, inputs({ exits, streamsUpSinceMs: T0 + 1, nowMs: T0 + CONFIRM_MS })).counts.exit_without_die, 0);
  assert.equal(advanceDrift(noDrift, inputs({ exits, streamsUpSinceMs: null, nowMs: T0 + CONFIRM_MS })).counts.exit_without_die, null);
});

test('unknown inputs make their kinds unknown (no sample), and what was seen is kept for when they return', () => {
  const seen = advanceDrift(noDrift, inputs({ tasks: [] }));
  const blind = advanceDrift(seen.memory, inputs({ containers: null, tasks: null, nowMs: T0 + 5000 }));
  assert.equal(blind.counts.running_without_task, null);
  assert.equal(blind.counts.task_process_dead, null);
  assert.equal(blind.counts.task_unknown_to_dockerd, null);
  const back = advanceDrift(blind.memory, inputs({ tasks: [], nowMs: T0 + CONFIRM_MS }));
  assert.equal(back.counts.running_without_task, 1, 'first seen at T0, still there at T0 + CONFIRM_MS');
});
