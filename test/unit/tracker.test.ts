/**
 * Tracker tables: successive snapshots through attribution and tracking, as the poller runs them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeEngine, type AttributionSettings } from '../../src/engine/attribute.js';
import { advanceTracker, initialTrackerState, type EngineEvent, type TrackerState } from '../../src/engine/tracker.js';
import type { ProcessSnapshot } from '../../src/engine/process-model.js';
import { child, containerd, dockerd, p, shim, snapshot } from './engine-helpers.js';

const DOCKER: AttributionSettings = { dockerdExpected: true, containerdAddress: null };

interface Step {
  snap: ProcessSnapshot;
  up: { dockerd: 0 | 1; containerd: 0 | 1 };
  restarts: { dockerd: number; containerd: number };
  events: string[];
}

function run(steps: Step[], settings = DOCKER): TrackerState {
  let state = initialTrackerState();
  steps.forEach((step, i) => {
    const view = attributeEngine(step.snap, settings, state.memory);
    const out = advanceTracker(state, view, (i + 1) * 1000);
    state = out.state;
    const where = `step ${i + 1}`;
    assert.deepEqual({ dockerd: view.dockerd ? 1 : 0, containerd: view.containerd ? 1 : 0 }, step.up, `${where}: up`);
    assert.deepEqual(
      { dockerd: state.singletons.dockerd.restarts, containerd: state.singletons.containerd.restarts },
      step.restarts,
      `${where}: restarts`,
    );
    assert.deepEqual(out.events.map(describe), step.events, `${where}: events`);
  });
  return state;
}

function describe(e: EngineEvent): string {
  switch (e.type) {
    case 'down':
      return `${e.component} down ${e.oldPid}`;
    case 'up':
      return `${e.component} up ${e.newPid}`;
    case 'restarted':
      return `${e.component} restarted ${e.oldPid}->${e.newPid}`;
    case 'mode':
      return `mode ${e.from}->${e.to}`;
    case 'hung':
      return `${e.component} hung`;
    case 'responsive':
      return `${e.component} responsive`;
  }
}

const D = dockerd(10);
const C = containerd(20, 10);

test('containerd killed, restarted by dockerd: down, then exactly one restart', () => {
  run([
    {
      snap: snapshot([D, C], 10),
      up: { dockerd: 1, containerd: 1 },
      restarts: { dockerd: 0, containerd: 0 },
      events: ['dockerd up 10', 'containerd up 20'],
    },
    { snap: snapshot([D, C], 10), up: { dockerd: 1, containerd: 1 }, restarts: { dockerd: 0, containerd: 0 }, events: [] },
    { snap: snapshot([D], 10), up: { dockerd: 1, containerd: 0 }, restarts: { dockerd: 0, containerd: 0 }, events: ['containerd down 20'] },
    { snap: snapshot([D], 10), up: { dockerd: 1, containerd: 0 }, restarts: { dockerd: 0, containerd: 0 }, events: [] },
    {
      snap: snapshot([D, containerd(30, 10)], 10),
      up: { dockerd: 1, containerd: 1 },
      restarts: { dockerd: 0, containerd: 1 },
      events: ['containerd restarted 20->30'],
    },
    { snap: snapshot([D, containerd(30, 10)], 10), up: { dockerd: 1, containerd: 1 }, restarts: { dockerd: 0, containerd: 1 }, events: [] },
  ]);
});

test('a restart between two polls (no gap seen) counts once', () => {
  run([
    {
      snap: snapshot([D, C], 10),
      up: { dockerd: 1, containerd: 1 },
      restarts: { dockerd: 0, containerd: 0 },
      events: ['dockerd up 10', 'containerd up 20'],
    },
    {
      snap: snapshot([D, containerd(31, 10)], 10),
      up: { dockerd: 1, containerd: 1 },
      restarts: { dockerd: 0, containerd: 1 },
      events: ['containerd restarted 20->31'],
    },
  ]);
});

test('pid reuse with a new start time is a restart; the same pid and start time is not', () => {
  const reused = containerd(20, 10, { startTicks: 99_999, startTimeSeconds: 2_000_000 });
  run([
    {
      snap: snapshot([D, C], 10),
      up: { dockerd: 1, containerd: 1 },
      restarts: { dockerd: 0, containerd: 0 },
      events: ['dockerd up 10', 'containerd up 20'],
    },
    {
      snap: snapshot([D, reused], 10),
      up: { dockerd: 1, containerd: 1 },
      restarts: { dockerd: 0, containerd: 1 },
      events: ['containerd restarted 20->20'],
    },
    { snap: snapshot([D, reused], 10), up: { dockerd: 1, containerd: 1 }, restarts: { dockerd: 0, containerd: 1 }, events: [] },
  ]);
});

test('down then back with the same identity (a read that failed once) is up, not a restart', () => {
  run([
    {
      snap: snapshot([D, C], 10),
      up: { dockerd: 1, containerd: 1 },
      restarts: { dockerd: 0, containerd: 0 },
      events: ['dockerd up 10', 'containerd up 20'],
    },
    { snap: snapshot([C], 10), up: { dockerd: 0, containerd: 1 }, restarts: { dockerd: 0, containerd: 0 }, events: ['dockerd down 10'] },
    { snap: snapshot([D, C], 10), up: { dockerd: 1, containerd: 1 }, restarts: { dockerd: 0, containerd: 0 }, events: ['dockerd up 10'] },
  ]);
});

test('dockerd killed (its containerd dies with it, as a zombie), then a new dockerd: one restart each', () => {
  const zombieD = dockerd(10, { state: 'Z', argv: [], exe: null });
  const zombieC = containerd(20, 1, { state: 'Z', argv: [], exe: null, containerdAddress: null });
  const D2 = dockerd(40);
  const C2 = containerd(41, 40);
  const final = run([
    {
      snap: snapshot([D, C, shim(50, 'a')], 10),
      up: { dockerd: 1, containerd: 1 },
      restarts: { dockerd: 0, containerd: 0 },
      events: ['dockerd up 10', 'containerd up 20'],
    },
    {
      snap: snapshot([zombieD, zombieC, shim(50, 'a')], 10),
      up: { dockerd: 0, containerd: 0 },
      restarts: { dockerd: 0, containerd: 0 },
      events: ['dockerd down 10', 'containerd down 20'],
    },
    { snap: snapshot([shim(50, 'a')], 10), up: { dockerd: 0, containerd: 0 }, restarts: { dockerd: 0, containerd: 0 }, events: [] },
    {
      snap: snapshot([D2, C2, shim(50, 'a')], 40),
      up: { dockerd: 1, containerd: 1 },
      restarts: { dockerd: 1, containerd: 1 },
      events: ['dockerd restarted 10->40', 'containerd restarted 20->41'],
    },
  ]);
  assert.equal(final.memory.containerdMode, 'managed');
});

test('zombies of the engine are counted, and never as up', () => {
  const zombieC = containerd(20, 1, { state: 'Z', argv: [], exe: null, containerdAddress: null });
  let state = initialTrackerState();
  let view = attributeEngine(snapshot([D, C], 10), DOCKER, state.memory);
  state = advanceTracker(state, view, 1).state;
  view = attributeEngine(snapshot([D, zombieC], 10), DOCKER, state.memory);
  assert.equal(view.containerd, null);
  assert.equal(view.zombies.length, 1);
  // An unrelated zombie elsewhere on the host is not the engine's.
  view = attributeEngine(snapshot([D, p({ pid: 77, comm: 'containerd', state: 'Z' })], 10), DOCKER, state.memory);
  assert.equal(view.zombies.length, 0);
});

test('two engines on one host: the second containerd and its shims never change the watched numbers', () => {
  const other = '/run/k8s/containerd.sock';
  const otherContainerd = containerd(200, 1, { argv: ['containerd', '--address', other], containerdAddress: other });
  const base = [D, C, shim(50, 'a'), child(51, 50, 'docker-init'), child(12, 10, 'docker-proxy')];
  const second = [otherContainerd, shim(210, 'k1', other), shim(220, 'k2', other), child(221, 220, 'runc')];
  let state = initialTrackerState();
  const counts = (snap: ProcessSnapshot): Record<string, number> => {
    const view = attributeEngine(snap, DOCKER, state.memory);
    state = advanceTracker(state, view, 1).state;
    return Object.fromEntries(Object.entries(view.members).map(([k, v]) => [k, v.length]));
  };
  const alone = counts(snapshot(base, 10));
  const beside = counts(snapshot([...base, ...second], 10));
  assert.deepEqual(beside, alone);
  assert.deepEqual(alone, { dockerd: 1, containerd: 1, 'containerd-shim': 1, runc: 0, 'docker-proxy': 1, 'docker-init': 1 });
  // While the watched (managed) containerd is down, the other engine's containerd is not adopted.
  const down = attributeEngine(snapshot([D, shim(50, 'a'), ...second], 10), DOCKER, state.memory);
  assert.equal(down.containerd, null);
  assert.equal(down.members['containerd-shim'].length, 1);
  // Watching the other engine by its socket (a kubelet's containerd, no dockerd) sees only it.
  const k8s = attributeEngine(
    snapshot([...base, ...second], null),
    { dockerdExpected: false, containerdAddress: other },
    initialTrackerState().memory,
  );
  assert.equal(k8s.containerd?.pid, 200);
  assert.equal(k8s.containerdMode, 'system');
  assert.equal(k8s.members['containerd-shim'].length, 2);
  assert.equal(k8s.members.runc.length, 1);
  assert.equal(k8s.dockerd, null);
});

test('two dockerds: the pidfile picks one; without a pidfile neither is guessed', () => {
  const D2 = dockerd(300, { argv: ['dockerd', '--exec-root', '/other'] });
  const picked = attributeEngine(snapshot([D, D2, C], 300), DOCKER, initialTrackerState().memory);
  assert.equal(picked.dockerd?.pid, 300);
  const stale = attributeEngine(snapshot([D, C], 999), DOCKER, initialTrackerState().memory);
  assert.equal(stale.dockerd, null, 'a stale pidfile means dockerd is down, not "some other dockerd"');
  const none = attributeEngine(snapshot([D, D2], null), DOCKER, initialTrackerState().memory);
  assert.equal(none.dockerd, null);
  assert.equal(none.notes.length, 1);
  const only = attributeEngine(snapshot([D, C], null), DOCKER, initialTrackerState().memory);
  assert.equal(only.dockerd?.pid, 10);
});

test('fork-before-exec copies are not second daemons; proxies and inits follow their parents', () => {
  const forkCopy = containerd(21, 20);
  const dockerdCopy = dockerd(11, { ppid: 10 });
  const strayInit = child(90, 1, 'docker-init'); // not under a watched shim
  const view = attributeEngine(
    snapshot([D, C, forkCopy, dockerdCopy, shim(50, 'a'), child(51, 50, 'docker-init'), child(52, 50, 'runc'), strayInit], 10),
    DOCKER,
    initialTrackerState().memory,
  );
  assert.equal(view.members.containerd.length, 1);
  assert.equal(view.members.dockerd.length, 1);
  assert.equal(view.members['docker-init'].length, 1);
  assert.equal(view.members.runc.length, 1);
});

test('CPU counters never go back when processes exit', () => {
  let state = initialTrackerState();
  const step = (procs: ReturnType<typeof p>[]): number => {
    const view = attributeEngine(snapshot(procs, 10), DOCKER, state.memory);
    state = advanceTracker(state, view, 1).state;
    let total = state.retiredCpuSeconds['containerd-shim'];
    for (const v of state.liveCpu.values()) if (v.component === 'containerd-shim') total += v.cpuSeconds;
    return total;
  };
  const a = step([D, C, shim(50, 'a', undefined, { cpuSeconds: 2 }), shim(60, 'b', undefined, { cpuSeconds: 3 })]);
  const b = step([D, C, shim(50, 'a', undefined, { cpuSeconds: 2.5 })]);
  const c = step([D, C]);
  assert.deepEqual([a, b, c], [5, 5.5, 5.5]);
});

test('hung: up but unanswered on two probe answers in a row, then answering again; no news keeps health', () => {
  let state = initialTrackerState();
  const view = attributeEngine(snapshot([D, C], 10), DOCKER, state.memory);
  let now = 2_000_000_000; // ms, well after the test processes started
  const step = (answering: Parameters<typeof advanceTracker>[3]): string[] => {
    now += 10_000; // past the grace of a daemon that just came up
    const out = advanceTracker(state, view, now, answering);
    state = out.state;
    return out.events.map(describe);
  };
  step({ containerd: true, dockerd: true });
  assert.equal(state.singletons.containerd.healthy, true);
  assert.deepEqual(step({ containerd: false }), []);
  assert.equal(state.singletons.containerd.healthy, false, 'unhealthy at the first unanswered probe');
  assert.equal(state.singletons.dockerd.healthy, true, 'no news for dockerd: unchanged');
  assert.deepEqual(step({}), [], 'no new answer is not a second failure');
  assert.deepEqual(step({ containerd: false }), ['containerd hung']);
  assert.deepEqual(step({ containerd: false }), [], 'hung is said once');
  assert.deepEqual(step({ containerd: true }), ['containerd responsive']);
  assert.equal(state.singletons.containerd.healthy, true);
  assert.equal(state.singletons.containerd.restarts, 0);
  // A component that is down is never healthy, whatever the socket says (another daemon may answer).
  const downView = attributeEngine(snapshot([D], 10), DOCKER, state.memory);
  state = advanceTracker(state, downView, now + 1, { containerd: true }).state;
  assert.equal(state.singletons.containerd.healthy, false);
});

test('a daemon that just came up is unhealthy while it does not answer, but not called hung', () => {
  let state = initialTrackerState();
  // containerd started at t=1 s (its start time, not when the exporter saw it, sets the grace).
  const view = attributeEngine(snapshot([D, containerd(20, 10, { startTimeSeconds: 1 })], 10), DOCKER, state.memory);
  const events: string[] = [];
  for (const t of [1000, 1500, 2000, 2500]) {
    const out = advanceTracker(state, view, t, { containerd: false });
    state = out.state;
    events.push(...out.events.map(describe));
  }
  assert.deepEqual(events, ['dockerd up 10', 'containerd up 20']);
  assert.equal(state.singletons.containerd.healthy, false);
  assert.equal(state.singletons.containerd.hung, false);
  const later = advanceTracker(state, view, 7000, { containerd: false });
  const later2 = advanceTracker(later.state, view, 7500, { containerd: false });
  assert.deepEqual(later2.events.map(describe), ['containerd hung']);
});
