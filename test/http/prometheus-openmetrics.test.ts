/**
 * A real Prometheus (Debian's) scrapes the built exporter and gets OpenMetrics, gzip-compressed, as it
 * asks for by default; its OpenMetrics parser accepts every scrape and stores the same series names as
 * the classic format carries. A plain recording proxy between the two keeps what was asked and answered.
 *
 * The exporter watches a recorded /proc tree (test/fixtures/proc/docker-rig) rather than a live engine:
 * the format, not the engine, is under test here, and no daemon has to start.
 *
 * `promtool check metrics` (2.42) parses only the classic text format (an OpenMetrics counter family
 * `x` with samples `x_total` reads to it as two metrics), so the classic exposition is linted with it
 * and the OpenMetrics one is read by promtool's OpenMetrics parser, the one `promtool tsdb
 * create-blocks-from openmetrics` uses, which wants a timestamp on every sample.
 */
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { fetchText, repoRoot, run, startExporter, waitFor, type ExporterProcess } from '../support/engine-rig.js';
import { activeTargets, instantQuery, prometheusAvailability, startPrometheus, type PrometheusProcess } from '../support/prometheus.js';

interface Exchange {
  requestHeaders: IncomingHttpHeaders;
  responseHeaders: IncomingHttpHeaders;
  raw: Buffer;
}

/** Forwards every request to the exporter unchanged and keeps the last exchange. */
function recordingProxy(targetPort: number, record: (e: Exchange) => void): Server {
  return createServer((req, res) => {
    const upstream = request({ host: '127.0.0.1', port: targetPort, path: req.url, method: req.method, headers: req.headers }, (up) => {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const raw = Buffer.concat(chunks);
        record({ requestHeaders: req.headers, responseHeaders: up.headers, raw });
        res.writeHead(up.statusCode ?? 502, up.headers);
        res.end(raw);
      });
    });
    upstream.on('error', () => res.writeHead(502).end());
    upstream.end();
  });
}

const availability = prometheusAvailability();
const skip = availability.ok ? false : process.env.CI === 'true' ? false : availability.why;
const JOB = 'openmetrics';

describe('Prometheus scrapes OpenMetrics with gzip', { skip, timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'prom-openmetrics-'));
  let exporter: ExporterProcess | undefined;
  let prom: PrometheusProcess | undefined;
  let proxy: Server | undefined;
  let last: Exchange | undefined;

  before(async () => {
    assert.ok(availability.ok, availability.ok ? '' : availability.why);
    const fixture = join(repoRoot(), 'test', 'fixtures', 'proc', 'docker-rig');
    exporter = await startExporter({
      args: [`--path.procfs=${fixture}`, `--docker.pidfile=${join(fixture, 'docker.pid')}`, `--docker.host=unix://${join(dir, 'docker.sock')}`],
    });
    const exporterPort = exporter.port;
    proxy = recordingProxy(exporterPort, (e) => (last = e));
    await new Promise<void>((r) => proxy?.listen(0, '127.0.0.1', r));
    const address = proxy.address();
    assert.ok(address !== null && typeof address === 'object');
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s' },
      scrape_configs: [{ job_name: JOB, static_configs: [{ targets: [`127.0.0.1:${address.port}`] }] }],
    };
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, JSON.stringify(config));
    prom = await startPrometheus({ configFile, dir });
  });

  after(async () => {
    try {
      await prom?.stop();
      await exporter?.stop();
      proxy?.closeAllConnections();
      await new Promise((r) => (proxy ? proxy.close(r) : r(undefined)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks for OpenMetrics and gzip, gets both, and its scrapes succeed', async () => {
    const p = prom;
    assert.ok(p);
    // Several scrapes in a row, each one parsed by Prometheus's OpenMetrics parser without an error.
    await waitFor(
      'three successful scrapes',
      async () => Number((await instantQuery(p.url, `count_over_time(up{job="${JOB}"}[1m])`))[0]?.value[1] ?? 0) >= 3,
      30_000,
      250,
    );
    const target = (await activeTargets(p.url)).find((t) => t.labels['job'] === JOB);
    assert.equal(target?.health, 'up', `target: ${JSON.stringify(target)}\n${p.logTail()}`);
    assert.equal(target.lastError, '');
    assert.equal(Number((await instantQuery(p.url, `min_over_time(up{job="${JOB}"}[1m])`))[0]?.value[1]), 1);

    assert.ok(last);
    assert.match(String(last.requestHeaders['accept']), /^application\/openmetrics-text/);
    assert.match(String(last.requestHeaders['accept-encoding']), /gzip/);
    assert.equal(last.responseHeaders['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    assert.equal(last.responseHeaders['content-encoding'], 'gzip');
    assert.ok(gunzipSync(last.raw).toString('utf8').endsWith('\n# EOF\n'));
  });

  it('stores exactly the series names of the classic exposition', async () => {
    const p = prom;
    assert.ok(p && exporter);
    const classic = (await fetchText(`${exporter.url}/metrics`)).body;
    const classicNames = new Set(
      classic
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0] ?? l),
    );
    const stored = await instantQuery(p.url, `group by (__name__) ({job="${JOB}"})`);
    const own = new Set([
      'up',
      'scrape_duration_seconds',
      'scrape_samples_scraped',
      'scrape_samples_post_metric_relabeling',
      'scrape_series_added',
    ]);
    const storedNames = new Set(stored.map((s) => s.metric['__name__'] ?? '').filter((n) => !own.has(n)));
    assert.deepEqual([...storedNames].sort(), [...classicNames].sort());
    assert.ok(storedNames.has('docker_engine_component_restarts_total'));
  });

  it('the classic exposition passes promtool check metrics; the OpenMetrics one parses in promtool', async () => {
    assert.ok(exporter && last);
    const classic = (await fetchText(`${exporter.url}/metrics`)).body;
    const lint = await run('promtool', ['check', 'metrics'], { input: classic, allowFailure: true, timeoutMs: 30_000 });
    assert.equal(`${lint.stdout}${lint.stderr}`, '', 'promtool check metrics must print nothing');
    assert.equal(lint.code, 0);

    const om = gunzipSync(last.raw).toString('utf8');
    const now = Math.floor(Date.now() / 1000);
    const stamped = om
      .split('\n')
      .map((l) => (l === '' || l.startsWith('#') ? l : `${l} ${now}`))
      .join('\n');
    const input = join(dir, 'scrape.om');
    writeFileSync(input, stamped);
    const blocks = await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, join(dir, 'blocks')], {
      allowFailure: true,
      timeoutMs: 60_000,
    });
    assert.equal(blocks.code, 0, `${blocks.stdout}${blocks.stderr}`);
    assert.doesNotMatch(`${blocks.stdout}${blocks.stderr}`, /error|expected/i);
    // A broken exposition does fail that parser (the check above can fail): a sample after # EOF.
    writeFileSync(input, `${stamped}x_after_eof 1 ${now}\n`);
    const broken = await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, join(dir, 'blocks2')], {
      allowFailure: true,
      timeoutMs: 60_000,
    });
    assert.match(`${broken.stdout}${broken.stderr}`, /EOF|unexpected|error/i);
    assert.ok(readFileSync(join(dir, 'scrape.om'), 'utf8').length > 0);
  });
});
