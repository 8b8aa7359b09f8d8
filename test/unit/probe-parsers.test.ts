import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTaskEvent, MalformedEventError } from '../../src/sources/containerd/task-events.js';
import { subscriptionFilters } from '../../src/sources/containerd/task-event-watcher.js';
import { parseContainerList, parseInfo, parsePublishedPorts, parseVersion } from '../../src/sources/docker/engine-api-parse.js';
import { parseUserlandProxySetting } from '../../src/sources/docker/daemon-config.js';
import { assertGrpcAllowed, isHttpAllowed, ForbiddenRequestError } from '../../src/sources/read-only.js';

/** Protobuf wire encoding of a few fields, written out by hand for the test. */
function field(n: number, value: string | number): number[] {
  if (typeof value === 'number') return [(n << 3) | 0, ...varint(value)];
  const bytes = [...Buffer.from(value, 'utf8')];
  return [(n << 3) | 2, ...varint(bytes.length), ...bytes];
}
function varint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

test('TaskExit and TaskOOM decode from their Any, with or without the type.googleapis.com prefix', () => {
  const exit = Uint8Array.from([...field(1, 'abc'), ...field(2, 'abc'), ...field(3, 4242), ...field(4, 137)]);
  assert.deepEqual(decodeTaskEvent('containerd.events.TaskExit', exit), {
    kind: 'exit',
    containerId: 'abc',
    id: 'abc',
    pid: 4242,
    exitStatus: 137,
  });
  assert.deepEqual(decodeTaskEvent('type.googleapis.com/containerd.events.TaskExit', exit)?.kind, 'exit');
  assert.deepEqual(decodeTaskEvent('containerd.events.TaskOOM', Uint8Array.from(field(1, 'abc'))), { kind: 'oom', containerId: 'abc' });
  assert.equal(decodeTaskEvent('containerd.events.TaskStart', exit), null);
});

test('fields of other wire types are skipped; truncated or unreadable input is a MalformedEventError', () => {
  const exit = 'containerd.events.TaskExit';
  // field 7 as fixed32, field 6 as fixed64, field 5 (exited_at) as a message, then container_id
  const withOthers = Uint8Array.from([(7 << 3) | 5, 1, 2, 3, 4, (6 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8, (5 << 3) | 2, 2, 8, 1, ...field(1, 'x')]);
  assert.deepEqual(decodeTaskEvent(exit, withOthers), { kind: 'exit', containerId: 'x', id: '', pid: 0, exitStatus: 0 });
  assert.throws(() => decodeTaskEvent(exit, Uint8Array.from([(1 << 3) | 2, 10, 65])), MalformedEventError);
  assert.throws(() => decodeTaskEvent(exit, Uint8Array.from([0x80])), MalformedEventError);
  assert.throws(
    () => decodeTaskEvent('containerd.events.TaskOOM', Uint8Array.from([(9 << 3) | 7])),
    /^MalformedEventError: malformed TaskOOM: .*wire type 7/,
  );
});

test('event filters: one per namespace, OR-ed by containerd', () => {
  assert.deepEqual(subscriptionFilters(['moby', 'plugins.moby']), [
    'namespace==moby,topic~="^/tasks/(exit|oom)$"',
    'namespace==plugins.moby,topic~="^/tasks/(exit|oom)$"',
  ]);
});

test('Engine API answers: /version, /info, /containers/json', () => {
  // Trimmed from dockerd 20.10.24's real answers on the test engine.
  const version = JSON.stringify({
    Platform: { Name: '' },
    Components: [
      { Name: 'Engine', Version: '20.10.24+dfsg1' },
      { Name: 'containerd', Version: '1.6.20~ds1' },
      { Name: 'runc', Version: '1.1.5+ds1' },
      { Name: 'docker-init', Version: '0.19.0' },
    ],
    Version: '20.10.24+dfsg1',
    ApiVersion: '1.41',
  });
  assert.deepEqual(parseVersion(version), {
    dockerd: '20.10.24+dfsg1',
    containerd: '1.6.20~ds1',
    runc: '1.1.5+ds1',
    dockerInit: '0.19.0',
    apiVersion: '1.41',
  });
  assert.equal(
    parseInfo(
      '{"Containers":3,"ContainersRunning":2,"ContainersPaused":0,"ContainersStopped":1,"LiveRestoreEnabled":false,"DefaultRuntime":"runc"}',
    ).running,
    2,
  );
  const containers = JSON.stringify([
    {
      Id: 'a',
      State: 'running',
      Ports: [
        { IP: '127.0.0.1', PrivatePort: 80, PublicPort: 18080, Type: 'tcp' },
        { PrivatePort: 443, Type: 'tcp' },
      ],
    },
    {
      Id: 'b',
      State: 'running',
      Ports: [
        { IP: '0.0.0.0', PrivatePort: 53, PublicPort: 5353, Type: 'udp' },
        { IP: '::', PrivatePort: 53, PublicPort: 5353, Type: 'udp' },
      ],
    },
    { Id: 'c', State: 'exited', Ports: [{ IP: '0.0.0.0', PrivatePort: 1, PublicPort: 9999, Type: 'tcp' }] },
  ]);
  assert.deepEqual(parsePublishedPorts(containers), [
    { hostIp: '127.0.0.1', hostPort: 18080, proto: 'tcp' },
    { hostIp: '0.0.0.0', hostPort: 5353, proto: 'udp' },
    { hostIp: '::', hostPort: 5353, proto: 'udp' },
  ]);
  assert.throws(() => parseVersion('<html>'), /malformed \/version/);
  assert.throws(() => parsePublishedPorts('{}'), /malformed \/containers\/json: not an array/);
});

test("/containers/json: each container's id, first name without its slash, and program (first word of Command, no directory)", () => {
  const id = 'f'.repeat(64);
  const body = JSON.stringify([
    { Id: id, Names: ['/web-1', '/alias'], Command: '/docker-entrypoint.sh nginx -g "daemon off;"', State: 'running' },
    { Id: 'abc', Names: [7, '/second'], Command: 'sleep 1d' },
    { Id: 'abd', Command: 42 },
    { Id: 'ABC/../x', Names: ['/bad-id'], Command: 'x' },
    { Names: ['/no-id'] },
    'not an object',
    { Id: 'abe', Names: [`/${'n'.repeat(500)}`], Command: `/${'p'.repeat(500)} x` },
  ]);
  const { containers } = parseContainerList(body);
  assert.deepEqual(containers.slice(0, 3), [
    { id, name: 'web-1', program: 'docker-entrypoint.sh' },
    { id: 'abc', name: 'second', program: 'sleep' },
    { id: 'abd', name: '', program: '' },
  ]);
  assert.equal(containers.length, 4, 'entries without a hex id are left out');
  assert.equal(containers[3]?.name.length, 128);
  assert.equal(containers[3]?.program.length, 128);
});

test('daemon.json userland-proxy', () => {
  assert.equal(parseUserlandProxySetting('{"userland-proxy": false}'), false);
  assert.equal(parseUserlandProxySetting('{"log-driver":"json-file"}'), null);
  assert.equal(parseUserlandProxySetting('not json'), null);
});

test('the read-only allowlist: reads pass, everything else is refused before sending', () => {
  assertGrpcAllowed('/grpc.health.v1.Health/Check');
  assertGrpcAllowed('/containerd.services.tasks.v1.Tasks/List');
  for (const m of [
    '/containerd.services.tasks.v1.Tasks/Kill',
    '/containerd.services.tasks.v1.Tasks/Delete',
    '/containerd.services.containers.v1.Containers/Delete',
  ]) {
    assert.throws(() => assertGrpcAllowed(m), ForbiddenRequestError);
  }
  assert.equal(isHttpAllowed('GET', '/_ping'), true);
  assert.equal(isHttpAllowed('HEAD', '/v1.41/_ping'), true);
  assert.equal(isHttpAllowed('GET', '/containers/json?all=1'), true);
  assert.equal(isHttpAllowed('POST', '/containers/abc/kill'), false);
  assert.equal(isHttpAllowed('DELETE', '/containers/abc'), false);
  assert.equal(isHttpAllowed('GET', '/containers/abc/json'), false);
  assert.equal(isHttpAllowed('POST', '/_ping'), false);
});
