/**
 * Where a shim of the watched containerd can hang (attribute.ts, shimParents): under containerd, or
 * under whatever adopted it when its `start` parent exited — containerd's ancestors (pid 1, a
 * subreaper supervisor, a container's init). A process named like a shim, naming the engine's socket
 * as root in the host's mount namespace, that hangs under some other program is not the engine's.
 * Literal snapshots with the ancestry the procfs and ps-list sources fill in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeEngine, EMPTY_MEMORY, type AttributionSettings } from '../../src/engine/attribute.js';
import type { ProcessInfo } from '../../src/engine/process-model.js';
import { child, containerd, dockerd, p, shim, snapshot, SOCK } from './engine-helpers.js';

const HOST_NS = 'mnt:[4026531841]';
const host = (proc: ProcessInfo): ProcessInfo => ({ uid: 0, mountNs: HOST_NS, ...proc });
const listening = [{ path: SOCK, fileId: null }];
const MANAGED: AttributionSettings = { dockerdExpected: true, containerdAddress: null };
const CONTAINERD_ONLY: AttributionSettings = { dockerdExpected: false, containerdAddress: SOCK };

function shimsOf(procs: ProcessInfo[], pidfile: number | null, settings: AttributionSettings): number[] {
  const view = attributeEngine({ ...snapshot(procs, pidfile), hostMountNs: HOST_NS }, settings, EMPTY_MEMORY);
  return view.members['containerd-shim'].map((s) => s.pid).sort((a, b) => a - b);
}

/** systemd (1) → supervisor 5 → dockerd 10 → containerd 20; 99 is some other program of root's. */
const DOCKERD = host(dockerd(10, { ppid: 5, ancestors: [5, 1] }));
const CONTAINERD = host(containerd(20, 10, { listening, ancestors: [10, 5, 1] }));
const STRANGER = 99;

test('shims under pid 1, a supervisor above the engine, or containerd count; one under another program does not', () => {
  const procs = [
    DOCKERD,
    CONTAINERD,
    host(shim(30, 'under-init', SOCK, { ppid: 1 })),
    host(shim(31, 'under-subreaper', SOCK, { ppid: 5 })),
    host(shim(32, 'being-started', SOCK, { ppid: 20 })),
    host(shim(33, 'look-alike', SOCK, { ppid: STRANGER })),
    host(child(34, 33, 'runc')),
  ];
  assert.deepEqual(shimsOf(procs, 10, MANAGED), [30, 31, 32]);
  const view = attributeEngine({ ...snapshot(procs, 10), hostMountNs: HOST_NS }, MANAGED, EMPTY_MEMORY);
  assert.deepEqual(view.members.runc, [], "the look-alike's runc is not the engine's either");
});

test('containerd-only node: containerd under systemd, its shims re-parented to pid 1', () => {
  const system = host(containerd(20, 1, { listening, ancestors: [1] }));
  const procs = [system, host(shim(30, 'a', SOCK, { ppid: 1 })), host(shim(33, 'b', SOCK, { ppid: STRANGER }))];
  assert.deepEqual(shimsOf(procs, null, CONTAINERD_ONLY), [30]);
});

test('while containerd is down, dockerd stands in: shims under its ancestors still count, a look-alike still does not', () => {
  const procs = [DOCKERD, host(shim(31, 'under-subreaper', SOCK, { ppid: 5 })), host(shim(33, 'look-alike', SOCK, { ppid: STRANGER }))];
  const view = attributeEngine({ ...snapshot(procs, 10), hostMountNs: HOST_NS }, MANAGED, {
    ...EMPTY_MEMORY,
    containerdMode: 'managed',
    containerdAddress: SOCK,
    lastContainerdPid: 20,
  });
  assert.equal(view.containerd, null);
  assert.deepEqual(
    view.members['containerd-shim'].map((s) => s.pid),
    [31],
  );
});

test('without any ancestry (ps-list without a full listing, recorded fixtures) the socket alone decides, as before', () => {
  const procs = [
    host(dockerd(10)),
    host(containerd(20, 10, { listening })),
    host(shim(30, 'a', SOCK, { ppid: 1 })),
    host(shim(33, 'b', SOCK, { ppid: STRANGER })),
  ];
  assert.deepEqual(shimsOf(procs, 10, MANAGED), [30, 33]);
});

test('a containerd of the engine nested under a container init: shims adopted by that init count', () => {
  // host init 1 → shim 200 → the container's init 201 (a pid namespace's reaper) → containerd 210.
  const nested = host(containerd(210, 201, { listening, ancestors: [201, 200, 1] }));
  const procs = [
    nested,
    host(p({ pid: 201, ppid: 200, comm: 'tini' })),
    host(shim(230, 'inner', SOCK, { ppid: 201 })),
    host(shim(231, 'x', SOCK, { ppid: STRANGER })),
  ];
  assert.deepEqual(shimsOf(procs, null, CONTAINERD_ONLY), [230]);
});
