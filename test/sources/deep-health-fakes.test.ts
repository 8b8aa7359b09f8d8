/**
 * Deep health against fakes, for the faults a real engine cannot be made to show.
 *
 * containerd: a fake is needed because no real fault makes Namespaces/List hang while Health/Check
 * answers. Namespaces/List is a bolt read transaction on containerd's metadata database; bolt readers
 * never wait for the writer (MVCC; only a remap of a growing file blocks them), so a frozen filesystem
 * (fsfreeze) or a write stuck on it leaves reads answering; SIGSTOP stops the health service too.
 * The fake answers Health/Check SERVING and holds Namespaces/List until released.
 *
 * dockerd: /_ping answers while /containers/json hangs (a daemon-wide lock held, not a container's;
 * drift-engine.test.ts shows on the real engine that one wedged container does not do it).
 * The fake's /events stream also ends once, to show the subscription comes back by itself.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { EngineView } from '../../src/engine/attribute.js';
import { createLogger } from '../../src/log/logger.js';
import { loadContainerdServices } from '../../src/sources/containerd/containerd-client.js';
import { createEngineEventWatcher } from '../../src/sources/docker/engine-events.js';
import { probesOfFakeContainerd } from '../support/fake-containerd.js';
import { createDockerdProbes } from '../../src/sources/probes/dockerd.js';
import type { Probe } from '../../src/sources/probes/probe.js';

const logger = createLogger('error', 'json', () => {});
const dir = mkdtempSync('/tmp/deep-fakes.');
after(() => rmSync(dir, { recursive: true, force: true }));

/** A view with no processes: the probes here are given their sockets by flag. */
const view = { dockerd: null, containerd: null, containerdAddress: null, containerdAddressConfirmed: false } as unknown as EngineView;

async function runProbe(probes: readonly Probe[], name: string): Promise<string | null> {
  const p = probes.find((x) => x.name === name);
  assert.ok(p, name);
  return p.run().then(
    () => null,
    (err: unknown) => (err instanceof Error ? err.message : String(err)),
  );
}

describe('containerd: healthy needs Namespaces/List as well as Health/Check', () => {
  it('drops while Namespaces/List hangs and Health/Check answers, and comes back when it answers', async () => {
    const services = loadContainerdServices();
    const held: Array<() => void> = [];
    let hang = true;
    const server = new grpc.Server();
    server.addService(services.Health.service, {
      Check: (_call: unknown, cb: grpc.sendUnaryData<{ status: string }>) => cb(null, { status: 'SERVING' }),
    });
    server.addService(services.Namespaces.service, {
      List: (_call: unknown, cb: grpc.sendUnaryData<{ namespaces: { name: string }[] }>) => {
        const answer = (): void => cb(null, { namespaces: [{ name: 'moby' }] });
        if (hang) held.push(answer);
        else answer();
      },
    });
    const c = await probesOfFakeContainerd(server, dir, logger, 300);
    try {
      c.prepare(view, Date.now());
      assert.equal(await runProbe(c.probes, 'containerd_health'), null, 'Health/Check answers SERVING');
      const stateError = await runProbe(c.probes, 'containerd_state');
      assert.match(stateError ?? '', /DEADLINE_EXCEEDED|deadline/i, 'Namespaces/List ran into its deadline');
      assert.equal(c.findings().answering, false, 'not healthy: the metadata store did not answer');
      assert.equal(held.length, 1, 'the fake did receive Namespaces/List');

      hang = false;
      for (const release of held.splice(0)) release();
      assert.equal(await runProbe(c.probes, 'containerd_state'), null);
      assert.equal(await runProbe(c.probes, 'containerd_health'), null);
      assert.equal(c.findings().answering, true, 'healthy again');
    } finally {
      c.close();
      await new Promise<void>((res) => server.tryShutdown(() => res()));
    }
  });
});

describe('dockerd: healthy needs a state call as well as /_ping', () => {
  const socket = join(dir, 'docker.sock');
  let hang = true;
  let eventStreams = 0;
  const held: http.ServerResponse[] = [];
  let pings = 0;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/_ping') {
      pings++;
      return res.end('OK');
    }
    if (path === '/containers/json') {
      if (hang) return held.push(res);
      return res.end(JSON.stringify([{ Id: 'x'.repeat(64), State: 'running', Ports: [] }]));
    }
    if (path === '/events') {
      eventStreams++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ Type: 'container', Action: 'die', Actor: { ID: 'y'.repeat(64) } })}\n`);
      res.write('not json\n');
      // The first stream ends, as when dockerd restarts; the second stays open.
      if (eventStreams === 1) setTimeout(() => res.end(), 50);
      else held.push(res);
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  after(() => {
    for (const res of held) res.destroy();
    server.close();
  });

  /** dockerd's probes against the fake, with /containers/json due every `containersEveryMs`. */
  const probesOfFake = (containersEveryMs: number): ReturnType<typeof createDockerdProbes> =>
    createDockerdProbes({
      socket,
      procfsPath: '/proc',
      rootfsPath: '/',
      timeoutMs: 300,
      onAnswerChanged: () => {},
      slowEveryMs: 3_600_000,
      containersEveryMs,
    });

  it('drops while /containers/json hangs and /_ping answers, and comes back when it answers', async () => {
    await new Promise<void>((res) => server.listen(socket, res));
    const d = probesOfFake(0);
    assert.equal(await runProbe(d.probes, 'dockerd_ping'), null);
    d.prepare(view, Date.now()); // /_ping answered: /containers/json is due
    assert.match((await runProbe(d.probes, 'dockerd_containers')) ?? '', /no answer to GET \/containers\/json/);
    assert.equal(d.findings().answering, false, '/_ping alone is not healthy');

    hang = false;
    for (const res of held.splice(0)) res.destroy();
    assert.equal(await runProbe(d.probes, 'dockerd_containers'), null);
    assert.equal(await runProbe(d.probes, 'dockerd_ping'), null);
    assert.equal(d.findings().answering, true);
    assert.deepEqual(d.findings().containerStates, [{ id: 'x'.repeat(64), running: true }]);
  });

  it("/_ping goes by the scan's stat of its socket: gone, it fails without asking; a socket, it asks", async () => {
    const d = probesOfFake(3_600_000);
    try {
      assert.equal(d.socketPath?.(), socket, 'the path the scan is asked to look at');
      const before = pings;
      d.prepare(view, Date.now(), { socketFiles: new Map([[socket, { kind: 'error', code: 'ENOENT' }]]) });
      assert.match((await runProbe(d.probes, 'dockerd_ping')) ?? '', /docker\.sock: no such file \(removed or renamed\?\)$/);
      assert.equal(pings, before, 'nothing was sent');
      d.prepare(view, Date.now(), { socketFiles: new Map([[socket, { kind: 'socket' }]]) });
      assert.equal(await runProbe(d.probes, 'dockerd_ping'), null);
      assert.equal(pings, before + 1);
    } finally {
      d.close();
    }
  });

  it('the /events subscription counts, skips a malformed line, and comes back after the stream ends', async () => {
    let drops = 0;
    const w = createEngineEventWatcher({ socketPath: socket, logger, onDrop: () => drops++ });
    try {
      const deadline = Date.now() + 10_000;
      while (!(w.counts().connected && eventStreams >= 2 && (w.counts().byType.get('die') ?? 0) >= 2) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const counts = w.counts();
      assert.equal(counts.byType.get('die'), 2, 'one die per stream');
      assert.equal(counts.malformed, 2, 'one malformed line per stream, counted');
      assert.equal(counts.drops, 1);
      assert.equal(drops, 1, 'the drop was reported');
      assert.ok(counts.connected, 'subscribed again');
      assert.notEqual(w.lastDieMs('y'.repeat(64)), null);
    } finally {
      w.stop();
    }
  });
});
