/**
 * guardConnections on real servers and sockets, with a cap of 3 so the cases are small: over HTTP and
 * over TLS (where the request arrives on the TLS socket, not the TCP one the guard counted), the
 * longest-idle connection makes room; a connection in the middle of a request is never closed for
 * room; with every connection busy the newcomer is the one closed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, Agent as HttpAgent, type Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest, Agent as HttpsAgent, type RequestOptions } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { guardConnections } from '../../src/http/connection-limit.js';
import { makePki, tempDir, type Pki } from './web-config-harness.js';

let tmp: { dir: string; remove: () => void };
let pki: Pki;
before(async () => {
  tmp = tempDir('conn-guard-');
  pki = await makePki(tmp.dir);
});
after(() => tmp.remove());

/** A server whose /hold answers only when release() is called; everything else at once. */
function serve(tls: boolean) {
  const held: Array<() => void> = [];
  const handler = (req: { url?: string }, res: { end: (b: string) => void }): void => {
    if (req.url === '/hold') held.push(() => res.end('held\n'));
    else res.end('ok\n');
  };
  const server: Server = tls
    ? createHttpsServer({ cert: readFileSync(pki.serverCertFile), key: readFileSync(pki.serverKeyFile), keepAliveTimeout: 60_000 }, handler)
    : createHttpServer({ keepAliveTimeout: 60_000 }, handler);
  const guard = guardConnections(server, 3);
  return { server, guard, holding: () => held.length, release: () => held.splice(0).forEach((f) => f()) };
}

/** Waits for a condition the other side brings about (a request arriving, a close reaching us). */
async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
}

/** One keep-alive client per connection (an agent of one socket each), so that we choose the connections. */
function client(port: number, tls: boolean) {
  const agent = tls ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: pki.ca }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  let closed = false;
  // The two agent classes' overloads of on() merge into an untyped listener: name the socket's type.
  agent.on('free', (socket: Socket) => {
    socket.once('close', () => (closed = true));
  });
  const get = (path: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const opts = { host: '127.0.0.1', port, path, agent, servername: 'localhost', timeout: 10_000 };
      const req = tls ? httpsRequest(opts as RequestOptions) : httpRequest(opts);
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.end();
    });
  return { get, closed: () => closed, destroy: () => agent.destroy() };
}

for (const tls of [false, true]) {
  describe(tls ? 'over TLS' : 'over HTTP', () => {
    test('at the cap, the longest-idle connection makes room; busy ones are kept', async () => {
      const { server, guard, holding, release } = serve(tls);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      const clients = [client(port, tls), client(port, tls), client(port, tls), client(port, tls)];
      try {
        const [a, b, c, d] = clients as [
          ReturnType<typeof client>,
          ReturnType<typeof client>,
          ReturnType<typeof client>,
          ReturnType<typeof client>,
        ];
        assert.equal(await a.get('/'), 200); // idle the longest from here on
        const held = b.get('/hold'); // busy until released
        await until('the held request arrived', () => holding() === 1);
        assert.equal(await c.get('/'), 200);
        assert.equal(guard.open, 3);
        assert.equal(await d.get('/'), 200, 'the fourth connection is served');
        await until('a closed', () => a.closed());
        assert.deepEqual([a.closed(), c.closed(), d.closed()], [true, false, false], 'a, idle the longest, made room');
        release();
        assert.equal(await held, 200, 'the busy connection was not closed for room');
        assert.equal(guard.evicted, 1);
        assert.equal(guard.open, 3);
      } finally {
        release();
        for (const x of clients) x.destroy();
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    });

    test('with every connection busy, the newcomer is closed', async () => {
      const { server, guard, holding, release } = serve(tls);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      const clients = [client(port, tls), client(port, tls), client(port, tls), client(port, tls)];
      try {
        const held = clients.slice(0, 3).map((x) => x.get('/hold'));
        await until('the three held requests arrived', () => holding() === 3);
        await assert.rejects(clients[3]!.get('/'), /socket hang up|ECONNRESET|disconnected/);
        assert.equal(guard.refused, 1);
        release();
        assert.deepEqual(await Promise.all(held), [200, 200, 200]);
      } finally {
        release();
        for (const x of clients) x.destroy();
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    });
  });
}
