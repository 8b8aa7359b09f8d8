/**
 * The probe runner's scheduling, with fake probes and a fake clock (no engine): the probes' own
 * logic is proved against real daemons in test/engine/probes-engine.test.ts. What this proves: a
 * probe never runs twice at once while the others go on; prepare() comes before due() in every
 * poll, with the clock's time; tick() settles when the probes it started do; every run is timed on
 * the monotonic clock and stamped with the wall clock; a failing probe logs once when it starts
 * failing and once when it recovers; a watch's outcome is kept once seen; close() reaches every daemon.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineView } from '../../src/engine/attribute.js';
import type { ProbeName, ProbeOutcome, ProbeReport } from '../../src/engine/probe-report.js';
import { createLogger } from '../../src/log/logger.js';
import { scheduleProbes, type ProbeClock } from '../../src/poller/probe-runner.js';
import type { DaemonProbes, Probe, ProbeSet, Watch } from '../../src/sources/probes/probe.js';

const VIEW = {} as EngineView; // the fake daemons never look at it; the runner only passes it on

interface FakeProbe extends Probe {
  runs: number;
  /** Ends the oldest run still going: with an Error to fail, without to succeed. */
  finish(err?: unknown): void;
}

function fakeProbe(name: ProbeName, due: () => boolean = () => true, onRun: () => void = () => {}): FakeProbe {
  const pending: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  return {
    name,
    deadlineMs: 1000,
    request: { grpc: '/fake' },
    runs: 0,
    due,
    run() {
      this.runs++;
      onRun();
      return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
    },
    finish(err?: unknown) {
      const run = pending.shift();
      assert.ok(run, `${name} has no run going`);
      if (err === undefined) run.resolve();
      else run.reject(err);
    },
  };
}

function fakeDaemon(probes: Probe[], watches: Watch[] = [], calls: string[] = []): DaemonProbes & { closed: boolean } {
  return {
    probes: probes.map((probe) => ({ ...probe, due: () => (calls.push(`due ${probe.name}`), probe.due()), run: () => probe.run() })),
    watches,
    closed: false,
    prepare(_view, nowMs) {
      calls.push(`prepare at ${nowMs}`);
    },
    close() {
      this.closed = true;
    },
  };
}

function fakeSet(daemons: DaemonProbes[]): ProbeSet {
  return { daemons, report: (outcomes) => ({ outcomes }) as unknown as ProbeReport };
}

function fakeClock(): ProbeClock & { wall: number; mono: number } {
  return {
    wall: 1_700_000_000_000,
    mono: 0,
    nowMs() {
      return this.wall;
    },
    monotonicMs() {
      return this.mono;
    },
  };
}

function capturedLog(): {
  logger: ReturnType<typeof createLogger>;
  lines: Array<{ level: string; msg: string; probe?: string; err?: string }>;
} {
  const lines: Array<{ level: string; msg: string; probe?: string; err?: string }> = [];
  return { logger: createLogger('info', 'json', (line) => lines.push(JSON.parse(line) as (typeof lines)[number])), lines };
}

/** Lets settled promises run their callbacks. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function outcome(runner: { report(): ProbeReport }, name: ProbeName): ProbeOutcome | undefined {
  return runner.report().outcomes.get(name);
}

describe('probe runner', () => {
  it('never starts a probe whose last run is still going, and still starts the others', async () => {
    const slow = fakeProbe('containerd_health');
    const quick = fakeProbe('dockerd_ping');
    const runner = scheduleProbes(fakeSet([fakeDaemon([slow]), fakeDaemon([quick])]), capturedLog().logger, fakeClock());
    void runner.tick(VIEW);
    quick.finish();
    await settle();
    void runner.tick(VIEW); // slow is still in its first run
    assert.equal(slow.runs, 1);
    assert.equal(quick.runs, 2);
    slow.finish();
    quick.finish();
    await settle();
    void runner.tick(VIEW);
    assert.equal(slow.runs, 2, 'a finished lane is free again');
    slow.finish();
    quick.finish();
  });

  it('runs only the probes that say they are due, asking after prepare() with the clock time', async () => {
    const calls: string[] = [];
    let dueNow = false;
    const sometimes = fakeProbe('dockerd_info', () => dueNow);
    const clock = fakeClock();
    const runner = scheduleProbes(fakeSet([fakeDaemon([sometimes], [], calls)]), capturedLog().logger, clock);
    await runner.tick(VIEW);
    assert.equal(sometimes.runs, 0);
    clock.wall += 5000;
    dueNow = true;
    const round = runner.tick(VIEW);
    sometimes.finish();
    await round;
    assert.equal(sometimes.runs, 1);
    assert.deepEqual(calls, [`prepare at ${clock.wall - 5000}`, 'due dockerd_info', `prepare at ${clock.wall}`, 'due dockerd_info']);
  });

  it('settles a round only when every probe it started has finished', async () => {
    const a = fakeProbe('containerd_tasks');
    const b = fakeProbe('dockerd_containers');
    const runner = scheduleProbes(fakeSet([fakeDaemon([a, b])]), capturedLog().logger, fakeClock());
    let settled = false;
    const round = runner.tick(VIEW).then(() => (settled = true));
    a.finish();
    await settle();
    assert.equal(settled, false, 'b is still running');
    b.finish(new Error('refused'));
    await round;
    assert.equal(settled, true, 'a failed probe ends its round too, it does not reject it');
  });

  it('times each run on the monotonic clock and stamps it with the wall clock', async () => {
    const clock = fakeClock();
    const probe = fakeProbe('dockerd_version');
    const runner = scheduleProbes(fakeSet([fakeDaemon([probe])]), capturedLog().logger, clock);
    const round = runner.tick(VIEW);
    clock.mono += 250;
    clock.wall += 999_000; // a wall-clock jump must not show in the duration
    probe.finish();
    await round;
    assert.deepEqual(outcome(runner, 'dockerd_version'), { success: true, durationSeconds: 0.25, error: null, atMs: clock.wall });
  });

  it('logs once when a probe starts failing and once when it recovers, and keeps the last error', async () => {
    const { logger, lines } = capturedLog();
    const probe = fakeProbe('containerd_health');
    const runner = scheduleProbes(fakeSet([fakeDaemon([probe])]), logger, fakeClock());
    const poll = async (err?: unknown): Promise<void> => {
      const round = runner.tick(VIEW);
      probe.finish(err);
      await round;
    };
    await poll(new Error('first'));
    await poll(new Error('second'));
    await poll('not an Error'); // a non-Error throw is still a failure with a message
    assert.equal(outcome(runner, 'containerd_health')?.error, 'not an Error');
    await poll();
    await poll();
    await poll(new Error('again'));
    const mine = lines.filter((l) => l.probe === 'containerd_health').map((l) => `${l.level} ${l.msg} ${l.err ?? ''}`.trim());
    assert.deepEqual(mine, ['warn probe failed first', 'info probe recovered', 'warn probe failed again']);
    assert.equal(outcome(runner, 'containerd_health')?.success, false);
  });

  it('keeps a watch outcome once it has one, and reports none before', () => {
    let current: ProbeOutcome | null = null;
    const watch: Watch = { name: 'containerd_events', request: { grpc: '/fake' }, outcome: () => current };
    const runner = scheduleProbes(fakeSet([fakeDaemon([], [watch])]), capturedLog().logger, fakeClock());
    assert.equal(outcome(runner, 'containerd_events'), undefined);
    current = { success: false, durationSeconds: 0, error: 'not subscribed', atMs: 1 };
    assert.equal(outcome(runner, 'containerd_events')?.error, 'not subscribed');
    current = null; // the client went away on close: the last word stays
    assert.equal(outcome(runner, 'containerd_events')?.error, 'not subscribed');
  });

  it('closes every daemon', () => {
    const daemons = [fakeDaemon([]), fakeDaemon([])];
    scheduleProbes(fakeSet(daemons), capturedLog().logger, fakeClock()).close();
    assert.deepEqual(
      daemons.map((d) => d.closed),
      [true, true],
    );
  });
});
