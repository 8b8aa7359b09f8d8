import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyProcess } from '../../src/engine/classify.js';
import type { ProcessInfo } from '../../src/engine/process-model.js';

function proc(over: Partial<ProcessInfo>): ProcessInfo {
  return {
    pid: 100,
    ppid: 1,
    comm: 'x',
    state: 'S',
    startTicks: 1,
    startTimeSeconds: 1,
    exe: null,
    argv: [],
    cpuSeconds: 0,
    residentBytes: 0,
    threads: 1,
    openFds: 0,
    ...over,
  };
}

test('classifies by exe and argv[0], not by comm', () => {
  const shim = proc({
    comm: 'containerd-shim',
    exe: '/usr/bin/containerd-shim-runc-v2',
    argv: ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'moby', '-id', 'abc', '-address', '/s.sock'],
  });
  assert.equal(classifyProcess(shim), 'containerd-shim');
  assert.equal(classifyProcess(proc({ comm: 'dockerd', exe: '/usr/sbin/dockerd', argv: ['dockerd'] })), 'dockerd');
  assert.equal(
    classifyProcess(proc({ comm: 'docker-init', exe: '/sbin/docker-init', argv: ['/sbin/docker-init', '--', 'httpd'] })),
    'docker-init',
  );
  assert.equal(classifyProcess(proc({ comm: 'runc', exe: '/usr/sbin/runc', argv: ['runc', '--root', '/r', 'create', 'id'] })), 'runc');
  // A process that merely calls itself "dockerd" is not dockerd.
  assert.equal(classifyProcess(proc({ comm: 'dockerd', exe: '/usr/bin/python3', argv: ['dockerd'] })), null);
  // A binary that was replaced by an upgrade is still recognised (the source strips " (deleted)").
  assert.equal(classifyProcess(proc({ comm: 'containerd', exe: '/usr/bin/containerd', argv: ['containerd'] })), 'containerd');
});

test("dockerd's re-exec helpers, runc's init stages and one-shot shim actions are not components", () => {
  assert.equal(classifyProcess(proc({ comm: 'exe', exe: '/usr/sbin/dockerd', argv: ['docker-untar', '/x'] })), null);
  assert.equal(classifyProcess(proc({ comm: 'exe', exe: '/usr/sbin/dockerd', argv: ['libnetwork-setkey', '-exec-root=/x'] })), null);
  assert.equal(classifyProcess(proc({ comm: 'runc:[2:INIT]', exe: '/usr/sbin/runc', argv: ['runc', 'init'] })), null);
  assert.equal(
    classifyProcess(
      proc({
        comm: 'containerd-shim',
        exe: '/usr/bin/containerd-shim-runc-v2',
        argv: ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'moby', '-address', '/s', '-publish-binary', '/c', '-id', 'abc', 'start'],
      }),
    ),
    null,
  );
});

test('without a readable exe (not root, zombie) argv[0] decides, then comm', () => {
  assert.equal(classifyProcess(proc({ comm: 'containerd', exe: null, argv: ['containerd', '--config', '/c'] })), 'containerd');
  assert.equal(classifyProcess(proc({ comm: 'containerd', exe: null, argv: [], state: 'Z' })), 'containerd');
  assert.equal(classifyProcess(proc({ comm: 'containerd-shim', exe: null, argv: [], state: 'Z' })), 'containerd-shim');
  assert.equal(classifyProcess(proc({ comm: 'bash', exe: null, argv: ['bash'] })), null);
});
