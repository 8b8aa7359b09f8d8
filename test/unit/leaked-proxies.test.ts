/**
 * Leaked docker-proxy processes, proven against a /proc tree recorded from the real test engine
 * (test/fixtures/proc/docker-rig: one proxy for 127.0.0.1:18080/tcp) and a container list as dockerd
 * gives it. The engine offers no way to leave a proxy behind on purpose (dockerd stops each proxy with
 * its container, and every proxy dies with dockerd), so the leak is the recorded tree with the
 * publishing container gone from the list.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { attributeEngine } from '../../src/engine/attribute.js';
import { leakedProxies } from '../../src/engine/leaked-proxies.js';
import type { PublishedPort } from '../../src/engine/probe-report.js';
import { initialTrackerState } from '../../src/engine/tracker.js';
import { createProcfsScratch, scanProcfs } from '../../src/sources/procfs/scan-procfs.js';

const DIR = fileURLToPath(new URL('../../../test/fixtures/proc/docker-rig', import.meta.url));
const view = attributeEngine(
  scanProcfs({ procfsPath: DIR, pidfilePath: `${DIR}/docker.pid` }, createProcfsScratch()),
  { dockerdExpected: true, containerdAddress: null },
  initialTrackerState().memory,
);
/** A minute after the proxy started: past the grace for young proxies. */
const now = (view.members['docker-proxy'][0]?.startTimeSeconds ?? 0) + 60;
const published: PublishedPort = { hostIp: '127.0.0.1', hostPort: 18080, proto: 'tcp' };

test('the recorded engine has one proxy, and it serves a published port: no leak', () => {
  assert.equal(view.members['docker-proxy'].length, 1);
  assert.deepEqual(leakedProxies(view, [published], true, now), []);
});

test("the same proxy with its container gone from dockerd's list is leaked", () => {
  const leaked = leakedProxies(view, [], true, now);
  assert.deepEqual(
    leaked?.map((p) => p.pid),
    view.members['docker-proxy'].map((p) => p.pid),
  );
});

test('address, port and protocol must all match a published port', () => {
  for (const other of [
    { ...published, hostIp: '0.0.0.0' },
    { ...published, hostPort: 18081 },
    { ...published, proto: 'udp' },
  ]) {
    assert.equal(leakedProxies(view, [other], true, now)?.length, 1, JSON.stringify(other));
  }
});

test('unknown when it cannot be told: list unknown, userland proxy off, dockerd down', () => {
  assert.equal(leakedProxies(view, null, true, now), null);
  assert.equal(leakedProxies(view, [], false, now), null);
  assert.equal(leakedProxies({ ...view, dockerd: null }, [], true, now), null);
});

test('a proxy younger than the grace may belong to a container the last list did not show yet', () => {
  const start = view.members['docker-proxy'][0]?.startTimeSeconds ?? 0;
  assert.deepEqual(leakedProxies(view, [], true, start + 5), []);
  assert.equal(leakedProxies(view, [], true, start + 11)?.length, 1);
});
