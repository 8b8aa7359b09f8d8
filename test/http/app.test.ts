/** The HTTP surface through fastify's inject, on the exporter the composition root builds, fed a scripted process source. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from '../../src/config/flags.js';
import { createExporter } from '../../src/exporter.js';
import { createLogger } from '../../src/log/logger.js';
import type { ProcessSource } from '../../src/sources/process-source.js';
import type { ProcessSnapshot } from '../../src/engine/process-model.js';
import { child, containerd, dockerd, shim, snapshot } from '../unit/engine-helpers.js';

/**
 * A scripted source: each scan returns the next literal snapshot. The real procfs source is covered by
 * the fixture and real-engine suites; here only the HTTP answers are under test.
 */
function scripted(snaps: ProcessSnapshot[]): ProcessSource {
  let i = 0;
  return {
    name: 'procfs',
    scan: () => {
      const s = snaps[Math.min(i++, snaps.length - 1)];
      return s ? Promise.resolve({ ...s, takenAtMs: Date.now() }) : Promise.reject(new Error('no snapshot'));
    },
    close: async () => {},
  };
}

/**
 * The exporter as main.ts builds it, polled by hand. dockerd's socket and the host root under which
 * learnt sockets are reached are an empty directory, so every probe fails at once and the answers
 * depend on the scripted processes alone.
 */
function setup(snaps: ProcessSnapshot[], pollInterval = '1s') {
  const dir = mkdtempSync(join(tmpdir(), 'app-test-'));
  const parsed = parseFlags([`--docker.host=unix://${dir}/docker.sock`, `--path.rootfs=${dir}`, `--poll.interval=${pollInterval}`], {});
  if (parsed.kind !== 'run') throw new Error('expected a run config');
  const exporter = createExporter(parsed.config, { logger: createLogger('error', 'json', () => {}), mode: 'look', source: scripted(snaps) });
  const close = async (): Promise<void> => {
    await exporter.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { app: exporter.app, poller: exporter.poller, close };
}

const ENGINE = [dockerd(10), containerd(20, 10), shim(50, 'a'), child(51, 50, 'docker-init'), child(12, 10, 'docker-proxy')];

test('/metrics shows every component, 0 for what is down, and drops what went away', async () => {
  const { app, poller, close } = setup([snapshot(ENGINE, 10), snapshot([dockerd(10)], 10)]);
  await poller.pollOnce();
  let res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
  assert.match(res.body, /^docker_engine_component_up\{component="containerd"\} 1$/m);
  assert.match(res.body, /^docker_engine_component_processes\{component="docker-init"\} 1$/m);
  assert.match(res.body, /^docker_engine_component_start_time_seconds\{component="containerd"\} /m);
  await poller.pollOnce();
  res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.match(res.body, /^docker_engine_component_up\{component="containerd"\} 0$/m);
  assert.match(res.body, /^docker_engine_component_processes\{component="containerd-shim"\} 0$/m);
  assert.doesNotMatch(res.body, /component_start_time_seconds\{component="containerd"\}/, 'no start time for a process that is gone');
  await close();
});

test('stale state is withheld from /metrics and /healthz says 503', async () => {
  // Stale means no successful poll for three of the poller's cadence: 300 ms at this interval (longer
  // when the poll itself took over 100 ms, on a busy machine), and nothing polls here but the test.
  const { app, poller, close } = setup([snapshot(ENGINE, 10)], '100ms');
  await poller.pollOnce();
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  await new Promise((resolve) => setTimeout(resolve, 3 * poller.status().cadenceMs + 100));
  const health = await app.inject({ url: '/healthz' });
  assert.equal(health.statusCode, 503);
  assert.equal(health.json<{ status: string }>().status, 'stale');
  const metrics = await app.inject({ url: '/metrics' });
  assert.doesNotMatch(metrics.body, /^docker_engine_component_up/m);
  assert.match(metrics.body, /^docker_engine_exporter_last_poll_timestamp_seconds /m);
  await close();
});

test('/ links to the metrics; unknown paths 404; wrong methods 405 with Allow', async () => {
  const { app, close } = setup([snapshot(ENGINE, 10)]);
  const landing = await app.inject({ url: '/' });
  assert.equal(landing.statusCode, 200);
  assert.match(landing.body, /<a href="\/metrics">/);
  assert.equal((await app.inject({ url: '/nope' })).statusCode, 404);
  const post = await app.inject({ method: 'POST', url: '/metrics', payload: 'x' });
  assert.equal(post.statusCode, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
  assert.equal((await app.inject({ method: 'DELETE', url: '/healthz' })).statusCode, 405);
  const head = await app.inject({ method: 'HEAD', url: '/metrics' });
  assert.equal(head.statusCode, 200);
  await close();
});
