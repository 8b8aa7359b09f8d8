/**
 * Property tests of what the probes decode: containerd's task events (protobufjs on a subset of
 * containerd's messages, src/sources/containerd/task-events.ts), dockerd's Engine API answers
 * (src/sources/docker/engine-api-parse.ts) and daemon.json (src/sources/docker/daemon-config.ts).
 * Any bytes or text give a result or the parser's own error, never anything else; what a real encoder
 * writes decodes back.
 *
 * TaskExit/TaskOOM are encoded with protobufjs (a dependency of the exporter) from a schema
 * written here, with upstream's field numbers and field types, independent of the decoder's own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as fc from 'fast-check';
import protobuf from 'protobufjs';
import { MalformedEventError, decodeTaskEvent } from '../../src/sources/containerd/task-events.js';
import {
  MalformedApiResponseError,
  parseContainerList,
  parseInfo,
  parsePublishedPorts,
  parseVersion,
} from '../../src/sources/docker/engine-api-parse.js';
import { parseUserlandProxySetting } from '../../src/sources/docker/daemon-config.js';
import { anyString, assertOneLineError, onlyThrows, params, wellFormedString } from '../support/property.js';

// containerd's api/events/task.proto (field numbers as upstream), and a later version of TaskExit with
// fields of every wire type added after the known ones, as a newer containerd may send.
const root = protobuf.parse(`
syntax = "proto3";
package containerd.events;
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message TaskExit { string container_id = 1; string id = 2; uint32 pid = 3; uint32 exit_status = 4; Timestamp exited_at = 5; }
message TaskOOM { string container_id = 1; }
message TaskExitNext {
  string container_id = 1; string id = 2; uint32 pid = 3; uint32 exit_status = 4; Timestamp exited_at = 5;
  fixed64 f6 = 6; fixed32 f7 = 7; string f8 = 8; sint64 f9 = 9; double f10 = 10; repeated uint32 f11 = 11;
  Timestamp f12 = 12; bytes f536870911 = 536870911;
}
`).root;
const TaskExit = root.lookupType('containerd.events.TaskExit');
const TaskOOM = root.lookupType('containerd.events.TaskOOM');
const TaskExitNext = root.lookupType('containerd.events.TaskExitNext');

const EXIT_URL = fc.constantFrom('containerd.events.TaskExit', 'type.googleapis.com/containerd.events.TaskExit');
const OOM_URL = fc.constantFrom('containerd.events.TaskOOM', 'type.googleapis.com/containerd.events.TaskOOM');
const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
const timestamp = fc.record({ seconds: fc.integer({ min: 0, max: 2 ** 40 }), nanos: fc.integer({ min: 0, max: 999_999_999 }) });

describe('containerd task events', () => {
  it('a TaskExit with any strings and uint32s decodes back', () => {
    fc.assert(
      fc.property(
        EXIT_URL,
        wellFormedString(100),
        wellFormedString(100),
        uint32,
        uint32,
        fc.option(timestamp, { nil: undefined }),
        (url, containerId, id, pid, exitStatus, exitedAt) => {
          const bytes = TaskExit.encode(TaskExit.create({ containerId, id, pid, exitStatus, ...(exitedAt ? { exitedAt } : {}) })).finish();
          assert.deepEqual(decodeTaskEvent(url, bytes), { kind: 'exit', containerId, id, pid, exitStatus });
        },
      ),
      params(2000),
    );
  });

  it('fields a newer containerd adds, of every wire type, are skipped', () => {
    fc.assert(
      fc.property(
        wellFormedString(40),
        wellFormedString(40),
        uint32,
        uint32,
        fc.record({
          f6: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          f7: uint32,
          f8: anyString(20),
          f9: fc.integer(),
          f10: fc.double(),
          f11: fc.array(uint32, { maxLength: 5 }),
          f12: timestamp,
          f536870911: fc.uint8Array({ maxLength: 20 }),
        }),
        (containerId, id, pid, exitStatus, extra) => {
          const bytes = TaskExitNext.encode(TaskExitNext.create({ containerId, id, pid, exitStatus, ...extra })).finish();
          assert.deepEqual(decodeTaskEvent('containerd.events.TaskExit', bytes), { kind: 'exit', containerId, id, pid, exitStatus });
        },
      ),
      params(1000),
    );
  });

  it('a TaskOOM decodes back; other event types are null', () => {
    fc.assert(
      fc.property(OOM_URL, wellFormedString(100), anyString(60), (url, containerId, otherUrl) => {
        const bytes = TaskOOM.encode(TaskOOM.create({ containerId })).finish();
        assert.deepEqual(decodeTaskEvent(url, bytes), { kind: 'oom', containerId });
        fc.pre(!otherUrl.endsWith('containerd.events.TaskExit') && !otherUrl.endsWith('containerd.events.TaskOOM'));
        assert.equal(decodeTaskEvent(otherUrl, bytes), null);
      }),
      params(1000),
    );
  });

  const anyBytes = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    // Valid messages cut short or with a byte changed: the decoder's harder cases.
    fc.tuple(anyString(30), uint32, fc.nat(), fc.nat({ max: 255 }), fc.boolean()).map(([s, n, at, byte, truncate]) => {
      const b = Uint8Array.from(TaskExit.encode(TaskExit.create({ containerId: s, id: s, pid: n, exitStatus: n })).finish());
      if (b.length === 0) return b;
      const i = at % b.length;
      if (truncate) return b.subarray(0, i);
      b[i] = byte;
      return b;
    }),
  );

  it('any bytes give an event or a MalformedEventError', () => {
    fc.assert(
      fc.property(fc.oneof(EXIT_URL, OOM_URL, anyString(40)), anyBytes, (url, bytes) => {
        const ev = onlyThrows(MalformedEventError, () => decodeTaskEvent(url, bytes));
        if (ev && ev.kind === 'exit') {
          assert.ok(Number.isSafeInteger(ev.pid) && ev.pid >= 0, `pid ${ev.pid}`);
          assert.ok(Number.isSafeInteger(ev.exitStatus) && ev.exitStatus >= 0, `exitStatus ${ev.exitStatus}`);
        }
        assertOneLineError(MalformedEventError, () => decodeTaskEvent(url, bytes));
      }),
      params(5000),
    );
  });
});

// --- Engine API ---------------------------------------------------------------------------------------

/** Any JSON text: valid documents of any shape, and any string at all. */
const anyJsonText = fc.oneof(
  fc.json({ maxDepth: 4 }),
  anyString(),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v).slice(0, -1)),
);

const versionString = fc.stringMatching(/^[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}(\+[a-z0-9]{1,6})?$/);

describe('Engine API answers', () => {
  it('any text gives a result or a MalformedApiResponseError', () => {
    fc.assert(
      fc.property(anyJsonText, (body) => {
        const v = onlyThrows(MalformedApiResponseError, () => parseVersion(body));
        if (v) for (const s of Object.values(v)) assert.equal(typeof s, 'string');
        const i = onlyThrows(MalformedApiResponseError, () => parseInfo(body));
        if (i) assert.equal(typeof i.liveRestore, 'boolean');
        const ports = onlyThrows(MalformedApiResponseError, () => parsePublishedPorts(body));
        if (ports) for (const p of ports) assert.ok(typeof p.hostPort === 'number' && p.hostPort > 0);
        const list = onlyThrows(MalformedApiResponseError, () => parseContainerList(body));
        if (list) for (const c of list.containers) assert.ok(typeof c.name === 'string' && c.name.length <= 128 && c.program.length <= 128);
      }),
      params(3000),
    );
  });

  it('a MalformedApiResponseError message is one line', () => {
    // The reason quotes JSON.parse's message, which quotes the body: a body with a newline near the
    // error (an HTML error page from a proxy, a truncated answer) gives a multi-line message.
    fc.assert(
      fc.property(anyJsonText, (body) => {
        for (const parse of [parseVersion, parseInfo, parsePublishedPorts, parseContainerList])
          assertOneLineError(MalformedApiResponseError, () => parse(body));
      }),
      params(3000),
    );
  });

  it('/version: the versions dockerd reports come back, wherever Components lists them', () => {
    const component = (name: string) =>
      fc.record({ Name: fc.constant(name), Version: versionString, Details: fc.constant({ GitCommit: 'x' }) });
    fc.assert(
      fc.property(
        versionString,
        fc.stringMatching(/^1\.[0-9]{2}$/),
        fc
          .shuffledSubarray(['containerd', 'runc', 'docker-init'])
          .chain((names) => fc.tuple(fc.constant(names), fc.tuple(...names.map(component)), fc.array(component('other'), { maxLength: 2 }))),
        fc.boolean(),
        (engine, api, [names, comps, others], topVersion) => {
          const components = [{ Name: 'Engine', Version: engine }, ...comps, ...others];
          const body = JSON.stringify({ ...(topVersion ? { Version: engine } : {}), ApiVersion: api, Components: components, Os: 'linux' });
          const v = parseVersion(body);
          assert.equal(v.dockerd, engine);
          assert.equal(v.apiVersion, api);
          const byName = new Map(comps.map((c) => [c.Name, c.Version]));
          assert.equal(v.containerd, byName.get('containerd') ?? '');
          assert.equal(v.runc, byName.get('runc') ?? '');
          assert.equal(v.dockerInit, byName.get('docker-init') ?? '');
          assert.ok(names.length === comps.length);
        },
      ),
      params(500),
    );
  });

  it('/info: counts, live-restore and default runtime come back', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        fc.constantFrom('runc', 'io.containerd.runc.v2', 'slow'),
        fc.oneof(fc.nat(), fc.constant(-1), fc.constant('12'), fc.constant(1.5)),
        fc.oneof(fc.nat(), fc.constant(undefined)),
        (containers, running, paused, stopped, live, runtime, goroutines, listeners) => {
          const body = JSON.stringify({
            ID: 'x',
            Containers: containers,
            ContainersRunning: running,
            ContainersPaused: paused,
            ContainersStopped: stopped,
            LiveRestoreEnabled: live,
            DefaultRuntime: runtime,
            Runtimes: { runc: { path: 'runc' } },
            NGoroutines: goroutines,
            NEventsListener: listeners,
          });
          // A goroutine or listener figure that is not a whole count is unknown (null), never a wrong number.
          const count = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null);
          assert.deepEqual(parseInfo(body), {
            containers,
            running,
            paused,
            stopped,
            liveRestore: live,
            defaultRuntime: runtime,
            rootDir: null,
            goroutines: count(goroutines),
            eventListeners: count(listeners),
          });
        },
      ),
      params(500),
    );
  });

  it('/containers/json: every published port of a running container comes back, and only those', () => {
    const port = fc.record({
      IP: fc.constantFrom('0.0.0.0', '127.0.0.1', '::', '::1'),
      PrivatePort: fc.integer({ min: 1, max: 65535 }),
      PublicPort: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), // exposed but not published: no PublicPort
      Type: fc.constantFrom('tcp', 'udp', 'sctp'),
    });
    const container = fc.record({
      Id: fc.stringMatching(/^[0-9a-f]{12}$/),
      State: fc.constantFrom('running', 'exited', 'created', 'paused'),
      Ports: fc.array(port, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(container, { maxLength: 6 }), (containers) => {
        const expected = containers
          .filter((c) => c.State === 'running')
          .flatMap((c) =>
            c.Ports.filter((p) => p.PublicPort !== undefined).map((p) => ({ hostIp: p.IP, hostPort: p.PublicPort as number, proto: p.Type })),
          );
        assert.deepEqual(parsePublishedPorts(JSON.stringify(containers)), expected);
      }),
      params(500),
    );
  });
});

describe('daemon.json userland-proxy', () => {
  it('the setting comes back from any daemon.json that has it; any other text is null', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string().filter((k) => k !== 'userland-proxy'),
          fc.jsonValue({ maxDepth: 2 }),
          { maxKeys: 5 },
        ),
        fc.boolean(),
        fc.nat(),
        (others, value, at) => {
          const entries = Object.entries(others);
          entries.splice(at % (entries.length + 1), 0, ['userland-proxy', value]);
          assert.equal(parseUserlandProxySetting(JSON.stringify(Object.fromEntries(entries), null, 2)), value);
          assert.equal(parseUserlandProxySetting(JSON.stringify(others)), null);
        },
      ),
      params(500),
    );
  });

  it('any text gives true, false or null, never a throw', () => {
    fc.assert(
      fc.property(anyJsonText, (text) => {
        const v = parseUserlandProxySetting(text);
        assert.ok(v === true || v === false || v === null);
      }),
      params(2000),
    );
  });
});
