/**
 * The engine tree (src/report/engine-tree.ts), on literal process snapshots and literal probe answers,
 * fed through the real poller (attribution, tracker, chain checks) so that the states are the ones the
 * exporter really builds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEngineTree } from '../../src/report/engine-tree.js';
import { renderTreeJson, renderTreeText } from '../../src/cli/check-output.js';
import { child, containerd, dockerd, p, shim, SOCK } from '../unit/engine-helpers.js';
import { HEALTHY, ID_A, ID_B, NOW_MS, OPTS, proxy, snap, stateAfter, UP, type Answers } from './tree-fixtures.js';

test('healthy engine: OK, exit 0, the whole tree with pids, uptimes, probe latencies and short ids', async () => {
  const tree = buildEngineTree(await stateAfter([snap(HEALTHY)], [UP]), OPTS);
  assert.equal(tree.status, 'OK');
  assert.equal(tree.exitCode, 0);
  assert.deepEqual(tree.reasons, []);
  assert.equal(tree.summary, 'dockerd up, containerd up (managed), 2 shims, 1 docker-init, 1 docker-proxy');
  const d = tree.dockerd;
  assert.ok(d);
  assert.equal(d.state, 'up');
  assert.equal(d.pid, 10);
  assert.equal(d.uptimeSeconds, 190);
  assert.equal(d.restarts, 0);
  assert.equal(d.sinceMs, 1_000_010_000);
  assert.deepEqual(d.probe, { probe: 'dockerd_ping', success: true, latencySeconds: 0.0012, error: null, atMs: NOW_MS });
  assert.equal(d.version, '26.1.5');
  assert.deepEqual(
    d.proxies.map((x) => [x.state, x.pid, x.hostIp, x.hostPort, x.proto, x.target]),
    [['up', 12, '127.0.0.1', 18080, 'tcp', '10.213.0.3:80']],
  );
  const c = tree.containerd;
  assert.ok(c);
  assert.equal(c.state, 'up');
  assert.equal(c.mode, 'managed');
  assert.equal(c.pid, 20);
  assert.equal(c.address, SOCK);
  assert.equal(c.probe?.probe, 'containerd_health');
  assert.deepEqual(
    c.shims.map((s) => [s.pid, s.containerId, s.namespace, s.orphan, s.children.map((k) => `${k.component}:${k.pid}`)]),
    [
      [50, 'aaaaaaaaaaaa', 'moby', false, []],
      [70, 'bbbbbbbbbbbb', 'moby', false, ['docker-init:71']],
    ],
  );
  assert.deepEqual(tree.checks, { orphanShims: 0, stuckRunc: 0, missingProxies: 0, zombies: 0 });
});

test('shims are listed oldest first, by start time: pids wrap around on a busy host', async () => {
  // The shim started later got the lower pid (pid_max reached and wrapped).
  const procs = [
    dockerd(10),
    containerd(20, 10),
    shim(900, ID_A, undefined, { startTicks: 100 }),
    shim(60, ID_B, undefined, { startTicks: 5_000 }),
  ];
  const tree = buildEngineTree(await stateAfter([snap(procs)], [{ ...UP, published: [] }]), OPTS);
  assert.deepEqual(
    tree.containerd?.shims.map((s) => [s.pid, s.containerId]),
    [
      [900, 'aaaaaaaaaaaa'],
      [60, 'bbbbbbbbbbbb'],
    ],
  );
});

test('containerd SIGSTOPped: unresponsive after one unanswered probe, hung after two; CRITICAL, exit 2', async () => {
  const down: Answers = { dockerd: true, containerd: false, tasks: null };
  let tree = buildEngineTree(await stateAfter([snap(HEALTHY), snap(HEALTHY)], [UP, down]), OPTS);
  assert.equal(tree.containerd?.state, 'unresponsive');
  assert.equal(tree.status, 'CRITICAL');
  assert.equal(tree.exitCode, 2);
  assert.match(tree.reasons[0] ?? '', /^containerd unresponsive: pid 20 alive \(state S\) but containerd_health failed \(4 DEADLINE_EXCEEDED/);
  assert.equal(tree.checks?.orphanShims, null, 'Tasks/List failed: orphans unknown, not 0');

  tree = buildEngineTree(await stateAfter([snap(HEALTHY), snap(HEALTHY), snap(HEALTHY)], [UP, down, down]), OPTS);
  assert.equal(tree.containerd?.state, 'hung');
  assert.equal(tree.containerd?.unansweredPolls, 2);
  assert.equal(tree.dockerd?.state, 'up');
  assert.equal(tree.status, 'CRITICAL');
  assert.match(tree.summary, /^containerd hung: pid 20 alive .* unanswered on 2 polls/);
  assert.equal(tree.containerd?.shims.length, 2, 'the shims of a hung containerd are still shown');
});

test('dockerd down (pidfile names a dead pid): CRITICAL; its proxies and probe are gone', async () => {
  const tree = buildEngineTree(
    await stateAfter(
      [snap(HEALTHY), snap([shim(50, ID_A), shim(70, ID_B), child(71, 70, 'docker-init')])],
      [UP, { dockerd: false, containerd: false, tasks: null }],
    ),
    OPTS,
  );
  assert.equal(tree.dockerd?.state, 'down');
  assert.equal(tree.dockerd?.pid, null);
  assert.equal(tree.dockerd?.sinceMs, NOW_MS, 'down since it was last seen alive');
  assert.match(tree.dockerd?.detail ?? '', /^pid 10 last seen 0s ago$/);
  assert.deepEqual(tree.dockerd?.proxies, []);
  assert.equal(tree.containerd?.state, 'down');
  assert.equal(tree.status, 'CRITICAL');
  assert.deepEqual(tree.reasons.slice(0, 2), ['dockerd down: pid 10 last seen 0s ago', 'containerd down: pid 20 last seen 0s ago']);
  assert.equal(tree.checks?.missingProxies, null);
});

test('a one-shot look at a dead dockerd: down, "no live process"', async () => {
  const tree = buildEngineTree(
    await stateAfter([{ ...snap([], 10), scannedPids: 80 }], [{ dockerd: false, containerd: false, tasks: null }]),
    OPTS,
  );
  assert.equal(tree.dockerd?.state, 'down');
  assert.equal(tree.dockerd?.detail, 'no live process');
  assert.equal(tree.exitCode, 2);
});

test('a containerd restart is a WARNING with the restart count; since = the new process start', async () => {
  const replaced = [dockerd(10), containerd(25, 10), shim(50, ID_A), shim(70, ID_B), child(71, 70, 'docker-init'), proxy(12, 18080)];
  const tree = buildEngineTree(await stateAfter([snap(HEALTHY), snap(replaced)], [UP, UP]), OPTS);
  assert.equal(tree.containerd?.state, 'up');
  assert.equal(tree.containerd?.restarts, 1);
  assert.equal(tree.containerd?.sinceMs, 1_000_025_000);
  assert.equal(tree.status, 'WARNING');
  assert.equal(tree.exitCode, 1);
  assert.deepEqual(tree.reasons, ['containerd restarted 1 time since the exporter started']);
});

test('chain checks: orphan shim, stuck runc, missing proxy and a zombie are warnings, marked on their nodes', async () => {
  const procs = [
    dockerd(10),
    containerd(20, 10),
    shim(50, ID_A),
    shim(70, ID_B),
    child(71, 70, 'docker-init'),
    child(72, 70, 'runc'), // started 128 s before the snapshot: stuck
    p({ pid: 73, ppid: 50, comm: 'docker-init', exe: null, argv: [], state: 'Z' }),
    proxy(12, 18080),
  ];
  const tree = buildEngineTree(await stateAfter([snap(procs)], [{ ...UP, tasks: [ID_B], published: [18080, 18081] }]), OPTS);
  assert.equal(tree.status, 'WARNING');
  assert.deepEqual(tree.checks, { orphanShims: 1, stuckRunc: 1, missingProxies: 1, zombies: 1 });
  const [a, b] = tree.containerd?.shims ?? [];
  assert.equal(a?.orphan, true);
  assert.equal(b?.orphan, false);
  assert.deepEqual(
    b?.children.map((c) => [c.component, c.pid, c.stuck]),
    [
      ['docker-init', 71, false],
      ['runc', 72, true],
    ],
  );
  assert.deepEqual(
    tree.dockerd?.proxies.map((x) => [x.state, x.pid, x.hostPort]),
    [
      ['up', 12, 18080],
      ['down', null, 18081],
    ],
  );
  assert.deepEqual(tree.zombies, [{ component: 'docker-init', pid: 73, ppid: 50 }]);
  assert.deepEqual(tree.reasons, [
    '1 orphan shim (no containerd task)',
    '1 stuck runc process (older than 30s or in D state)',
    '1 published port without docker-proxy',
    '1 zombie engine process',
  ]);
});

test('no state: UNKNOWN, exit 3, with the scan error; a stale state is UNKNOWN but still drawn', async () => {
  const none = buildEngineTree(null, { ...OPTS, pollError: 'procfs scan failed: EACCES' });
  assert.equal(none.status, 'UNKNOWN');
  assert.equal(none.exitCode, 3);
  assert.deepEqual(none.reasons, ['cannot scan processes: procfs scan failed: EACCES']);
  assert.equal(none.dockerd, null);
  assert.equal(buildEngineTree(null, OPTS).summary, 'no successful poll yet');

  const state = await stateAfter([snap(HEALTHY)], [UP]);
  const stale = buildEngineTree(state, { ...OPTS, nowMs: NOW_MS + 65_000, stale: true });
  assert.equal(stale.status, 'UNKNOWN');
  assert.match(stale.reasons[0] ?? '', /^the latest poll is stale \(taken 1m05s ago\)$/);
  assert.equal(stale.dockerd?.state, 'up');

  const empty = buildEngineTree({ ...state, scannedPids: 0 }, OPTS);
  assert.equal(empty.status, 'UNKNOWN', 'a scan that saw no process at all cannot say anything is down');
});

test('containerd-only node: no dockerd in the tree; containerd is the root', async () => {
  const sys = containerd(20, 1, { containerdAddress: '/run/containerd/containerd.sock' });
  const s = shim(50, ID_A, '/run/containerd/containerd.sock');
  const tree = buildEngineTree(await stateAfter([snap([sys, s], null)], [{ dockerd: null, containerd: true, published: null }], false), {
    ...OPTS,
    dockerdExpected: false,
  });
  assert.equal(tree.dockerd, null);
  assert.equal(tree.containerd?.mode, 'system');
  assert.equal(tree.containerd?.shims.length, 1);
  assert.equal(tree.status, 'OK');
  assert.equal(tree.summary, 'containerd up (system), 1 shim, 0 docker-init');
  const text = renderTreeText(tree);
  assert.match(text, /^containerd \(system\)  UP  pid 20/m);
  assert.match(text, /^└── shim aaaaaaaaaaaa \[moby\]  UP  pid 50/m);
  // No dockerd, no container names: the task's pid is still the main process.
  assert.equal(tree.containerd?.shims[0]?.containerName, null);
  assert.deepEqual(tree.containerd?.shims[0]?.mainProcess, { pid: 100, program: null });
  assert.match(text, /  main pid 100$/m);
});

test("container names and main processes beside each shim: from dockerd's list and containerd's tasks, matched by full id", async () => {
  const hostile = { id: ID_B, name: 'db\u001b[31m\nFAKE  UP', program: '<script>' };
  const other = { id: 'cccccccccccc3333333333333333333333333333333333333333333333333333', name: 'not-a-shim', program: 'sleep' };
  // A container whose id only shares the 12-character prefix with a shim must not lend it its name.
  const prefixTwin = { id: `${ID_A.slice(0, 12)}${'f'.repeat(52)}`, name: 'impostor', program: 'evil' };
  const state = await stateAfter([snap(HEALTHY)], [{ ...UP, tasks: [ID_B], containers: [prefixTwin, hostile, other] }]);
  const tree = buildEngineTree(state, OPTS);
  const [a, b] = tree.containerd?.shims ?? [];
  assert.equal(a?.containerName, null);
  assert.equal(a?.mainProcess, null);
  assert.equal(b?.containerName, hostile.name);
  assert.deepEqual(b?.mainProcess, { pid: 100, program: '<script>' });
  const text = renderTreeText(tree);
  assert.doesNotMatch(text, /impostor|not-a-shim|\u001b/);
  assert.match(text, /^    └── shim bbbbbbbbbbbb db\?\[31m\?FAKE  UP \[moby\]  UP  pid 70  uptime 2m10s  main <script> pid 100$/m);
  // JSON carries the raw name (JSON.stringify escapes the control characters).
  assert.match(renderTreeJson(tree), /"containerName": "db\\u001b\[31m\\nFAKE  UP"/);
});
