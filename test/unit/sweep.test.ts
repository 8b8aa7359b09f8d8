/**
 * The sweep's scheduling and verdicts without an engine (the real engine's wedged container and hung
 * shim are in test/engine/wedge-engine.test.ts). The calls here are counting stand-ins: what is proved
 * is the bound (never more than four containers at once, never two calls at once for one container,
 * every call made once) and the rules that turn answers into the three lists.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sweepTargets, type SweepTarget } from '../../src/sources/probes/sweep-pool.js';
import { judgeSweep, SWEEP_CONCURRENCY } from '../../src/sources/probes/sweep.js';
import type { TaskInfo } from '../../src/engine/probe-report.js';

function tick(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

describe('sweepTargets', () => {
  it('keeps to the bound, one call at a time per container, each call once, for 0 to 50 containers', async () => {
    for (const [containers, callsEach, bound] of [
      [0, 2, 4],
      [1, 2, 4],
      [3, 2, 4],
      [50, 2, 4],
      [50, 3, 1],
      [7, 1, 10],
    ] as const) {
      let inFlight = 0;
      let most = 0;
      const perContainer = new Map<string, number>();
      const made: string[] = [];
      const targets: SweepTarget<string>[] = Array.from({ length: containers }, (_, i) => ({
        key: `c${i}`,
        calls: Array.from({ length: callsEach }, (_, j) => async () => {
          const key = `c${i}`;
          const mine = (perContainer.get(key) ?? 0) + 1;
          perContainer.set(key, mine);
          assert.equal(mine, 1, `two calls at once for ${key}`);
          inFlight++;
          most = Math.max(most, inFlight);
          // Uneven call times, so workers finish out of order.
          await tick((i * 7 + j * 3) % 5);
          inFlight--;
          perContainer.set(key, mine - 1);
          made.push(`${key}.${j}`);
          return `${key}.${j}`;
        }),
      }));
      const results = await sweepTargets(targets, bound);
      assert.ok(most <= Math.min(bound, Math.max(containers, 0)), `at most ${bound} at once, saw ${most}`);
      if (containers >= bound) assert.equal(most, bound, 'the workers are all used');
      assert.equal(made.length, containers * callsEach, 'every call made once');
      assert.equal(results.size, containers);
      for (const [key, found] of results)
        assert.deepEqual(
          found,
          Array.from({ length: callsEach }, (_, j) => `${key}.${j}`),
          'in order',
        );
    }
  });

  it('goes on when a call never settles within the test for one container only', async () => {
    let release: () => void = () => {};
    const hung = new Promise<string>((res) => (release = () => res('late')));
    const targets: SweepTarget<string>[] = [
      { key: 'wedged', calls: [() => hung] },
      ...Array.from({ length: 20 }, (_, i) => ({ key: `ok${i}`, calls: [() => Promise.resolve('ok')] })),
    ];
    const done = sweepTargets(targets, SWEEP_CONCURRENCY);
    const others = await Promise.race([done.then(() => 'ended'), tick(200).then(() => 'waiting')]);
    assert.equal(others, 'waiting', 'the sweep waits for the wedged call (its deadline ends it in the real client)');
    release();
    const results = await done;
    assert.equal(results.size, 21);
    assert.deepEqual(results.get('wedged'), ['late']);
  });
});

describe('judgeSweep', () => {
  const task = (status: string, pid = 100): TaskInfo => ({ id: 'x', pid, status });
  const ctx = { dockerdAnswering: true, containerdAnswering: true, childless: (t: TaskInfo) => t.pid === 666, atMs: 1 };

  it('names unresponsive containers, unresponsive and childless shims, sorted, each once', () => {
    const results = new Map([
      ['b', [{ call: 'inspect', answer: 'timeout' } as const, { call: 'task', shimPid: 1, answer: 'timeout' } as const]],
      ['a', [{ call: 'inspect', answer: 'timeout' } as const]],
      [
        'c',
        [{ call: 'inspect', answer: 'answered' } as const, { call: 'task', shimPid: 1, answer: 'answered', task: task('UNKNOWN') } as const],
      ],
      ['d', [{ call: 'task', shimPid: 1, answer: 'answered', task: task('RUNNING', 666) } as const]],
      ['e', [{ call: 'task', shimPid: 1, answer: 'answered', task: task('STOPPED', 666) } as const]],
      ['f', [{ call: 'inspect', answer: 'gone' } as const, { call: 'task', shimPid: 1, answer: 'gone' } as const]],
      ['g', [{ call: 'inspect', answer: 'failed' } as const, { call: 'task', shimPid: 1, answer: 'failed' } as const]],
      ['h', [{ call: 'task', shimPid: 1, answer: 'answered', task: task('RUNNING', 100) } as const]],
    ]);
    const f = judgeSweep(results, ctx);
    assert.deepEqual(f.unresponsiveContainers, ['a', 'b']);
    assert.deepEqual(f.unresponsiveShims, ['b', 'c']);
    assert.deepEqual(f.childlessShims, ['d'], 'only a RUNNING task whose process is gone');
    assert.equal(f.containers, 8);
  });

  it('withholds a list while the daemon behind it does not answer', () => {
    const results = new Map([
      ['a', [{ call: 'inspect', answer: 'timeout' } as const, { call: 'task', shimPid: 1, answer: 'timeout' } as const]],
    ]);
    for (const [dockerdAnswering, containerdAnswering] of [
      [false, true],
      [null, false],
      [true, null],
    ] as const) {
      const f = judgeSweep(results, { ...ctx, dockerdAnswering, containerdAnswering });
      assert.equal(f.unresponsiveContainers === null, dockerdAnswering !== true);
      assert.equal(f.unresponsiveShims === null, containerdAnswering !== true);
      assert.equal(f.childlessShims === null, containerdAnswering !== true);
    }
  });
});
