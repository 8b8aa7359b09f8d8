/**
 * Reliability under HTTP abuse: the built exporter (dist/main.js) on loopback against
 * malformed, oversized and slow requests and 1,000 concurrent scrapes. Every abusive request gets a
 * 4xx or a closed connection, never a 2xx, a 5xx or a hang; /metrics keeps answering correctly after
 * each phase; RSS (/proc/<pid>/status VmRSS, sampled every 100 ms) stays under 200 MB. The limits the
 * server has (head size, body, timeouts) are asserted as measured, so that a change to them is seen.
 *
 * No engine is needed (`--docker.host= --docker.pidfile=`), except for the last test, which watches an
 * idle stand-in containerd (test/support/fake-engine.ts) to see whether running out of file
 * descriptors under a connection flood fakes an engine outage.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { delay, parseExposition, startExporter, type ExporterProcess } from '../support/engine-rig.js';
import { bytewise, head, rawRequest, type RawResult } from '../support/raw-http.js';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.js';
import { FD_LIMIT, startWrappedExporter } from '../support/wrapped-exporter.js';
import { startSampler } from '../support/scrape-sampler.js';

const RSS_BOUND = 200 * 1024 * 1024;
const MiB = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;

function rssOf(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** A 4xx, or no answer and a closed connection: what an abusive request may get. */
function refused(r: RawResult): boolean {
  return (r.status !== null && r.status >= 400 && r.status < 500) || (r.status === null && r.closed);
}
const show = (r: RawResult): string =>
  `${r.statusLine ?? 'no answer'}${r.closed ? ', closed' : ''}${r.timedOut ? ', timed out' : ''}${r.writeError ? `, write ${r.writeError}` : ''} after ${r.elapsedMs} ms`;

/** One GET on its own connection (no keep-alive pool); status and body. */
function getOnce(port: number, path: string, timeoutMs: number): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP abuse against the built exporter', { timeout: 400_000 }, () => {
  let ex: ExporterProcess | undefined;
  let rssTimer: NodeJS.Timeout | undefined;
  const rss = { start: 0, max: 0, last: 0 };

  const e = (): ExporterProcess => {
    assert.ok(ex, 'exporter not started');
    return ex;
  };

  /** /metrics answers 200 with a parseable exposition holding the exporter's own series; /healthz answers. */
  async function assertServing(): Promise<void> {
    assert.equal(e().exited(), false, 'the exporter exited');
    const m = await getOnce(e().port, '/metrics', 10_000);
    assert.equal(m.status, 200);
    const series = parseExposition(m.body);
    assert.ok(
      [...series.keys()].some((k) => k.startsWith('docker_engine_exporter_build_info{')),
      'build_info in /metrics',
    );
    assert.equal(series.get('docker_engine_exporter_poll_errors_total{source="procfs"}'), 0);
    const h = await getOnce(e().port, '/healthz', 10_000);
    assert.ok(h.status === 200 || h.status === 503, `/healthz ${h.status}`);
  }

  before(async () => {
    ex = await startExporter({ args: ['--docker.host=', '--docker.pidfile=', '--poll.interval=1s', '--log.format=json'] });
    await delay(1500); // a poll or two, and the probes' first round
    rss.start = rssOf(ex.pid) ?? 0;
    rss.max = rss.start;
    rssTimer = setInterval(() => {
      const v = rssOf(e().pid);
      if (v !== null) {
        rss.last = v;
        rss.max = Math.max(rss.max, v);
      }
    }, 100);
  });

  after(async () => {
    if (rssTimer) clearInterval(rssTimer);
    await ex?.stop();
  });

  it('garbage bytes and invalid HTTP: 400 (or a closed connection)', async (t) => {
    const port = e().port;
    const cases: Record<string, Buffer | string> = {
      'TLS ClientHello on the plain port': Buffer.concat([
        Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]),
        randomBytes(500),
      ]),
      'HTTP/2 prior-knowledge preface': 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
      'NUL bytes': Buffer.alloc(64),
      'HTTP/1.1 without Host': 'GET /metrics HTTP/1.1\r\n\r\n',
      'unknown HTTP version': head('GET /metrics HTTP/9.9'),
      'lower-case method': head('get /metrics HTTP/1.1'),
      'bare LF line ends': 'GET /metrics HTTP/1.1\nHost: x\n\n',
      'header line without a colon': 'GET /metrics HTTP/1.1\r\nHost: x\r\nBadHeader\r\n\r\n',
      'space in a header name': 'GET /metrics HTTP/1.1\r\nHost: x\r\nX Y: z\r\n\r\n',
      'NUL in a header value': 'GET /metrics HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n',
      'control character in Host': head('GET /metrics HTTP/1.1', [['Host', 'a b\x01']]),
      'obsolete header folding': 'GET /metrics HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n',
      'Content-Length and Transfer-Encoding (smuggling)':
        head('POST /metrics HTTP/1.1', [
          ['Host', 'x'],
          ['Content-Length', '5'],
          ['Transfer-Encoding', 'chunked'],
        ]) + '0\r\n\r\n',
      'two different Content-Lengths':
        head('GET /metrics HTTP/1.1', [
          ['Host', 'x'],
          ['Content-Length', '5'],
          ['Content-Length', '6'],
        ]) + 'hello!',
      'negative Content-Length': head('GET /metrics HTTP/1.1', [
        ['Host', 'x'],
        ['Content-Length', '-1'],
      ]),
      'broken chunked body':
        head('GET /metrics HTTP/1.1', [
          ['Host', 'x'],
          ['Transfer-Encoding', 'chunked'],
        ]) + 'ZZZ\r\n\r\n',
      'bad percent-encoding in the path': head('GET /metrics%zz HTTP/1.1'),
    };
    for (let i = 0; i < 20; i++) {
      // The first byte is made one that can start no request: a random upper-case letter (a method's
      // start) or CR/LF (skipped before a request line) is a valid prefix, and the parser rightly
      // waits for the rest (in CI a 1-byte case drew one and timed out).
      const bytes = randomBytes(1 + ((i * 997) % 8192));
      bytes[0] = (bytes[0] ?? 0) | 0x80;
      cases[`random bytes #${i}`] = bytes;
    }
    const bad: string[] = [];
    for (const [name, send] of Object.entries(cases)) {
      const r = await rawRequest({ port, send, timeoutMs: 10_000 });
      t.diagnostic(`${name}: ${show(r)}`);
      if (!refused(r)) bad.push(`${name}: ${show(r)}`);
    }
    assert.deepEqual(bad, [], 'every malformed request: a 4xx or a closed connection');
    await assertServing();
  });

  it('methods other than GET and HEAD: 405 on the served paths, 4xx elsewhere', async () => {
    const port = e().port;
    const bad: string[] = [];
    for (const path of ['/metrics', '/healthz', '/']) {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        const r = await rawRequest({ port, send: head(`${method} ${path} HTTP/1.1`) });
        if (r.status !== 405) bad.push(`${method} ${path}: ${show(r)}`);
      }
    }
    for (const line of ['TRACE /metrics', 'PROPFIND /metrics', 'FOO /metrics', 'CONNECT 127.0.0.1:22', 'GET /../../etc/passwd', 'GET /nope']) {
      const r = await rawRequest({ port, send: head(`${line} HTTP/1.1`) });
      if (!refused(r)) bad.push(`${line}: ${show(r)}`);
    }
    assert.deepEqual(bad, []);
    await assertServing();
  });

  it('heads over 16 KiB: 431 (a 100 KB URL, one 17 KiB header, 3,000 headers, 1 MB of headers)', async () => {
    const port = e().port;
    const cases: Record<string, string> = {
      '100 KB URL': head(`GET /metrics?${'a'.repeat(100_000)} HTTP/1.1`),
      '17 KiB header': head('GET /metrics HTTP/1.1', [
        ['Host', 'x'],
        ['X-Big', 'a'.repeat(17 * 1024)],
      ]),
      '3,000 headers': head('GET /metrics HTTP/1.1', [
        ['Host', 'x'],
        ...Array.from({ length: 3000 }, (_, i): [string, string] => [`X-${i}`, 'v']),
      ]),
      '1 MB of headers': head('GET /metrics HTTP/1.1', [
        ['Host', 'x'],
        ...Array.from({ length: 1024 }, (_, i): [string, string] => [`X-${i}`, 'b'.repeat(1000)]),
      ]),
    };
    const bad: string[] = [];
    for (const [name, send] of Object.entries(cases)) {
      const r = await rawRequest({ port, send, timeoutMs: 10_000 });
      if (!(r.status === 431 || (r.status === null && r.closed))) bad.push(`${name}: ${show(r)}`);
    }
    assert.deepEqual(bad, [], 'Node answers 431 past its 16 KiB maxHeaderSize');
    await assertServing();
  });

  it('a 10 MB body to /metrics is refused (4xx or closed), never read and answered', async (t) => {
    const port = e().port;
    const tenMiB = Buffer.alloc(10 * 1024 * 1024, 0x61);
    const chunked: (Buffer | string)[] = [];
    for (let i = 0; i < 10; i++) chunked.push('100000\r\n', tenMiB.subarray(0, 0x100000), '\r\n');
    chunked.push('0\r\n\r\n');
    const cases: Record<string, (Buffer | string)[]> = {
      'POST, Content-Length 10 MiB': [
        head('POST /metrics HTTP/1.1', [
          ['Host', 'x'],
          ['Content-Length', String(tenMiB.length)],
        ]),
        tenMiB,
      ],
      'POST, chunked 10 MiB': [
        head('POST /metrics HTTP/1.1', [
          ['Host', 'x'],
          ['Transfer-Encoding', 'chunked'],
        ]),
        ...chunked,
      ],
      'GET, Content-Length 10 MiB': [
        head('GET /metrics HTTP/1.1', [
          ['Host', 'x'],
          ['Content-Length', String(tenMiB.length)],
        ]),
        tenMiB,
      ],
      'GET, chunked 10 MiB': [
        head('GET /metrics HTTP/1.1', [
          ['Host', 'x'],
          ['Transfer-Encoding', 'chunked'],
        ]),
        ...chunked,
      ],
    };
    const bad: string[] = [];
    for (const [name, send] of Object.entries(cases)) {
      const r = await rawRequest({ port, send, timeoutMs: 20_000 });
      t.diagnostic(`${name}: ${show(r)}`);
      if (!refused(r)) bad.push(`${name}: ${show(r)}`);
    }
    // A body announced with Expect: 100-continue should not be invited ("100 Continue") on a path
    // that takes no body.
    const expect = await rawRequest({
      port,
      send: head('POST /metrics HTTP/1.1', [
        ['Host', 'x'],
        ['Expect', '100-continue'],
        ['Content-Length', String(tenMiB.length)],
      ]),
    });
    t.diagnostic(`POST with Expect: 100-continue: ${show(expect)}`);
    if (!refused(expect)) bad.push(`POST with Expect: 100-continue: ${show(expect)}`);
    assert.deepEqual(bad, [], 'bodyLimit is 1024 bytes, and nothing here takes a body');
    await assertServing();
  });

  it('Slowloris: heads dripped one byte per 100 ms, idle and half-sent requests are closed by the server, scrapes still answered', async (t) => {
    const port = e().port;
    const drip = bytewise(
      head('GET /metrics HTTP/1.1', [
        ['Host', 'x'],
        ['X-Pad', 'a'.repeat(4000)],
      ]),
    ); // ~400 s to send in full
    const BOUND_MS = 70_000; // requestTimeout 30 s, checked every 30 s (Node's connectionsCheckingInterval): 30-60 s
    const conversations: Promise<[string, RawResult]>[] = [];
    for (let i = 0; i < 50; i++) {
      conversations.push(rawRequest({ port, send: drip, pieceDelayMs: 100, timeoutMs: BOUND_MS, untilClose: true }).then((r) => ['drip', r]));
    }
    for (let i = 0; i < 20; i++)
      conversations.push(rawRequest({ port, send: '', timeoutMs: BOUND_MS, untilClose: true }).then((r) => ['idle', r]));
    for (let i = 0; i < 20; i++) {
      conversations.push(
        rawRequest({ port, send: 'GET /metrics HTTP/1.1\r\nHost: x\r\n', timeoutMs: BOUND_MS, untilClose: true }).then((r) => ['half head', r]),
      );
    }
    // While they hang on, Prometheus-like scrapes keep being answered.
    const sampler = startSampler(e().url, 500, 5000);
    const results = await Promise.all(conversations);
    const samples = await sampler.stop();
    const failed = samples.filter((s) => s.status !== 200);
    const byKind = new Map<string, number[]>();
    for (const [kind, r] of results) byKind.set(kind, [...(byKind.get(kind) ?? []), r.elapsedMs]);
    for (const [kind, ms] of byKind) t.diagnostic(`${kind}: closed by the server after ${Math.min(...ms)}-${Math.max(...ms)} ms`);
    t.diagnostic(`scrapes during the Slowloris: ${samples.length}, failed ${failed.length}`);
    assert.deepEqual(
      failed.map((s) => s.error),
      [],
      'every scrape during the Slowloris answered 200',
    );
    const open = results.filter(([, r]) => !r.closed);
    assert.deepEqual(
      open.map(([k, r]) => `${k}: ${show(r)}`),
      [],
      `every slow connection closed by the server within ${BOUND_MS} ms`,
    );
    const answered = results.filter(([, r]) => r.status !== null && !refused(r));
    assert.deepEqual(
      answered.map(([k, r]) => `${k}: ${show(r)}`),
      [],
      'slow requests get a 408 or a close, never an answer',
    );
    await assertServing();
  });

  it('1,000 concurrent scrapes, each on its own connection: all 200 with a complete exposition', async (t) => {
    const port = e().port;
    const started = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 1000 }, () => getOnce(port, '/metrics', 60_000)));
    const wallMs = performance.now() - started;
    const bad: string[] = [];
    const times: number[] = [];
    for (const r of results) {
      if (r.status === 'rejected') {
        bad.push(String((r.reason as Error).message));
        continue;
      }
      times.push(r.value.ms);
      if (r.value.status !== 200) bad.push(`status ${r.value.status}`);
      else if (!r.value.body.includes('docker_engine_exporter_build_info{') || !r.value.body.endsWith('\n')) bad.push('incomplete exposition');
    }
    times.sort((a, b) => a - b);
    const pct = (p: number): number => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] ?? NaN;
    t.diagnostic(
      `1,000 concurrent scrapes in ${wallMs.toFixed(0)} ms: p50 ${pct(50).toFixed(0)} ms, p99 ${pct(99).toFixed(0)} ms, max ${pct(100).toFixed(0)} ms; RSS max so far ${MiB(rss.max)}`,
    );
    assert.deepEqual([...new Set(bad)], [], `${bad.length} of 1,000 scrapes failed`);
    await assertServing();
  });

  it('1,000 pipelined scrapes on one connection that never reads: memory stays bounded', async (t) => {
    const port = e().port;
    const socket: Socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.pause(); // never read: the server's answers pile up unless it applies backpressure
    socket.write(head('GET /metrics HTTP/1.1').repeat(1000));
    const before = rss.max;
    await delay(5000);
    socket.destroy();
    t.diagnostic(`RSS max before ${MiB(before)}, after 5 s of unread pipelined answers ${MiB(rss.max)}`);
    assert.ok(rss.max < RSS_BOUND, `RSS ${MiB(rss.max)}`);
    await assertServing();
  });

  it(`RSS stayed under ${MiB(RSS_BOUND)} through all of the above`, (t) => {
    t.diagnostic(`RSS at start ${MiB(rss.start)}, max ${MiB(rss.max)}, now ${MiB(rss.last)}`);
    assert.ok(rss.max > 0, 'RSS was sampled');
    assert.ok(rss.max < RSS_BOUND, `RSS max ${MiB(rss.max)}`);
  });
});

describe('a connection flood that exhausts file descriptors', { timeout: 120_000 }, () => {
  let fake: FakeEngine | undefined;
  let limited: ExporterProcess | undefined;
  after(async () => {
    await limited?.stop();
    await fake?.stop();
  });

  // LimitNOFILE=256 stands in for any hard limit a flood can reach (Node raises the soft limit to the
  // hard one; systemd's default hard limit is 524288, a unit or container may set less).
  it('never fakes an engine outage (LimitNOFILE=256, a flood of 400 open connections for 6 s)', async (t) => {
    fake = await startFakeEngine();
    limited = await startWrappedExporter(FD_LIMIT(256), [
      '--docker.host=',
      '--docker.pidfile=',
      `--containerd.address=${fake.containerdSocket}`,
      '--poll.interval=200ms',
      '--log.format=json',
    ]);
    const ex = limited;
    await delay(1500);
    const logFrom = ex.jsonLogs().length;
    // 50 new connections every 100 ms for 6 s, the newest 400 kept open: the exporter stays at its
    // limit (libuv accepts and drops what it cannot keep), as under a real flood.
    const sockets: Socket[] = [];
    const until = Date.now() + 6000;
    while (Date.now() < until) {
      for (let i = 0; i < 50; i++) {
        const s = connect(ex.port, '127.0.0.1');
        s.on('error', () => undefined);
        sockets.push(s);
      }
      await delay(100);
      while (sockets.length > 400) sockets.shift()?.destroy();
    }
    for (const s of sockets) s.destroy();
    await delay(2000);
    const lines = ex.jsonLogs().slice(logFrom);
    const changes = lines.filter((l) => l.msg === 'component down' || l.msg === 'component up' || l.msg === 'component restarted');
    const readErrors = lines.filter((l) => l.msg === 'read failed').map((l) => String(l.err));
    t.diagnostic(`state changes during the flood: ${changes.length}; read failures: ${[...new Set(readErrors)].join(' | ') || 'none'}`);
    assert.equal(ex.exited(), false);
    assert.deepEqual(
      changes.map((l) => `${String(l.msg)} ${String(l.component)}`),
      [],
      'the engine did not change; a scan that cannot list /proc (EMFILE) must not report it down',
    );
  });
});
