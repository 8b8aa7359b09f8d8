/**
 * containerd's per-poll Health/Check over its own HTTP/2 session (src/sources/containerd/health-session.ts)
 * against HTTP/2 servers on unix sockets that answer as gRPC does, not at all, with an error status, a
 * malformed message, too much, or not HTTP/2 at all. The real containerd's answers are read in the
 * real-engine suites (probes-engine, probes-readonly-engine, the alert and wedge suites); these are the
 * faults it cannot be made to show on demand.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { join } from 'node:path';
import { createHealthSession, GrpcCallError } from '../../src/sources/containerd/health-session.js';

const dir = mkdtempSync('/tmp/health-session.');
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const socketPath = (): string => join(dir, `s${n++}.sock`);

/** A gRPC answer frame: one uncompressed message. */
const frame = (message: Buffer): Buffer => {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
};
const SERVING = frame(Buffer.from([0x08, 0x01]));

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer) => void;

async function grpcServer(handler: Handler): Promise<{ path: string; sessions: () => number; requests: string[]; close: () => Promise<void> }> {
  const path = socketPath();
  const server = http2.createServer();
  const open = new Set<http2.ServerHttp2Session>();
  let sessions = 0;
  const requests: string[] = [];
  server.on('session', (s) => {
    sessions++;
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  server.on('stream', (stream, headers) => {
    requests.push([headers[':method'], headers[':path'], headers['content-type'], `te=${String(headers.te)}`].join(' '));
    const body: Buffer[] = [];
    stream.on('data', (d: Buffer) => body.push(d));
    stream.on('end', () => handler(stream, headers, Buffer.concat(body)));
    stream.on('error', () => undefined);
  });
  await new Promise<void>((res) => server.listen(path, res));
  return {
    path,
    sessions: () => sessions,
    requests,
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}

const answer = (stream: http2.ServerHttp2Stream, message: Buffer, trailers: Record<string, string> = { 'grpc-status': '0' }): void => {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers(trailers));
  stream.end(message);
};

const failure = async (p: Promise<unknown>): Promise<GrpcCallError> => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof GrpcCallError, `a GrpcCallError, not ${String(err)}`);
  assert.ok(!err.message.includes('\n') && err.message.length < 260, err.message);
  return err;
};

describe('Health/Check session', () => {
  it('sends the unary call as gRPC frames it, reads SERVING, and keeps one session across checks', async () => {
    const bodies: string[] = [];
    const srv = await grpcServer((stream, _h, body) => {
      bodies.push(body.toString('hex'));
      answer(stream, SERVING);
    });
    const h = createHealthSession(srv.path);
    try {
      for (let i = 0; i < 3; i++) assert.equal(await h.check(2000), 'SERVING');
      assert.deepEqual(srv.requests, Array(3).fill('POST /grpc.health.v1.Health/Check application/grpc te=trailers'));
      assert.deepEqual(bodies, Array(3).fill('0000000000'), 'an empty HealthCheckRequest, framed');
      assert.equal(srv.sessions(), 1);
    } finally {
      h.close();
      await srv.close();
    }
  });

  it('reads NOT_SERVING and an empty answer (UNKNOWN) as the statuses they are', async () => {
    let i = 0;
    const srv = await grpcServer((stream) => answer(stream, i++ === 0 ? frame(Buffer.from([0x08, 0x02])) : frame(Buffer.alloc(0))));
    const h = createHealthSession(srv.path);
    try {
      assert.equal(await h.check(2000), 'NOT_SERVING');
      assert.equal(await h.check(2000), 'UNKNOWN');
    } finally {
      h.close();
      await srv.close();
    }
  });

  it('a server that never answers: 4 DEADLINE_EXCEEDED, the same session for the next check, which answers', async () => {
    let i = 0;
    const srv = await grpcServer((stream) => {
      if (i++ === 0) return; // hold the first stream open forever
      answer(stream, SERVING);
    });
    const h = createHealthSession(srv.path);
    try {
      const err = await failure(h.check(150));
      assert.equal(err.code, 4);
      assert.equal(err.message, '4 DEADLINE_EXCEEDED: Deadline exceeded');
      assert.equal(await h.check(2000), 'SERVING');
      assert.equal(srv.sessions(), 1, 'a deadline cancels the stream, not the connection');
    } finally {
      h.close();
      await srv.close();
    }
  });

  it('an error status, trailers-only as grpc-go sends it: its code and message', async () => {
    const srv = await grpcServer((stream) => {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown%20service' },
        { endStream: true },
      );
    });
    const h = createHealthSession(srv.path);
    try {
      const err = await failure(h.check(2000));
      assert.equal(err.message, '12 UNIMPLEMENTED: unknown service');
    } finally {
      h.close();
      await srv.close();
    }
  });

  for (const [what, handler, code] of [
    ['an HTTP error status', (s: http2.ServerHttp2Stream) => s.respond({ ':status': 503 }, { endStream: true }), 14],
    ['no grpc-status', (s: http2.ServerHttp2Stream) => (s.respond({ ':status': 200 }), s.end(SERVING)), 13],
    ['a compressed message', (s: http2.ServerHttp2Stream) => answer(s, Buffer.concat([Buffer.from([1]), SERVING.subarray(1)])), 13],
    ['a message longer than its frame says', (s: http2.ServerHttp2Stream) => answer(s, Buffer.concat([SERVING, Buffer.from([0])])), 13],
    ['an undecodable message', (s: http2.ServerHttp2Stream) => answer(s, frame(Buffer.from([0x08, 0x80]))), 13],
    ['an answer beyond the cap', (s: http2.ServerHttp2Stream) => answer(s, frame(Buffer.alloc(10_000))), 8],
  ] as const) {
    it(`${what}: a one-line GrpcCallError (${code}), and the next check still works`, async () => {
      let i = 0;
      const srv = await grpcServer((stream) => (i++ === 0 ? handler(stream) : answer(stream, SERVING)));
      const h = createHealthSession(srv.path);
      try {
        assert.equal((await failure(h.check(2000))).code, code);
        assert.equal(await h.check(2000), 'SERVING');
      } finally {
        h.close();
        await srv.close();
      }
    });
  }

  it('a server that speaks something else: 14 UNAVAILABLE, and it dials again once a real one listens', async () => {
    const path = socketPath();
    const liar = net.createServer((s) => s.resume().end('HTTP/1.1 400 Bad Request\r\n\r\n')); // resume: to see our close
    await new Promise<void>((res) => liar.listen(path, res));
    const h = createHealthSession(path);
    try {
      assert.equal((await failure(h.check(2000))).code, 14);
      await new Promise<void>((res) => liar.close(() => res()));
      rmSync(path, { force: true });
      const server = http2.createServer();
      server.on('stream', (stream) => stream.on('end', () => answer(stream, SERVING)).resume());
      await new Promise<void>((res) => server.listen(path, res));
      try {
        assert.equal(await h.check(2000), 'SERVING');
      } finally {
        h.close();
        await new Promise<void>((res) => server.close(() => res()));
      }
    } finally {
      h.close();
    }
  });

  it('a containerd that restarts: the closed session is forgotten and the next check dials the new one', async () => {
    const srv = await grpcServer((stream) => answer(stream, SERVING));
    const h = createHealthSession(srv.path);
    try {
      assert.equal(await h.check(2000), 'SERVING');
      await srv.close();
      assert.equal((await failure(h.check(2000))).code, 14, 'nothing listens');
    } finally {
      h.close();
    }
  });

  it('no socket: 14 UNAVAILABLE naming the connect error', async () => {
    const h = createHealthSession(join(dir, 'absent.sock'));
    const err = await failure(h.check(2000));
    assert.equal(err.code, 14);
    assert.match(err.message, /ENOENT/);
  });
});
