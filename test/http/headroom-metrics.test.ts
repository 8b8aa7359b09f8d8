/**
 * The headroom series on /metrics, from the exporter the composition root builds, fed a scripted
 * source (the real reads are covered by test/sources/headroom-reads.test.ts and the real-engine
 * suite): present with the figures the source read under procfs, absent (not 0) under ps-list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from '../../src/config/flags.js';
import { createExporter } from '../../src/exporter.js';
import { createLogger } from '../../src/log/logger.js';
import type { ProcessSource } from '../../src/sources/process-source.js';
import type { HeadroomReadings, HeadroomRequest } from '../../src/engine/headroom.js';
import { containerd, dockerd, shim, snapshot } from '../unit/engine-helpers.js';

const ENGINE = snapshot([dockerd(10, { threads: 50, openFds: 300 }), containerd(20, 10, { threads: 20, openFds: 90 }), shim(50, 'a')], 10);

async function metricsWith(source: ProcessSource, flags: string[]): Promise<{ body: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-metrics-'));
  const parsed = parseFlags([`--docker.host=unix://${dir}/docker.sock`, `--path.rootfs=${dir}`, ...flags], {});
  if (parsed.kind !== 'run') throw new Error('expected a run config');
  const exporter = createExporter(parsed.config, { logger: createLogger('error', 'json', () => {}), mode: 'look', source });
  try {
    await exporter.poller.pollOnce();
    const body = (await exporter.app.inject({ url: '/metrics' })).body;
    return { body };
  } finally {
    await exporter.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('procfs: the series carry what the source read for the attributed engine', async () => {
  const requests: HeadroomRequest[] = [];
  const readings: HeadroomReadings = {
    processes: [
      { pid: 10, maxFds: 1000, uninterruptibleThreads: 3, cgroupPids: { max: 100, current: 81 } },
      { pid: 20, maxFds: 100, uninterruptibleThreads: 0, cgroupPids: null },
      { pid: 50, maxFds: 1024, uninterruptibleThreads: 0, cgroupPids: null },
    ],
    pidMax: 32768,
    threadsMax: 10000,
    storage: [{ volume: 'data_root', availBytes: 10, sizeBytes: 100, availInodes: null, inodes: null }],
    errors: [],
  };
  const source: ProcessSource = {
    name: 'procfs',
    scan: () => Promise.resolve({ ...ENGINE, takenAtMs: Date.now() }),
    close: async () => {},
    readHeadroom: (request) => {
      requests.push(request);
      return Promise.resolve(readings);
    },
  };
  const { body } = await metricsWith(source, []);
  assert.deepEqual(requests[0]?.processes.map((p) => p.pid).sort(), [10, 20, 50]);
  assert.match(body, /^docker_engine_component_max_fds\{component="dockerd"\} 1000$/m);
  assert.match(body, /^docker_engine_component_worst_fd_ratio\{component="containerd"\} 0\.9$/m);
  assert.match(body, /^docker_engine_component_uninterruptible_threads\{component="dockerd"\} 3$/m);
  assert.match(body, /^docker_engine_task_limit_ratio\{limit="dockerd_cgroup_pids_max"\} 0\.81$/m);
  assert.match(body, /^docker_engine_task_limit\{limit="dockerd_go_max_threads"\} 9000$/m);
  assert.match(body, /^docker_engine_task_limit_used\{limit="kernel_threads_max"\} 71$/m);
  assert.match(body, /^docker_engine_storage_avail_bytes\{volume="data_root"\} 10$/m);
  assert.doesNotMatch(body, /^docker_engine_storage_inodes\{/m, 'no inode count: no series, not 0');
});

test('ps-list: no headroom family at all', async () => {
  const source: ProcessSource = { name: 'ps-list', scan: () => Promise.resolve({ ...ENGINE, takenAtMs: Date.now() }), close: async () => {} };
  const { body } = await metricsWith(source, ['--process.source=ps-list']);
  assert.match(body, /^docker_engine_component_up\{component="dockerd"\} 1$/m);
  assert.doesNotMatch(body, /docker_engine_(component_max_fds|component_worst_fd_ratio|component_uninterruptible_threads|task_limit|storage_)/);
});
