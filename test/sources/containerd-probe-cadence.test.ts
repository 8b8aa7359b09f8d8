/**
 * Which of containerd's calls a poll sends. Health/Check goes every poll (it is what "hung" counts);
 * Namespaces/List every few seconds while it answers and every poll while it does not; Tasks/List
 * every few seconds while the event stream is up, at the next poll after an exit event or after the
 * stream (re)connects, and every poll while the stream is down.
 *
 * A fake containerd, because the test has to end the event stream and refuse new ones while the
 * daemon keeps answering, and make Namespaces/List fail on its own: a real containerd does neither.
 * Time is the test's own (prepare's nowMs), so no assertion depends on how fast anything runs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { after, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { EngineView } from '../../src/engine/attribute.js';
import { createLogger } from '../../src/log/logger.js';
import { loadContainerdServices } from '../../src/sources/containerd/containerd-client.js';
import { probesOfFakeContainerd } from '../support/fake-containerd.js';

const logger = createLogger('error', 'json', () => {});
const dir = mkdtempSync('/tmp/cadence-fakes.');
after(() => rmSync(dir, { recursive: true, force: true }));

const view = { dockerd: null, containerd: null, containerdAddress: null, containerdAddressConfirmed: false } as unknown as EngineView;
const TaskExit = protobuf
  .parse(
    'syntax = "proto3"; package containerd.events; message TaskExit { string container_id = 1; string id = 2; uint32 pid = 3; uint32 exit_status = 4; }',
  )
  .root.lookupType('containerd.events.TaskExit');

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
}

test('containerd: health every poll, state and tasks on their own cadence', async () => {
  const services = loadContainerdServices();
  let stateFails = false;
  let refuseStreams = false;
  const streams: grpc.ServerWritableStream<unknown, unknown>[] = [];
  const server = new grpc.Server();
  server.addService(services.Health.service, {
    Check: (_c: unknown, cb: grpc.sendUnaryData<{ status: string }>) => cb(null, { status: 'SERVING' }),
  });
  server.addService(services.Namespaces.service, {
    List: (_c: unknown, cb: grpc.sendUnaryData<{ namespaces: { name: string }[] }>) =>
      stateFails ? cb({ code: grpc.status.INTERNAL, details: 'bolt says no' }) : cb(null, { namespaces: [{ name: 'moby' }] }),
  });
  server.addService(services.Tasks.service, {
    List: (_c: unknown, cb: grpc.sendUnaryData<{ tasks: unknown[] }>) => cb(null, { tasks: [] }),
  });
  server.addService(services.Events.service, {
    Subscribe: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      if (refuseStreams) call.destroy(Object.assign(new Error('no'), { code: grpc.status.UNAVAILABLE }));
      else streams.push(call);
    },
  });
  const c = await probesOfFakeContainerd(server, dir, logger, 2000);
  const watched = ['containerd_health', 'containerd_state', 'containerd_tasks'];
  /** One poll at `nowMs`: which of the three are due; runs them, as the runner would. */
  const poll = async (nowMs: number): Promise<string[]> => {
    c.prepare(view, nowMs);
    const due = c.probes.filter((p) => watched.includes(p.name) && p.due());
    await Promise.all(due.map((p) => p.run().catch(() => {})));
    return due.map((p) => p.name).sort();
  };
  const t0 = 1_000_000;
  try {
    assert.deepEqual(await poll(t0), ['containerd_health', 'containerd_state', 'containerd_tasks'], 'the first poll sends all three');
    await until('the event stream connects', () => c.taskEvents.connectedSinceMs() !== null);
    assert.deepEqual(await poll(t0 + 1000), ['containerd_health', 'containerd_tasks'], 'tasks listed again once the stream is up');
    assert.deepEqual(await poll(t0 + 2000), ['containerd_health'], 'stream up, state answered: health alone');

    const exit = TaskExit.encode({ containerId: 'c1', id: 'c1', pid: 42, exitStatus: 137 }).finish();
    streams[0]?.write({ namespace: 'moby', topic: '/tasks/exit', event: { type_url: 'containerd.events.TaskExit', value: Buffer.from(exit) } });
    await until('the exit arrives', () => c.taskEvents.counts().exits.get('moby') === 1);
    assert.deepEqual(await poll(t0 + 3000), ['containerd_health', 'containerd_tasks'], 'an exit lists tasks at the next poll');
    assert.deepEqual(await poll(t0 + 4000), ['containerd_health']);
    assert.deepEqual(await poll(t0 + 5000), ['containerd_health', 'containerd_state'], 'state again 5 s after the last');
    assert.deepEqual(await poll(t0 + 8000), ['containerd_health', 'containerd_tasks'], 'tasks again 5 s after the last');

    stateFails = true;
    assert.deepEqual(await poll(t0 + 10_000), ['containerd_health', 'containerd_state']);
    assert.equal(c.findings().answering, false, 'a failed state call makes containerd not healthy');
    assert.deepEqual(await poll(t0 + 11_000), ['containerd_health', 'containerd_state'], 'a failing state call is retried every poll');
    stateFails = false;
    assert.deepEqual(await poll(t0 + 12_000), ['containerd_health', 'containerd_state']);
    assert.equal(c.findings().answering, true, 'healthy again at the first poll it answers');
    assert.deepEqual(await poll(t0 + 12_500), ['containerd_health'], 'and back to every few seconds');

    refuseStreams = true;
    streams[0]?.end();
    await until('the stream is seen down', () => c.taskEvents.connectedSinceMs() === null);
    assert.deepEqual(await poll(t0 + 13_000), ['containerd_health', 'containerd_tasks'], 'stream down: tasks every poll');
    assert.deepEqual(await poll(t0 + 14_000), ['containerd_health', 'containerd_tasks'], 'stream down: tasks every poll');
  } finally {
    c.close();
    for (const s of streams) s.destroy();
    await new Promise<void>((res) => server.tryShutdown(() => res()));
  }
});
