/**
 * Recording proxies for the read-only proof: one speaks HTTP/1.1 (dockerd's Engine API), one HTTP/2
 * (containerd's gRPC). Each listens on its own unix socket, forwards every request to the real socket
 * unchanged and records its method and path.
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { rmSync } from 'node:fs';

interface RecordedRequest {
  method: string;
  path: string;
}

export interface RecordingProxy {
  socketPath: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startHttpRecordingProxy(socketPath: string, upstreamSocket: string): Promise<RecordingProxy> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '' });
    const up = http.request({ socketPath: upstreamSocket, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  rmSync(socketPath, { force: true });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function startGrpcRecordingProxy(socketPath: string, upstreamSocket: string): Promise<RecordingProxy> {
  const requests: RecordedRequest[] = [];
  const sessions = new Set<http2.ClientHttp2Session>();
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const method = String(headers[':method'] ?? '');
    const path = String(headers[':path'] ?? '');
    requests.push({ method, path });
    // One upstream connection per proxied stream keeps the proxy simple; it is a test fixture.
    const session = http2.connect('http://localhost', { createConnection: () => net.connect(upstreamSocket) });
    sessions.add(session);
    session.on('error', () => {
      if (!stream.destroyed && !stream.closed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
    session.on('close', () => sessions.delete(session));
    const forward: http2.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(headers)) {
      if (k === ':authority' || k === ':scheme') continue;
      forward[k] = v;
    }
    const up = session.request(forward);
    let trailers: http2.IncomingHttpHeaders = {};
    // The client may cancel (the exporter stops, a deadline passes) while the upstream still answers:
    // never touch a stream that is gone (respond/write on it throws, uncaught, in an event handler).
    const gone = (): boolean => stream.destroyed || stream.closed;
    up.on('response', (h, flags) => {
      if (gone()) return;
      const res: http2.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(h)) res[k] = v;
      // gRPC "trailers-only" answers (errors) end the stream in the headers.
      if ((flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0) stream.respond(res, { endStream: true });
      else stream.respond(res, { waitForTrailers: true });
    });
    up.on('trailers', (t: http2.IncomingHttpHeaders) => {
      trailers = t;
    });
    stream.on('wantTrailers', () => {
      if (gone()) return;
      const out: http2.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(trailers)) if (!k.startsWith(':')) out[k] = v;
      stream.sendTrailers(out);
    });
    up.on('data', (chunk: Buffer) => {
      if (!gone()) stream.write(chunk);
    });
    up.on('end', () => {
      if (gone()) return;
      if (!stream.headersSent) stream.respond({ ':status': 200 }, { waitForTrailers: true });
      stream.end();
    });
    up.on('error', () => {
      if (!gone()) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
    stream.on('data', (chunk: Buffer) => up.write(chunk));
    stream.on('end', () => up.end());
    stream.on('close', () => {
      up.close();
      session.close();
    });
    stream.on('error', () => up.close());
  });
  rmSync(socketPath, { force: true });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
        setTimeout(resolve, 2000).unref();
      }),
  };
}
