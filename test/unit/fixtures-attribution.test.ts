/**
 * Classification and attribution on /proc trees recorded from the real test engine
 * (test/fixtures/proc/README.md), read by the real procfs scanner, checked against the ground truth the
 * recorder took from the engine itself (meta.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { attributeEngine } from '../../src/engine/attribute.js';
import { initialTrackerState } from '../../src/engine/tracker.js';
import { createProcfsScratch, scanProcfs } from '../../src/sources/procfs/scan-procfs.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/proc/', import.meta.url));

interface Meta {
  engine: {
    dockerd: { pid: number };
    containerd: { pid: number; address: string };
    shims: { pid: number; id: string }[];
    proxies: { pid: number }[];
    containers: { init: boolean; initPid?: number; running: boolean }[];
    expectedProcesses: Record<string, number>;
  };
  otherEngines?: { containerd: { pid: number; address: string } }[];
  decoys: { pid: number }[];
}

function load(name: string) {
  const dir = `${FIXTURES}${name}`;
  const meta = JSON.parse(readFileSync(`${dir}/meta.json`, 'utf8')) as Meta;
  const snap = scanProcfs({ procfsPath: dir, pidfilePath: `${dir}/docker.pid` }, createProcfsScratch());
  return { meta, snap };
}

const SETTINGS = { dockerdExpected: true, containerdAddress: null };

for (const name of ['docker-rig', 'two-engines', 'containerd-down']) {
  test(`${name}: a cold start attributes exactly the engine's processes`, () => {
    const { meta, snap } = load(name);
    assert.deepEqual(snap.errors, []);
    const view = attributeEngine(snap, SETTINGS, initialTrackerState().memory);
    const counts = Object.fromEntries(Object.entries(view.members).map(([k, v]) => [k, v.length]));
    assert.deepEqual(counts, meta.engine.expectedProcesses);
    assert.equal(view.dockerd?.pid, meta.engine.dockerd.pid);
    assert.deepEqual(view.members['containerd-shim'].map((p) => p.pid).sort(), meta.engine.shims.map((s) => s.pid).sort());
    assert.deepEqual(
      view.members['docker-proxy'].map((p) => p.pid),
      meta.engine.proxies.map((p) => p.pid),
    );
    const inits = meta.engine.containers.filter((c) => c.init && c.running).map((c) => c.initPid);
    assert.deepEqual(
      view.members['docker-init'].map((p) => p.pid),
      inits,
    );
    const decoys = new Set(meta.decoys.map((d) => d.pid));
    for (const members of Object.values(view.members)) for (const p of members) assert.ok(!decoys.has(p.pid), `decoy ${p.pid} attributed`);
    assert.equal(view.containerdAddress, meta.engine.containerd.address);
    if (name === 'containerd-down') {
      assert.equal(view.containerd, null);
    } else {
      assert.equal(view.containerd?.pid, meta.engine.containerd.pid);
      assert.equal(view.containerdMode, 'managed');
      assert.ok((view.containerd?.startTimeSeconds ?? 0) > 0);
      assert.ok((view.containerd?.openFds ?? 0) > 0, 'fd counts come through the recorded fd/ links');
    }
  });
}

test('two-engines: the second engine is found when watched by its own socket, without dockerd', () => {
  const { meta, snap } = load('two-engines');
  const other = meta.otherEngines?.[0]?.containerd;
  assert.ok(other);
  const view = attributeEngine(snap, { dockerdExpected: false, containerdAddress: other.address }, initialTrackerState().memory);
  assert.equal(view.containerd?.pid, other.pid);
  assert.equal(view.containerdMode, 'system');
  assert.equal(view.dockerd, null);
  assert.equal(view.members['containerd-shim'].length, 1);
  assert.equal(view.members['docker-proxy'].length, 0);
  assert.equal(view.members['docker-init'].length, 0);
});
