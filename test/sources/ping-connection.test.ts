/**
 * The per-poll /_ping's own connection (src/sources/docker/ping-connection.ts) against servers on unix
 * sockets: a real Node HTTP server (kept alive, closing idle connections, restarted), and raw servers
 * that answer late, never, with garbage, too much, or twice. The real dockerd's answers are read in
 * the real-engine suites (probes-engine, probes-readonly-engine); these are faults it cannot be made
 * to show on demand.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { join } from 'node:path';
import { createPingConnection } from '../../src/sources/docker/ping-connection.js';
import { DeadlineError } from '../../src/sources/docker/engine-api-client.js';

const dir = mkdtempSync('/tmp/ping-conn.');
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const socketPath = (): string => join(dir, `s${n++}.sock`);

const listen = async (server: net.Server, path: string): Promise<void> => new Promise((res) => server.listen(path, res));
const shut = async (server: net.Server): Promise<void> => {
  if ('closeAllConnections' in server) (server as http.Server).closeAllConnections();
  await new Promise<void>((res) => server.close(() => res()));
};

/** A raw server: `answer` gets every request's bytes and the socket, and writes what it likes. */
function rawServer(answer: (request: string, socket: net.Socket, nth: number) => void): {
  server: net.Server;
  connections: () => number;
  requests: () => number;
} {
  let connections = 0;
  let requests = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.on('data', (d) => answer(d.toString('latin1'), s, ++requests));
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  return { server, connections: () => connections, requests: () => requests };
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK';

describe('ping connection', () => {
  it('asks a real HTTP server GET /_ping on one kept-alive connection, poll after poll', async () => {
    const path = socketPath();
    const seen: string[] = [];
    let connections = 0;
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.host}`);
      res.setHeader('Api-Version', '1.43');
      res.end('OK');
    });
    server.on('connection', () => connections++);
    await listen(server, path);
    const p = createPingConnection(path);
    try {
      for (let i = 0; i < 5; i++) assert.deepEqual(await p.ping(2000), { status: 200, body: 'OK' });
      assert.deepEqual(seen, Array(5).fill('GET /_ping docker'));
      assert.equal(connections, 1, 'one connection for five pings');
    } finally {
      p.close();
      await shut(server);
    }
  });

  it('dials again after the server closes the idle connection, or restarts, without failing a ping', async () => {
    const path = socketPath();
    const server = http.createServer((_req, res) => res.end('OK'));
    await listen(server, path);
    const p = createPingConnection(path);
    try {
      assert.equal((await p.ping(2000)).status, 200);
      server.closeIdleConnections();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal((await p.ping(2000)).status, 200, 'after the idle close');
      await shut(server);
      rmSync(path, { force: true });
      const again = http.createServer((_req, res) => res.end('OK'));
      await listen(again, path);
      try {
        assert.equal((await p.ping(2000)).status, 200, 'after a restart of the server');
      } finally {
        await shut(again);
      }
    } finally {
      p.close();
    }
  });

  it('retries once on a fresh connection when a reused one closes before answering', async () => {
    const path = socketPath();
    // The second request on the first connection is met with a close: a server that went away idle.
    const raw = rawServer((_req, s, nth) => (nth === 2 ? s.destroy() : s.write(OK)));
    await listen(raw.server, path);
    const p = createPingConnection(path);
    try {
      assert.equal((await p.ping(2000)).status, 200);
      assert.equal((await p.ping(2000)).status, 200, 'the retry answered');
      assert.deepEqual([raw.connections(), raw.requests()], [2, 3]);
    } finally {
      p.close();
      await shut(raw.server);
    }
  });

  it('a server that accepts and never answers: a DeadlineError, and the late answer is never read as the next', async () => {
    const path = socketPath();
    const raw = rawServer((_req, s, nth) => {
      if (nth === 1) setTimeout(() => s.writable && s.write('HTTP/1.1 500 Late\r\nContent-Length: 0\r\n\r\n'), 300);
      else s.write(OK);
    });
    await listen(raw.server, path);
    const p = createPingConnection(path);
    try {
      await assert.rejects(p.ping(100), DeadlineError);
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual(await p.ping(2000), { status: 200, body: 'OK' });
      assert.equal(raw.connections(), 2, 'the timed-out connection was dropped');
    } finally {
      p.close();
      await shut(raw.server);
    }
  });

  for (const [what, reply] of [
    ['garbage', 'SSH-2.0-OpenSSH_9.2\r\n\r\n'],
    ['an endless header', 'HTTP/1.1 200 OK\r\nX: ' + 'a'.repeat(20_000)],
    ['a body beyond the cap', 'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n' + 'a'.repeat(100_000)],
    ['a close inside the body', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nOK'],
  ] as const) {
    it(`a server that answers ${what}: a one-line error, and the next ping dials afresh`, async () => {
      const path = socketPath();
      const raw = rawServer((_req, s, nth) => (nth === 1 ? s.end(reply) : s.write(OK)));
      await listen(raw.server, path);
      const p = createPingConnection(path);
      try {
        const err = await p.ping(2000).then(
          () => null,
          (e: unknown) => e,
        );
        assert.ok(err instanceof Error, 'the ping failed');
        assert.ok(!err.message.includes('\n') && err.message.length < 200, err.message);
        assert.deepEqual(await p.ping(2000), { status: 200, body: 'OK' });
      } finally {
        p.close();
        await shut(raw.server);
      }
    });
  }

  it('two answers to one request: the first is read, the connection is not kept', async () => {
    const path = socketPath();
    const raw = rawServer((_req, s, nth) => s.write(nth === 1 ? OK + 'HTTP/1.1 500 Extra\r\nContent-Length: 0\r\n\r\n' : OK));
    await listen(raw.server, path);
    const p = createPingConnection(path);
    try {
      assert.equal((await p.ping(2000)).status, 200);
      assert.equal((await p.ping(2000)).status, 200, 'the extra answer was not read as this one');
      assert.equal(raw.connections(), 2);
    } finally {
      p.close();
      await shut(raw.server);
    }
  });

  it('no socket, or a refused one: the connect error, as the HTTP client gave it', async () => {
    const p = createPingConnection(join(dir, 'absent.sock'));
    await assert.rejects(p.ping(2000), /ENOENT/);
  });
});
