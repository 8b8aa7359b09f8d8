import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeEngine } from '../../src/engine/attribute.js';
import { countMissingProxies, countOrphanShims, stuckRunc, userlandProxyFromArgv } from '../../src/engine/chain-checks.js';
import { initialTrackerState } from '../../src/engine/tracker.js';
import { child, containerd, dockerd, p, shim, snapshot } from './engine-helpers.js';

const SETTINGS = { dockerdExpected: true, containerdAddress: null };
const NOW = 1_000_000 + 1000; // seconds; engine-helpers start processes at 1_000_000 + pid

function viewOf(procs: ReturnType<typeof p>[]) {
  return attributeEngine(snapshot(procs, 10), SETTINGS, initialTrackerState().memory);
}

test('orphan shims: a shim whose -id is no task; unknown when tasks are unknown; young shims get grace', () => {
  const view = viewOf([
    dockerd(10),
    containerd(20, 10),
    shim(50, 'a'),
    shim(60, 'gone'),
    shim(70, 'k', undefined, {
      argv: ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', 'k', '-address', '/r/exec/containerd/containerd.sock'],
    }),
  ]);
  const tasks = new Map([['moby', new Set(['a'])]]);
  assert.equal(countOrphanShims(view, tasks, NOW), 1, 'k8s.io is not watched: its shim is not judged');
  assert.equal(countOrphanShims(view, null, NOW), null);
  assert.equal(countOrphanShims(view, tasks, 1_000_060 + 5), 0, 'a 5 s old shim may not have its task yet');
});

test('stuck runc: older than the limit or in state D', () => {
  const view = viewOf([
    dockerd(10),
    containerd(20, 10),
    shim(50, 'a'),
    child(51, 50, 'runc'),
    { ...child(52, 50, 'runc'), startTimeSeconds: NOW - 1, state: 'D' },
    { ...child(53, 50, 'runc'), startTimeSeconds: NOW - 1 },
  ]);
  assert.deepEqual(
    stuckRunc(view, NOW, 30).map((r) => r.pid),
    [51, 52],
  );
});

test('missing proxies: by port and protocol; unknown when ports are unknown or the userland proxy is off', () => {
  const proxy = (pid: number, port: number, ip = '127.0.0.1') => ({
    ...child(pid, 10, 'docker-proxy'),
    argv: [
      '/usr/sbin/docker-proxy',
      '-proto',
      'tcp',
      '-host-ip',
      ip,
      '-host-port',
      String(port),
      '-container-ip',
      '172.17.0.2',
      '-container-port',
      '80',
    ],
  });
  const view = viewOf([dockerd(10), containerd(20, 10), proxy(30, 8080), proxy(31, 8081, '0.0.0.0')]);
  const published = [
    { hostPort: 8080, proto: 'tcp' },
    { hostPort: 8081, proto: 'tcp' },
    { hostPort: 8081, proto: 'tcp' },
    { hostPort: 8082, proto: 'tcp' },
    { hostPort: 8080, proto: 'udp' },
  ];
  assert.equal(countMissingProxies(view, published, true), 2);
  assert.equal(countMissingProxies(view, null, true), null);
  assert.equal(countMissingProxies(view, published, false), null);
  assert.equal(userlandProxyFromArgv(dockerd(10, { argv: ['dockerd', '--userland-proxy=false'] })), false);
  assert.equal(userlandProxyFromArgv(dockerd(10)), null);
});
