/**
 * One client opens more keep-alive connections than the server keeps (1,100 against the cap of 1,024),
 * each sends one request and then stays idle. Before, the 1,025th connection and every scrape after it
 * were refused until the idle ones timed out (72 s). Now the longest-idle connection makes room.
 *
 * Against the built exporter (dist/main.js) as its own process. When this process may not open 1,100
 * connections plus the server's own (a file descriptor limit under 2,400), the server is started with
 * `ulimit -n 512` instead, which makes its cap 256 (half the descriptors), and the client opens 332.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { MAX_CONNECTIONS, parseOpenFilesLimit } from '../../src/http/connection-limit.js';
import { delay, startExporter, type ExporterProcess } from '../support/engine-rig.js';
import { head } from '../support/raw-http.js';
import { FD_LIMIT, startWrappedExporter } from '../support/wrapped-exporter.js';
import { get } from './web-config-harness.js';

interface Hog {
  batch: number;
  socket: Socket;
  status: number | null;
  closed: boolean;
}

/** Connects, sends one GET /healthz and resolves once its answer is complete; the socket stays open. */
function openHog(port: number, batch: number): Promise<Hog> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const hog: Hog = { batch, socket, status: null, closed: false };
    let buf = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      hog.closed = true;
      resolve(hog);
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0 || hog.status !== null) return;
      const headText = buf.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headText)?.[1] ?? NaN);
      if (buf.length < end + 4 + length) return;
      hog.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headText)?.[1] ?? 0);
      resolve(hog);
    });
    socket.once('connect', () => socket.write(head('GET /healthz HTTP/1.1')));
  });
}

let exporter: ExporterProcess | undefined;
const hogs: Hog[] = [];
after(async () => {
  for (const h of hogs) h.socket.destroy();
  await exporter?.stop();
});

test(
  '1,100 idle keep-alive connections from one client: every one is answered and fresh scrapes still answer 200',
  { timeout: 120_000 },
  async (t) => {
    const ownLimit = parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8')) ?? Infinity;
    const full = ownLimit >= 2400;
    const cap = full ? MAX_CONNECTIONS : 256;
    const total = cap + 76;
    const args = ['--docker.host=', '--docker.pidfile=', '--poll.interval=1s', '--log.format=json'];
    const ex = full ? await startExporter({ args }) : await startWrappedExporter(FD_LIMIT(512), args);
    exporter = ex;
    t.diagnostic(`server cap ${cap}${full ? '' : ' (ulimit -n 512: this process may not open more)'}, ${total} idle connections`);

    // In batches of 100, each answered before the next opens: within the keep-alive timeout (5 s) as
    // long as the machine is not stalled, so that the cap, not the timeout, is what makes room.
    for (let batch = 0; hogs.length < total; batch++) {
      const n = Math.min(100, total - hogs.length);
      hogs.push(...(await Promise.all(Array.from({ length: n }, () => openHog(ex.port, batch)))));
    }
    const unanswered = hogs.filter((h) => h.status !== 200).length;
    const scrapes = [];
    for (let i = 0; i < 5; i++) scrapes.push((await get(ex.port, { path: '/metrics' })).status);
    await delay(300); // the closes the server sent to reach this process
    const closed = hogs.filter((h) => h.closed);
    const open = hogs.filter((h) => !h.closed);
    t.diagnostic(`hog connections answered ${total - unanswered}, closed by the server ${closed.length}, still open ${open.length}`);

    assert.equal(unanswered, 0, 'a connection beyond the cap is served too (an idle one made room)');
    assert.deepEqual(scrapes, [200, 200, 200, 200, 200]);
    assert.ok(closed.length >= total - cap, `at least the ${total - cap} beyond the cap were closed`);
    const newestClosed = Math.max(...closed.map((h) => h.batch));
    const oldestOpen = Math.min(...open.map((h) => h.batch));
    assert.ok(newestClosed <= oldestOpen, `the longest idle went first (closed up to batch ${newestClosed}, open from batch ${oldestOpen})`);
    assert.ok(open.length >= cap - 100, 'most stayed open: room was made by the cap, not by timeouts');
    assert.equal(ex.exited(), false);
  },
);
