/**
 * The poller's clock, against a fake ProcessSource under mocked setTimeout and a fake monotonic clock
 * (virtual time: nothing here waits or measures real time). What this proves: polls come every
 * interval; a poll that overruns the interval is followed by a pause as long as itself (the cadence
 * staleness is judged by), a failed one is not; pollNow() polls at once when idle and exactly once more after a poll in flight; stop()
 * waits for the poll in flight and nothing polls after it; only the first poll waits for its probe round.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createLogger } from '../../src/log/logger.js';
import { createPoller, type PollerOptions } from '../../src/poller/poller.js';
import type { ProbeRunner } from '../../src/poller/probe-runner.js';
import type { ProbeReport } from '../../src/engine/probe-report.js';
import type { ProcessSnapshot } from '../../src/engine/process-model.js';
import type { ProcessSource } from '../../src/sources/process-source.js';
import { snapshot } from './engine-helpers.js';

const INTERVAL = 1000;

/** A source whose scans take `takesMs` of the fake clock, or wait for the test when `held`. */
function fakeSource(clock: { mono: number }) {
  const held: Array<() => void> = [];
  const source = {
    scans: 0,
    takesMs: 10,
    fails: false,
    hold: false,
    release() {
      const next = held.shift();
      assert.ok(next, 'no scan is held');
      next();
    },
    name: 'procfs' as const,
    scan(): Promise<ProcessSnapshot> {
      source.scans++;
      const finish = (): ProcessSnapshot => {
        clock.mono += source.takesMs;
        if (source.fails) throw new Error('scan failed');
        return snapshot([], null, 1_000_000);
      };
      if (!source.hold) return Promise.resolve().then(finish);
      return new Promise((resolve, reject) =>
        held.push(() => {
          try {
            resolve(finish());
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        }),
      );
    },
    close: () => Promise.resolve(),
  } satisfies ProcessSource & Record<string, unknown>;
  return source;
}

function setup(extra: Partial<PollerOptions> = {}) {
  const clock = { mono: 0 };
  const source = fakeSource(clock);
  const poller = createPoller({
    source,
    intervalMs: INTERVAL,
    settings: { dockerdExpected: true, containerdAddress: null },
    logger: createLogger('error', 'json', () => {}),
    monotonicMs: () => clock.mono,
    ...extra,
  });
  return { clock, source, poller };
}

/** Lets the poll's promise callbacks run (setImmediate is not mocked). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Moves mocked time forward and lets what it started run. */
async function advance(ms: number): Promise<void> {
  mock.timers.tick(ms);
  await settle();
}

describe('poller schedule', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('polls once at start and then every interval, counted from start to start', async () => {
    const { source, poller } = setup();
    poller.start();
    await settle();
    assert.equal(source.scans, 1);
    await advance(INTERVAL - source.takesMs - 1);
    assert.equal(source.scans, 1);
    await advance(1);
    assert.equal(source.scans, 2);
    await advance(INTERVAL);
    assert.equal(source.scans, 3);
    await poller.stop();
  });

  it('pauses as long as a poll that overran the interval took', async () => {
    const { source, poller } = setup();
    source.takesMs = 3 * INTERVAL;
    poller.start();
    await settle();
    await advance(3 * INTERVAL - 1);
    assert.equal(source.scans, 1, 'no poll before the pause is over');
    await advance(1);
    assert.equal(source.scans, 2);
    assert.equal(poller.status().cadenceMs, 6 * INTERVAL, 'successful polls now come twice their duration apart');
    await poller.stop();
  });

  it('does not pause after a failed poll, however long it took', async () => {
    const { source, poller } = setup();
    source.takesMs = 3 * INTERVAL;
    source.fails = true;
    poller.start();
    await settle();
    assert.equal(poller.status().pollErrors.procfs, 1);
    assert.equal(poller.status().cadenceMs, INTERVAL, 'a failed poll, however long, does not stretch the cadence');
    await advance(INTERVAL);
    assert.equal(source.scans, 2);
    await poller.stop();
  });

  it('polls at once on pollNow() when idle, and moves the next poll a full interval on', async () => {
    const { source, poller } = setup();
    poller.start();
    await settle();
    await advance(INTERVAL / 2);
    poller.pollNow();
    await settle();
    assert.equal(source.scans, 2);
    await advance(INTERVAL / 2);
    assert.equal(source.scans, 2, 'the old timer was cleared');
    await advance(INTERVAL / 2);
    assert.equal(source.scans, 3);
    await poller.stop();
  });

  it('polls exactly once more after a poll that was in flight on pollNow()', async () => {
    const { source, poller } = setup();
    source.hold = true;
    poller.start();
    await settle();
    poller.pollNow();
    poller.pollNow();
    await settle();
    assert.equal(source.scans, 1, 'never two polls at once');
    source.hold = false;
    source.release();
    await settle();
    await advance(0);
    assert.equal(source.scans, 2);
    await advance(INTERVAL - source.takesMs - 1);
    assert.equal(source.scans, 2, 'two pollNow() calls made one extra poll');
    await advance(1);
    assert.equal(source.scans, 3, 'and the interval goes on from it');
    await poller.stop();
  });

  it('stop() waits for the poll in flight, and nothing polls after it', async () => {
    const { source, poller } = setup();
    source.hold = true;
    poller.start();
    await settle();
    let stopped = false;
    const stopping = poller.stop().then(() => (stopped = true));
    await settle();
    assert.equal(stopped, false, 'the held scan is still going');
    source.release();
    await stopping;
    poller.pollNow();
    await advance(10 * INTERVAL);
    assert.equal(source.scans, 1);
  });

  it('waits for the probe round on the first poll only', async () => {
    const rounds: Array<() => void> = [];
    const probes: ProbeRunner = {
      tick: () => new Promise<void>((resolve) => rounds.push(resolve)),
      scanRequest: () => ({ sockets: [], pids: [] }),
      report: () => null as unknown as ProbeReport, // the view is empty: nothing reads the report's fields
      close: () => {},
    };
    const { poller } = setup({ probes });
    let firstDone = false;
    const first = poller.pollOnce().then(() => (firstDone = true));
    await settle();
    assert.equal(firstDone, false, 'the first poll waits for its round');
    rounds.shift()?.();
    await first;
    await poller.pollOnce(); // resolves although its round never finishes
    assert.equal(rounds.length, 1, 'the second round was started and left running');
  });
});
