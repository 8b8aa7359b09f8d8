/**
 * Golden end-to-end test, modelled on node_exporter's end-to-end-test.sh: the built exporter
 * (`node dist/main.js`) runs on each recorded /proc tree (test/fixtures/proc/README.md), with the
 * Engine API and containerd sockets pointing at paths that do not exist so that every probe fails the
 * same way every time. Its /metrics, reduced to the engine series (test/support/golden-exposition.ts
 * says what is left out and why), must equal test/fixtures/golden/<fixture>.prom byte for byte, after
 * the first poll and again a few polls later.
 *
 * UPDATE_GOLDEN=1 rewrites the golden files from this run instead (review the diff before committing).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fetchText, repoRoot, startExporter, waitFor } from '../support/engine-rig.js';
import { readProcStat } from '../support/proc.js';
import { normaliseExposition, samplesByLabel } from '../support/golden-exposition.js';

const PROC_FIXTURES = join(repoRoot(), 'test', 'fixtures', 'proc');
const GOLDEN = join(repoRoot(), 'test', 'fixtures', 'golden');
const FIXTURES = ['docker-rig', 'two-engines', 'containerd-down'];
const UPDATE = process.env.UPDATE_GOLDEN === '1';
/** Linux's USER_HZ, which the fixtures were recorded with (meta.json clockTicksPerSecond). */
const TICKS_PER_SECOND = 100;

interface Meta {
  uptimeSeconds: number;
  engine: { dockerd: { pid: number }; containerd: { pid: number | null; address: string } };
}

/** The environment without anything that configures the exporter or names a Docker socket. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('DOCKER_ENGINE_EXPORTER_') || k === 'DOCKER_HOST') delete env[k];
  return env;
}

const value = (body: string, name: string): number | undefined => samplesByLabel(body, name, '').get('');

describe('golden /metrics on the recorded /proc fixtures', { timeout: 120_000 }, () => {
  for (const name of FIXTURES) {
    it(`${name}: the engine series equal test/fixtures/golden/${name}.prom`, async () => {
      const dir = join(PROC_FIXTURES, name);
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
      // containerd's socket is found from the tree (dockerd's managed containerd.toml), as on a real
      // host: it must not exist here, or a probe could answer.
      assert.ok(!existsSync(meta.engine.containerd.address), `${meta.engine.containerd.address} exists on this machine`);
      const empty = mkdtempSync(join(tmpdir(), 'golden-'));
      const spawnedAt = Date.now() / 1000;
      const ex = await startExporter({
        env: cleanEnv(),
        args: [
          `--path.procfs=${dir}`,
          `--docker.pidfile=${join(dir, 'docker.pid')}`,
          `--docker.host=unix://${join(empty, 'docker.sock')}`,
          // This machine's kernel log says nothing about the recorded tree's processes.
          '--path.kmsg=',
          '--log.format=json',
        ],
      });
      try {
        const scrape = async (): Promise<string> => {
          const { status, body } = await fetchText(`${ex.url}/metrics`);
          assert.equal(status, 200);
          return body;
        };
        const first = await waitFor(
          'the first poll',
          async () => {
            const body = await scrape();
            return (value(body, 'docker_engine_exporter_last_poll_timestamp_seconds') ?? 0) > 0 ? body : '';
          },
          20_000,
        );
        const later = await waitFor(
          'three polls',
          async () => {
            const body = await scrape();
            return (value(body, 'docker_engine_exporter_poll_duration_seconds_count') ?? 0) >= 3 ? body : '';
          },
          20_000,
        );
        assert.equal(samplesByLabel(later, 'docker_engine_exporter_poll_errors_total', 'source').get('procfs'), 0, ex.logs());

        // Start times are normalised out of the golden text; check the numbers here instead. The exporter
        // measures boot time once, as now − uptime, between its start and its first poll: each start
        // time is that plus the process's stat starttime, each rounded to 1/100 s.
        const polledAt = value(first, 'docker_engine_exporter_last_poll_timestamp_seconds') as number;
        const pids: Record<string, number | null> = { dockerd: meta.engine.dockerd.pid, containerd: meta.engine.containerd.pid };
        for (const [component, start] of samplesByLabel(first, 'docker_engine_component_start_time_seconds', 'component')) {
          const pid = pids[component];
          assert.ok(pid != null, `start time of ${component}, which the fixture does not run`);
          const ticks = readProcStat(pid, dir)?.startTicks;
          assert.ok(ticks !== undefined);
          const boot = start - ticks / TICKS_PER_SECOND;
          assert.ok(
            boot >= spawnedAt - meta.uptimeSeconds - 0.011 && boot <= polledAt - meta.uptimeSeconds + 0.011,
            `${component} start ${start}: boot time ${boot} outside [${spawnedAt - meta.uptimeSeconds}, ${polledAt - meta.uptimeSeconds}]`,
          );
        }

        const actual = normaliseExposition(first);
        assert.equal(normaliseExposition(later), actual, 'the engine series changed between the first poll and a later one');
        const goldenFile = join(GOLDEN, `${name}.prom`);
        if (UPDATE) writeFileSync(goldenFile, actual);
        assert.equal(actual, readFileSync(goldenFile, 'utf8'), `differs from ${goldenFile} (UPDATE_GOLDEN=1 rewrites it)`);
      } finally {
        await ex.stop();
        rmSync(empty, { recursive: true, force: true });
      }
    });
  }
});
