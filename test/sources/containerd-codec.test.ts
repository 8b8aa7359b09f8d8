/**
 * The containerd client's messages, built from proto/ with protobufjs: the method paths containerd
 * routes by, and answers decoded into the shapes the probes read (field names as in the .proto files,
 * enums by name, absent fields at their defaults, 64-bit integers as numbers). Every answer here is
 * encoded byte by byte as containerd would send it, not by the code under test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadContainerdServices } from '../../src/sources/containerd/containerd-client.js';

const services = loadContainerdServices();

/** Protobuf wire format by hand: a tag (field number, wire type) and its payload. */
const varint = (n: number): number[] => {
  const out: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128) return [...out, v];
    out.push((v % 128) | 128);
  }
};
const tag = (field: number, wire: number): number[] => varint(field * 8 + wire);
const num = (field: number, n: number): number[] => [...tag(field, 0), ...varint(n)];
const bytes = (field: number, payload: number[]): number[] => [...tag(field, 2), ...varint(payload.length), ...payload];
const str = (field: number, s: string): number[] => bytes(field, [...Buffer.from(s, 'utf8')]);

function method(service: keyof typeof services, name: string) {
  const m = services[service].service[name];
  assert.ok(m, `${service}/${name}`);
  return m;
}

describe('containerd client messages', () => {
  it('calls the method paths containerd serves, streaming only Events/Subscribe', () => {
    const definitions: unknown[] = Object.values(services).map((c: { service: unknown }) => c.service);
    const paths = definitions.flatMap((d) =>
      Object.values(d as Record<string, { path: string; responseStream: boolean }>).map(
        (m) => `${m.path}${m.responseStream ? ' (stream)' : ''}`,
      ),
    );
    assert.deepEqual(paths.sort(), [
      '/containerd.services.containers.v1.Containers/List',
      '/containerd.services.events.v1.Events/Subscribe (stream)',
      '/containerd.services.introspection.v1.Introspection/Plugins',
      '/containerd.services.namespaces.v1.Namespaces/List',
      '/containerd.services.tasks.v1.Tasks/Get',
      '/containerd.services.tasks.v1.Tasks/List',
      '/containerd.services.version.v1.Version/Version',
      '/grpc.health.v1.Health/Check',
    ]);
  });

  it('decodes Tasks/List: enums by name, proto field names, absent fields at their defaults', () => {
    // Process{container_id 1, id 2, pid 3, status 4 (RUNNING = 2), exit_status 9, exited_at 10}
    const running = [...str(2, 'abc'), ...num(3, 4242), ...num(4, 2)];
    const stopped = [...str(1, 'ctr'), ...str(2, 'ctr'), ...num(3, 7), ...num(4, 3), ...num(9, 137), ...bytes(10, [...num(1, 1_700_000_000)])];
    const answer: unknown = method('Tasks', 'List').responseDeserialize(Buffer.from([...bytes(1, running), ...bytes(1, stopped)]));
    assert.deepEqual(answer, {
      tasks: [
        { container_id: '', id: 'abc', pid: 4242, status: 'RUNNING', exit_status: 0, exited_at: null },
        { container_id: 'ctr', id: 'ctr', pid: 7, status: 'STOPPED', exit_status: 137, exited_at: { seconds: 1_700_000_000, nanos: 0 } },
      ],
    });
  });

  it('decodes an empty answer with every field at its default', () => {
    assert.deepEqual(method('Tasks', 'Get').responseDeserialize(Buffer.alloc(0)), { process: null });
    assert.deepEqual(method('Health', 'Check').responseDeserialize(Buffer.alloc(0)), { status: 'UNKNOWN' });
    assert.deepEqual(method('Version', 'Version').responseDeserialize(Buffer.alloc(0)), { version: '', revision: '' });
  });

  it("leaves an event's payload packed, with containerd's bare type name", () => {
    const payload = [...str(1, 'ctr'), ...num(3, 9)];
    const envelope = [
      ...str(2, 'moby'),
      ...str(3, '/tasks/exit'),
      ...bytes(4, [...str(1, 'containerd.events.TaskExit'), ...bytes(2, payload)]),
    ];
    const decoded = method('Events', 'Subscribe').responseDeserialize(Buffer.from(envelope)) as Record<string, unknown>;
    assert.deepEqual(decoded, {
      timestamp: null,
      namespace: 'moby',
      topic: '/tasks/exit',
      event: { type_url: 'containerd.events.TaskExit', value: Buffer.from(payload) },
    });
  });

  it('encodes requests as containerd reads them', () => {
    assert.deepEqual([...method('Tasks', 'Get').requestSerialize({ container_id: 'x' })], str(1, 'x'));
    assert.deepEqual([...method('Events', 'Subscribe').requestSerialize({ filters: ['a', 'b'] })], [...str(1, 'a'), ...str(1, 'b')]);
    assert.deepEqual([...method('Introspection', 'Plugins').requestSerialize({ filters: [] })], []);
  });

  it('decodes Introspection/Plugins with the init error of a plugin that failed', () => {
    const failed = [
      ...str(1, 'io.containerd.snapshotter.v1'),
      ...str(2, 'btrfs'),
      ...bytes(7, [...num(1, 2), ...str(2, 'not a btrfs filesystem')]),
    ];
    const loaded = [...str(1, 'io.containerd.grpc.v1'), ...str(2, 'tasks')];
    assert.deepEqual(method('Introspection', 'Plugins').responseDeserialize(Buffer.from([...bytes(1, failed), ...bytes(1, loaded)])), {
      plugins: [
        { type: 'io.containerd.snapshotter.v1', id: 'btrfs', init_err: { code: 2, message: 'not a btrfs filesystem' } },
        { type: 'io.containerd.grpc.v1', id: 'tasks', init_err: null },
      ],
    });
  });
});
