/**
 * Any mount path: an exporter that reaches the engine's sockets and pidfile at other paths (as a
 * container does, with /run mounted at /host/run or containerd's folder bind-mounted elsewhere) must
 * report the same tree as one on the host. Before attribution matched the configured socket by its
 * file rather than by its path string, such an exporter saw 0 shims: shims name the engine's own host
 * path in their -address, not the path the exporter was given.
 *
 * The second exporter runs in a mount namespace of its own (`unshare -m`, private propagation), where
 * the rig's directory is bind-mounted at another path; it is told only that path. Nothing is mounted
 * on the host.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  COMPONENTS,
  freePort,
  metric,
  realComponentCounts,
  repoRoot,
  scrape,
  settlesWithin,
  skipUnlessEngine,
  startEngineRig,
  startExporter,
  waitFor,
  type Component,
  type EngineRig,
  type ExporterProcess,
} from '../support/engine-rig.js';

const PROCESSES = 'docker_engine_component_processes';
const HEALTHY = 'docker_engine_component_healthy';
const POLL_MS = 500;
const skip = skipUnlessEngine();

interface MountedExporter {
  url: string;
  child: ChildProcess;
  output: () => string;
}

describe('an exporter reaching the engine through other mount paths', { skip, timeout: 300_000 }, () => {
  let rig: EngineRig | undefined;
  let host: ExporterProcess | undefined;
  let mounted: MountedExporter | undefined;
  let mountPoint = '';

  const r = (): EngineRig => {
    assert.ok(rig, 'engine rig not started');
    return rig;
  };

  /** The built exporter, in a new mount namespace where `r().dir` is also at `mountPoint`. */
  async function startMounted(args: string[]): Promise<MountedExporter> {
    const port = await freePort();
    const script = 'mount --make-rprivate / && mount --bind "$1" "$2" && shift 2 && exec "$@"';
    // unshare and sh both exec: the child's pid is the exporter's, stopped by that pid below.
    const child = spawn(
      'unshare',
      [
        '-m',
        'sh',
        '-c',
        script,
        'sh',
        r().dir,
        mountPoint,
        process.execPath,
        join(repoRoot(), 'dist', 'main.js'),
        ...args,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      'the mounted exporter to answer /healthz',
      async () => {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${out}`);
        return (
          (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })
            .then((res) => res.status)
            .catch(() => null)) !== null
        );
      },
      20_000,
    );
    return { url, child, output: () => out };
  }

  function counts(m: Map<string, number>): Record<Component, number | undefined> {
    const out = {} as Record<Component, number | undefined>;
    for (const c of COMPONENTS) out[c] = metric(m, PROCESSES, { component: c });
    return out;
  }

  before(async () => {
    rig = await startEngineRig();
    await rig.docker(['run', '-d', '--name', 'plain', 'rig/busybox', 'sleep', '1d']);
    const port = await freePort();
    await rig.docker(['run', '-d', '--name', 'init-web', '--init', '-p', `127.0.0.1:${port}:80`, 'rig/busybox', 'httpd', '-f', '-p', '80']);
    mountPoint = mkdtempSync('/tmp/engine-elsewhere.');
    const at = (path: string): string => join(mountPoint, relative(rig!.dir, path));
    const common = [`--poll.interval=${POLL_MS}ms`, '--log.format=json'];
    host = await startExporter({
      args: [`--docker.pidfile=${rig.pidfile}`, `--docker.host=${rig.dockerHost}`, `--containerd.address=${rig.containerdSocket}`, ...common],
    });
    mounted = await startMounted([
      `--docker.pidfile=${at(rig.pidfile)}`,
      `--docker.host=unix://${at(rig.dockerSocket)}`,
      `--containerd.address=${at(rig.containerdSocket)}`,
      ...common,
    ]);
  });

  after(async () => {
    try {
      if (mounted && mounted.child.exitCode === null && mounted.child.pid !== undefined) {
        const exited = new Promise<void>((res) => mounted!.child.once('exit', () => res()));
        process.kill(mounted.child.pid, 'SIGTERM');
        await settlesWithin(exited, 10_000);
        if (mounted.child.exitCode === null) process.kill(mounted.child.pid, 'SIGKILL');
      }
      await host?.stop();
    } finally {
      await rig?.stop();
      if (mountPoint !== '') rmSync(mountPoint, { recursive: true, force: true });
    }
  });

  it('runs in another mount namespace, where the rig is at another path', () => {
    const pid = mounted?.child.pid;
    assert.ok(pid !== undefined);
    assert.notEqual(readlinkSync(`/proc/${pid}/ns/mnt`), readlinkSync('/proc/self/ns/mnt'));
  });

  it('reports, per component, the same processes as the host exporter and the real tree', async () => {
    const real = realComponentCounts(r());
    assert.deepEqual(real, { dockerd: 1, containerd: 1, 'containerd-shim': 2, runc: 0, 'docker-proxy': 1, 'docker-init': 1 });
    let last: { host: Record<Component, number | undefined>; mounted: Record<Component, number | undefined> } | null = null;
    await waitFor(
      'both exporters to show the real tree',
      async () => {
        last = { host: counts(await scrape(host!.url)), mounted: counts(await scrape(mounted!.url)) };
        return COMPONENTS.every((c) => last!.host[c] === real[c] && last!.mounted[c] === real[c]);
      },
      20_000,
      POLL_MS,
    ).catch((err: unknown) => {
      assert.deepEqual(
        last?.mounted,
        last?.host,
        `mounted exporter differs from the host exporter (${String(err)})\n${mounted?.output().slice(-3000)}`,
      );
      throw err;
    });
  });

  it('probes both daemons through the mounted paths', async () => {
    await waitFor(
      'dockerd and containerd healthy on the mounted exporter',
      async () => {
        const m = await scrape(mounted!.url);
        return metric(m, HEALTHY, { component: 'dockerd' }) === 1 && metric(m, HEALTHY, { component: 'containerd' }) === 1;
      },
      20_000,
      POLL_MS,
    );
  });
});
