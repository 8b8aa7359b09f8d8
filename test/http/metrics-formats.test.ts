/**
 * /metrics as promhttp serves it, through a real HTTP client on a listening socket (fastify's inject
 * would skip the wire, where Content-Encoding and Content-Length matter): gzip when Accept-Encoding
 * allows it, OpenMetrics when Accept prefers it, the classic text format otherwise, and the same
 * behaviour on another --web.telemetry-path.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { parseFlags } from '../../src/config/flags.js';
import { createExporter } from '../../src/exporter.js';
import { createLogger } from '../../src/log/logger.js';
import { acceptsGzip, negotiateFormat } from '../../src/http/metrics-route.js';
import type { ProcessSource } from '../../src/sources/process-source.js';
import { child, containerd, dockerd, shim, snapshot } from '../unit/engine-helpers.js';

/** Prometheus 2.42's own scrape Accept header (scrape/scrape.go, acceptHeader). */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as it came over the wire, not decoded. */
  raw: Buffer;
}

function get(port: number, path: string, headers: Record<string, string>, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A scripted process source (one literal snapshot, as in app.test.ts): with no poll between two
 * scrapes, the engine series are the same in both, so two formats of them can be compared exactly.
 */
function scripted(): ProcessSource {
  const snap = snapshot([dockerd(10), containerd(20, 10), shim(50, 'a'), child(51, 50, 'docker-init')], 10);
  return { name: 'procfs', scan: () => Promise.resolve({ ...snap, takenAtMs: Date.now() }), close: async () => {} };
}

async function withExporter(extraFlags: string[], fn: (port: number) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'metrics-formats-'));
  const parsed = parseFlags([`--docker.host=unix://${dir}/docker.sock`, `--path.rootfs=${dir}`, ...extraFlags], {});
  if (parsed.kind !== 'run') throw new Error('expected a run config');
  const exporter = createExporter(parsed.config, { logger: createLogger('error', 'json', () => {}), mode: 'look', source: scripted() });
  try {
    await exporter.poller.pollOnce();
    await exporter.app.listen({ host: '127.0.0.1', port: 0 });
    const address = exporter.app.server.address();
    assert.ok(address !== null && typeof address === 'object');
    await fn(address.port);
  } finally {
    await exporter.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The engine's sample lines (`docker_engine_*` but not the exporter's own, which change per scrape). */
function engineSamples(body: string): string[] {
  return body.split('\n').filter((l) => l.startsWith('docker_engine_') && !l.startsWith('docker_engine_exporter_'));
}

describe('/metrics formats and compression', () => {
  it('gzip when accepted: the body decodes to the same exposition as an uncompressed scrape', async () => {
    await withExporter([], async (port) => {
      const plain = await get(port, '/metrics', {});
      assert.equal(plain.status, 200);
      assert.equal(plain.headers['content-encoding'], undefined);
      const zipped = await get(port, '/metrics', { 'accept-encoding': 'gzip' });
      assert.equal(zipped.status, 200);
      assert.equal(zipped.headers['content-encoding'], 'gzip');
      assert.equal(zipped.headers['content-type'], plain.headers['content-type']);
      assert.match(String(zipped.headers['vary']), /Accept-Encoding/);
      // Really gzip on the wire (magic bytes 1f 8b), and smaller than the text it carries.
      assert.deepEqual([...zipped.raw.subarray(0, 2)], [0x1f, 0x8b]);
      const decoded = gunzipSync(zipped.raw).toString('utf8');
      assert.ok(zipped.raw.length < decoded.length / 2, `${zipped.raw.length} bytes of gzip for ${decoded.length} of text`);
      const samples = engineSamples(decoded);
      assert.ok(samples.some((l) => l.startsWith('docker_engine_component_up{component="containerd"} 1')));
      assert.deepEqual(samples, engineSamples(plain.raw.toString('utf8')));
      // The same metric families in the same order, exporter's own ones included.
      const families = (b: string): string[] => b.split('\n').filter((l) => l.startsWith('# TYPE '));
      assert.deepEqual(families(decoded), families(plain.raw.toString('utf8')));
    });
  });

  it('gzip refused (q=0) or not offered: identity', async () => {
    await withExporter([], async (port) => {
      for (const enc of ['gzip;q=0', 'br', 'identity', '*;q=0']) {
        const res = await get(port, '/metrics', { 'accept-encoding': enc });
        assert.equal(res.headers['content-encoding'], undefined, enc);
        assert.match(res.raw.toString('utf8'), /^# HELP /, enc);
      }
    });
  });

  it("OpenMetrics for Prometheus's Accept header: counters as families without _total, # EOF at the end", async () => {
    await withExporter([], async (port) => {
      const om = await get(port, '/metrics', { accept: PROMETHEUS_ACCEPT, 'accept-encoding': 'gzip' });
      assert.equal(om.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8');
      const body = gunzipSync(om.raw).toString('utf8');
      assert.ok(body.endsWith('\n# EOF\n'), 'an OpenMetrics exposition ends with # EOF');
      assert.match(body, /^# TYPE docker_engine_component_restarts counter$/m);
      assert.match(body, /^docker_engine_component_restarts_total\{component="containerd"\} 0$/m);
      assert.doesNotMatch(body, /_total_total/);
      // The same samples as the classic format: a counter keeps its name in Prometheus either way.
      const text = (await get(port, '/metrics', {})).raw.toString('utf8');
      assert.deepEqual(engineSamples(body), engineSamples(text));
    });
  });

  it('an OpenMetrics scrape leaves the classic format unchanged (prom-client renames counters it prints)', async () => {
    await withExporter([], async (port) => {
      const before = (await get(port, '/metrics', {})).raw.toString('utf8');
      await get(port, '/metrics', { accept: 'application/openmetrics-text' });
      const after = (await get(port, '/metrics', {})).raw.toString('utf8');
      assert.match(after, /^# TYPE docker_engine_component_restarts_total counter$/m);
      assert.deepEqual(engineSamples(after), engineSamples(before));
    });
  });

  it('another --web.telemetry-path negotiates the same way; /metrics is then not served', async () => {
    await withExporter(['--web.telemetry-path=/probe/engine'], async (port) => {
      const om = await get(port, '/probe/engine', { accept: PROMETHEUS_ACCEPT, 'accept-encoding': 'gzip' });
      assert.equal(om.status, 200);
      assert.equal(om.headers['content-encoding'], 'gzip');
      assert.ok(gunzipSync(om.raw).toString('utf8').endsWith('# EOF\n'));
      assert.equal((await get(port, '/metrics', {})).status, 404);
      const head = await get(port, '/probe/engine', { 'accept-encoding': 'gzip' }, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.raw.length, 0);
    });
  });
});

describe('content negotiation (expfmt.NegotiateIncludingOpenMetrics)', () => {
  it('picks by q, then header order; unknown versions and */* fall back to text', () => {
    assert.equal(negotiateFormat(undefined), 'text');
    assert.equal(negotiateFormat(''), 'text');
    assert.equal(negotiateFormat('*/*'), 'text');
    assert.equal(negotiateFormat(PROMETHEUS_ACCEPT), 'openmetrics');
    assert.equal(negotiateFormat('application/openmetrics-text'), 'openmetrics');
    assert.equal(negotiateFormat('text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.5'), 'text');
    assert.equal(negotiateFormat('application/openmetrics-text;version=2.0.0,text/plain'), 'text');
    assert.equal(negotiateFormat('application/openmetrics-text;q=0,text/plain'), 'text');
    assert.equal(negotiateFormat('application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily'), 'text');
    assert.equal(negotiateFormat('APPLICATION/OPENMETRICS-TEXT; version="1.0.0"'), 'openmetrics');
  });

  it('hostile headers: garbage q, huge headers, empty parts', () => {
    assert.equal(negotiateFormat('application/openmetrics-text;q=abc'), 'text');
    assert.equal(negotiateFormat(',,,;;;=,'), 'text');
    assert.equal(negotiateFormat(`${'x/y,'.repeat(100_000)}application/openmetrics-text`), 'text');
    assert.equal(acceptsGzip('gzip;q=abc'), false);
    assert.equal(acceptsGzip('deflate, gzip;q=1.0, *;q=0.5'), true);
    assert.equal(acceptsGzip('*'), true);
    assert.equal(acceptsGzip('*, gzip;q=0'), false);
    assert.equal(acceptsGzip(undefined), false);
  });
});
