/**
 * Headroom against a real engine and a real Prometheus, on one rig whose exec root is a 32 MiB tmpfs:
 * containerd's fd limit lowered with prlimit and filled with connections, the exec root filled with a
 * file, and a dockerd thread blocked in a FUSE mount that never answers. Each moves the exporter's
 * figure the way /proc, df or the kernel say, and the rules (time-scaled as in
 * prometheus-alerts.test.ts: `for: 1m` becomes 4 s) fire on it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  metric,
  scrape,
  skipUnlessEngine,
  startEngineRig,
  startExporter,
  waitFor,
  type EngineRig,
  type ExporterProcess,
} from '../support/engine-rig.js';
import { activeAlerts, activeTargets, prometheusAvailability, startPrometheus, type PrometheusProcess } from '../support/prometheus.js';
import { RULES_PATH, scaleRuleDurations } from '../support-static/rules.js';
import { compileFixture } from '../support/c-fixture.js';
import { threadsInD } from '../support/fuse.js';

const TIME_SCALE = 15;
const JOB = 'docker-engine';
const EXEC_ROOT_BYTES = 32 * 1024 * 1024;

function skipReason(): string | false {
  const engine = skipUnlessEngine();
  if (engine !== false) return engine;
  const p = prometheusAvailability();
  if (p.ok) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true but Prometheus is unavailable: ${p.why}`);
  return p.why;
}
const skip = skipReason();

/** The soft "Max open files" of a process, read here independently of the exporter's parser. */
function softNofile(pid: number): { soft: number; hard: string } {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const m = /^Max open files\s+(\d+)\s+(\S+)/.exec(line ?? '');
  assert.ok(m, `no numeric Max open files line for ${pid}: ${line}`);
  return { soft: Number(m[1]), hard: m[2] as string };
}

/** df's own figures for the filesystem of `path`, in bytes and inodes. */
function df(path: string): { size: number; avail: number; inodes: number; ifree: number } {
  const out = execFileSync('df', ['-B1', '--output=size,avail,itotal,iavail', path], { encoding: 'utf8' });
  const [size, avail, inodes, ifree] = (out.trim().split('\n')[1] ?? '').trim().split(/\s+/).map(Number);
  return { size: size ?? NaN, avail: avail ?? NaN, inodes: inodes ?? NaN, ifree: ifree ?? NaN };
}

function within5Percent(actual: number | undefined, expected: number, what: string): void {
  assert.ok(actual !== undefined, `${what}: no series`);
  assert.ok(Math.abs(actual - expected) <= 0.05 * expected, `${what}: exporter ${actual}, df ${expected}`);
}

describe('headroom of a real engine', { skip, timeout: 240_000 }, () => {
  let rig: EngineRig | undefined;
  let exporter: ExporterProcess | undefined;
  let prom: PrometheusProcess | undefined;
  let instance = '';
  const r = (): EngineRig => {
    assert.ok(rig, 'engine rig not started');
    return rig;
  };
  const e = (): ExporterProcess => {
    assert.ok(exporter, 'exporter not started');
    return exporter;
  };

  async function alertFiring(name: string, labels: Record<string, string>): Promise<boolean> {
    assert.ok(prom);
    const all = await activeAlerts(prom.url);
    return all.some(
      (a) =>
        a.labels['alertname'] === name &&
        a.labels['instance'] === instance &&
        a.state === 'firing' &&
        Object.entries(labels).every(([k, v]) => a.labels[k] === v),
    );
  }

  before(async () => {
    rig = await startEngineRig({ execRootTmpfsBytes: EXEC_ROOT_BYTES });
    exporter = await startExporter({
      args: [`--docker.pidfile=${rig.pidfile}`, `--docker.host=${rig.dockerHost}`, '--poll.interval=500ms', '--log.format=json'],
    });
    const promDir = join(rig.dir, 'prometheus');
    mkdirSync(promDir, { recursive: true });
    const rulesFile = join(promDir, 'rules.yml');
    writeFileSync(rulesFile, scaleRuleDurations(readFileSync(RULES_PATH, 'utf8'), TIME_SCALE));
    const configFile = join(promDir, 'prometheus.yml');
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [rulesFile],
      scrape_configs: [{ job_name: JOB, static_configs: [{ targets: [`127.0.0.1:${exporter.port}`] }] }],
    };
    writeFileSync(configFile, `${JSON.stringify(config)}\n`);
    const rigRef = rig;
    prom = await startPrometheus({
      configFile,
      dir: promDir,
      spawner: (cmd, args, logName) => rigRef.spawnOwned(cmd, args, join('prometheus', logName)),
    });
    const promUrl = prom.url;
    const target = await waitFor(
      'the exporter target to be up',
      async () => (await activeTargets(promUrl)).find((t) => t.labels['job'] === JOB && t.health === 'up'),
      30_000,
    );
    instance = target?.labels['instance'] ?? '';
  });

  after(async () => {
    try {
      await prom?.stop();
    } finally {
      try {
        await exporter?.stop();
      } finally {
        await rig?.stop();
      }
    }
  });

  it("reports containerd's soft fd limit as /proc says, and the ratio and alert follow prlimit and open connections", async () => {
    const pid = r().containerdPid();
    assert.ok(pid !== null, 'no containerd');
    const dockerdPid = r().dockerdPid();
    assert.ok(dockerdPid !== null);
    const original = softNofile(pid);
    await waitFor(
      'max_fds to equal /proc/<pid>/limits',
      async () => metric(await scrape(e().url), 'docker_engine_component_max_fds', { component: 'containerd' }) === original.soft,
      10_000,
    );
    const m = await scrape(e().url);
    assert.equal(metric(m, 'docker_engine_component_max_fds', { component: 'dockerd' }), softNofile(dockerdPid).soft);

    // A soft limit just above what containerd holds, then connections up to 97 % of it: each accepted
    // connection is one more fd in containerd.
    const open = readdirSync(`/proc/${pid}/fd`).length;
    const lowered = open + 30;
    const sockets: Socket[] = [];
    try {
      execFileSync('prlimit', [`--pid=${pid}`, `--nofile=${lowered}:${original.hard}`]);
      assert.equal(softNofile(pid).soft, lowered);
      for (let i = 0; i < 28; i++) {
        const s = connect(r().containerdSocket);
        s.on('error', () => undefined);
        sockets.push(s);
      }
      const ratio = await waitFor(
        'worst_fd_ratio{containerd} to pass 0.95',
        async () => {
          const now = await scrape(e().url);
          const v = metric(now, 'docker_engine_component_worst_fd_ratio', { component: 'containerd' });
          return metric(now, 'docker_engine_component_max_fds', { component: 'containerd' }) === lowered && v !== undefined && v > 0.95
            ? v
            : null;
        },
        15_000,
      );
      const truth = readdirSync(`/proc/${pid}/fd`).length / lowered;
      assert.ok(ratio !== null && Math.abs(ratio - truth) < 0.05, `ratio ${ratio}, /proc says ${truth}`);
      await waitFor(
        'DockerEngineFdsExhausted{component="containerd"} to fire',
        () => alertFiring('DockerEngineFdsExhausted', { component: 'containerd' }),
        30_000,
      );
    } finally {
      for (const s of sockets) s.destroy();
      execFileSync('prlimit', [`--pid=${pid}`, `--nofile=${original.soft}:${original.hard}`]);
    }
    await waitFor(
      'the ratio to fall back',
      async () => (metric(await scrape(e().url), 'docker_engine_component_worst_fd_ratio', { component: 'containerd' }) ?? 1) < 0.5,
      15_000,
    );
  });

  it('follows the exec root tmpfs as it fills, within 5 % of df, and fires DockerEngineStorageFull', async () => {
    const execRoot = r().execRoot;
    // dockerd's own containerd keeps its state and root under dockerd's (what the exporter assumes).
    assert.ok(existsSync(join(execRoot, 'containerd', 'daemon')) && existsSync(join(r().dataRoot, 'containerd', 'daemon')));
    const before = df(execRoot);
    const m = await scrape(e().url);
    within5Percent(metric(m, 'docker_engine_storage_size_bytes', { volume: 'exec_root' }), before.size, 'exec_root size');
    within5Percent(metric(m, 'docker_engine_storage_avail_bytes', { volume: 'exec_root' }), before.avail, 'exec_root avail');
    within5Percent(metric(m, 'docker_engine_storage_inodes', { volume: 'exec_root' }), before.inodes, 'exec_root inodes');
    within5Percent(metric(m, 'docker_engine_storage_avail_inodes', { volume: 'exec_root' }), before.ifree, 'exec_root free inodes');
    const data = df(r().dataRoot);
    within5Percent(metric(m, 'docker_engine_storage_size_bytes', { volume: 'data_root' }), data.size, 'data_root size');
    assert.equal(
      metric(m, 'docker_engine_storage_size_bytes', { volume: 'containerd_state' }),
      metric(m, 'docker_engine_storage_size_bytes', { volume: 'exec_root' }),
    );

    const filler = join(execRoot, 'filler');
    try {
      // Leave 2 % of the tmpfs free: below the 5 % of DockerEngineStorageFull.
      writeFileSync(filler, Buffer.alloc(Math.max(0, before.avail - Math.floor(before.size * 0.02))));
      const full = df(execRoot);
      // A poll may have caught the file half-written: wait for one after the write, then compare.
      const avail = await waitFor(
        'avail_bytes{exec_root} to drop to what df says',
        async () => {
          const v = metric(await scrape(e().url), 'docker_engine_storage_avail_bytes', { volume: 'exec_root' });
          return v !== undefined && v < before.avail / 2 && Math.abs(v - full.avail) <= 0.05 * full.avail ? v : null;
        },
        10_000,
      ).catch(async (err: unknown) => {
        const last = metric(await scrape(e().url), 'docker_engine_storage_avail_bytes', { volume: 'exec_root' });
        throw new Error(`${String(err)}: exporter ${last}, df ${full.avail}`);
      });
      within5Percent(avail ?? undefined, full.avail, 'exec_root avail when full');
      await waitFor(
        'DockerEngineStorageFull{volume="exec_root"} to fire',
        () => alertFiring('DockerEngineStorageFull', { volume: 'exec_root' }),
        30_000,
      );

      // The status page's JSON says the same, as a critical row (check's text: test/cli/check-output.test.ts).
      const status = (await (await fetch(`${e().url}/status.json`)).json()) as { headroom: { rows: { what: string; level: string }[] } | null };
      assert.equal(status.headroom?.rows.find((row) => row.what === 'exec_root space')?.level, 'critical');
    } finally {
      rmSync(filler, { force: true });
    }
  });

  it('counts a dockerd thread blocked in a FUSE mount that never answers as uninterruptible, and back to 0 when it returns', async () => {
    const dockerdPid = r().dockerdPid();
    assert.ok(dockerdPid !== null);
    const fuse = await compileFixture('silent-fuse', join(r().dir, 'bin', 'silent-fuse'));
    const mountpoint = join(r().dir, 'fuse');
    mkdirSync(mountpoint);
    await waitFor(
      'dockerd to have no thread in D',
      async () => metric(await scrape(e().url), 'docker_engine_component_uninterruptible_threads', { component: 'dockerd' }) === 0,
      15_000,
    );
    const server = r().spawnOwned(fuse, [mountpoint], 'silent-fuse.log');
    try {
      await waitFor('the FUSE mount', () => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${mountpoint} `), 10_000);
      // dockerd stats a bind mount's source itself: that stat waits on the silent FUSE server.
      const blocked = r()
        .docker(['run', '--rm', '-v', `${mountpoint}/x:/x`, 'rig/busybox', 'true'], { timeoutMs: 60_000 })
        .catch(() => undefined);
      await waitFor('a dockerd thread in D (from /proc)', () => threadsInD(dockerdPid) > 0, 15_000);
      const counted = await waitFor(
        'uninterruptible_threads{dockerd} to count it',
        async () => {
          const v = metric(await scrape(e().url), 'docker_engine_component_uninterruptible_threads', { component: 'dockerd' });
          return v !== undefined && v >= 1 ? v : null;
        },
        10_000,
      );
      assert.ok(counted !== null && counted <= threadsInD(dockerdPid) + 1, `counted ${counted}, /proc shows ${threadsInD(dockerdPid)}`);
      server.kill('SIGKILL'); // the kernel aborts the connection: the stat fails with ENOTCONN
      await blocked;
      await waitFor(
        'uninterruptible_threads{dockerd} back to 0',
        async () => metric(await scrape(e().url), 'docker_engine_component_uninterruptible_threads', { component: 'dockerd' }) === 0,
        15_000,
      );
    } finally {
      server.kill('SIGKILL');
      try {
        execFileSync('umount', ['-l', mountpoint], { stdio: 'ignore' });
      } catch {
        /* not mounted */
      }
    }
  });
});
