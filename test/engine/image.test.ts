/**
 * The container image: the repository's Dockerfile, built by the test engine from a base image
 * made of this machine's own Node runtime (no registry is reachable: test/support/node-base-image.ts),
 * then run the way docs/container.md says — host PID namespace, the host's /proc at /host/proc, the
 * engine's pidfile and sockets mounted — and read over HTTP: its /metrics must show the engine it
 * runs on, process for process, as /proc says it is.
 *
 * Two runs of the same image side by side:
 * - the default user (65534), host network, the port moved with the environment variable;
 * - root with only CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, a read-only root filesystem, and a port
 *   published on 127.0.0.1 (the rig's dockerd runs with --iptables=false: docker-proxy forwards it).
 * Both must turn `healthy` through the image's own HEALTHCHECK command.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CommandError } from '../support/run.js';
import {
  COMPONENTS,
  delay,
  freePort,
  metric,
  realComponentCounts,
  repoRoot,
  run,
  scrape,
  skipUnlessEngine,
  startEngineRig,
  waitFor,
  type Component,
  type EngineRig,
} from '../support/engine-rig.js';
import { importNodeBaseImage } from '../support/node-base-image.js';

const IMAGE_TAG = 'docker-engine-exporter:test';
const PROCESSES = 'docker_engine_component_processes';
const OPEN_FDS = 'docker_engine_component_open_fds';
const UP = 'docker_engine_component_up';
const HEALTHY = 'docker_engine_component_healthy';
const POLL = '500ms';
/** Everything in the image except the node binary stays below this (dist, proto, production node_modules, libraries). */
const MAX_BYTES_BESIDE_NODE = 60 * 1024 * 1024;

const skip = skipUnlessEngine();

interface RunningExporter {
  name: string;
  url: string;
}

describe('container image built from the Dockerfile, run against a real Docker engine', { skip, timeout: 900_000 }, () => {
  let rig: EngineRig | undefined;
  const containers: string[] = [];
  let nonRoot: RunningExporter | undefined;
  let privileged: RunningExporter | undefined;
  const timings: Record<string, number> = {};

  const r = (): EngineRig => {
    assert.ok(rig, 'engine rig not started');
    return rig;
  };

  async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      timings[what] = (Date.now() - t0) / 1000;
    }
  }

  /** docker, with build or run output in the error when it fails. */
  async function docker(args: string[], timeoutMs = 60_000): Promise<string> {
    try {
      return (await r().docker(args, { timeoutMs })).stdout;
    } catch (e) {
      if (e instanceof CommandError) {
        throw new Error(`${e.message}\n--- stdout (tail) ---\n${e.result.stdout.slice(-6000)}`, { cause: e });
      }
      throw e;
    }
  }

  async function logsOf(name: string): Promise<string> {
    try {
      const res = await r().docker(['logs', '--tail', '60', name], { timeoutMs: 10_000 });
      return `${res.stdout}${res.stderr}`;
    } catch (e) {
      return `(no logs: ${String(e)})`;
    }
  }

  async function inspect(name: string, format: string): Promise<string> {
    return (await docker(['inspect', '-f', format, name], 10_000)).trim();
  }

  /** The managed containerd's socket directory, at the path dockerd's --exec-root gives it on the host: the exporter attributes shims by the socket path in their -address. */
  function containerdMount(): string[] {
    const containerdDir = join(r().execRoot, 'containerd');
    return ['-v', `${containerdDir}:${containerdDir}:ro`];
  }

  /** docs/container.md's simple layout: the pidfile and the Docker socket mounted as files at their default paths. */
  function fileMounts(): string[] {
    return [
      '-v',
      '/proc:/host/proc:ro',
      '-v',
      `${r().pidfile}:/var/run/docker.pid:ro`,
      '-v',
      `${r().dockerSocket}:/var/run/docker.sock:ro`,
      ...containerdMount(),
    ];
  }

  /**
   * docs/container.md's layout that survives a dockerd restart (and the DaemonSet's): the directory
   * that holds the pidfile and the socket (the host's /run; here the rig's directory) at /host/run,
   * and containerd's socket directory mounted at another path than the host's. The exporter reaches
   * the socket where it is mounted and attributes shims by the host path containerd itself listens on
   * (the same socket file), so the tree is whole.
   */
  function directoryMounts(): { mounts: string[]; flags: string[] } {
    const containerdDir = join(r().execRoot, 'containerd');
    return {
      mounts: ['-v', '/proc:/host/proc:ro', '-v', `${r().dir}:/host/run:ro`, '-v', `${containerdDir}:/host/containerd:ro`],
      flags: [
        '--docker.host=unix:///host/run/docker.sock',
        '--docker.pidfile=/host/run/docker.pid',
        '--containerd.address=unix:///host/containerd/containerd.sock',
      ],
    };
  }

  function exportedCounts(m: Map<string, number>): Record<Component, number | undefined> {
    const out = {} as Record<Component, number | undefined>;
    for (const c of COMPONENTS) out[c] = metric(m, PROCESSES, { component: c });
    return out;
  }

  /** Waits until the exporter's counts equal /proc's twice in a row; on timeout fails with a diff and the logs. */
  async function countsMatchRealTree(ex: RunningExporter, timeoutMs: number): Promise<Record<Component, number>> {
    const deadline = Date.now() + timeoutMs;
    let agreedOnce = false;
    for (;;) {
      const real = realComponentCounts(r());
      let exported: Record<Component, number | undefined> | string;
      try {
        exported = exportedCounts(await scrape(ex.url));
      } catch (e) {
        exported = String(e);
      }
      const same = typeof exported !== 'string' && COMPONENTS.every((c) => exported[c] === real[c]);
      if (same && agreedOnce) return real;
      agreedOnce = same;
      if (Date.now() > deadline) {
        assert.deepEqual(exported, real, `${ex.name}: ${PROCESSES} differs from the real tree\n--- logs ---\n${await logsOf(ex.name)}`);
        return real;
      }
      await delay(500);
    }
  }

  async function waitHealthy(name: string): Promise<void> {
    await waitFor(
      `${name} to be healthy by the image's HEALTHCHECK`,
      async () => {
        const status = await inspect(name, '{{.State.Health.Status}}');
        if (status === 'unhealthy') throw new Error(`unhealthy: ${await inspect(name, '{{json .State.Health.Log}}')}`);
        return status === 'healthy';
      },
      60_000,
    ).catch(async (e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- logs ---\n${await logsOf(name)}`);
    });
  }

  before(async () => {
    const rg = await timed('engine rig', () => startEngineRig());
    rig = rg;
    // The tree the exporter must find: a plain container, and an --init container with a published
    // port (a shim, docker-init and a docker-proxy).
    await docker(['run', '-d', '--name', 'plain', 'rig/busybox', 'sleep', '1d']);
    const webPort = await freePort();
    await docker(['run', '-d', '--name', 'init-web', '--init', '-p', `127.0.0.1:${webPort}:80`, 'rig/busybox', 'httpd', '-f', '-p', '80']);
    containers.push('plain', 'init-web');

    const base = await timed('base image import', () => importNodeBaseImage(rg));
    // --network host: the rig's dockerd has no NAT (--iptables=false), so npm ci reaches the registry
    // through the host's network.
    await timed('docker build', () =>
      docker(['build', '--network', 'host', '--build-arg', `BASE=${base.tag}`, '-t', IMAGE_TAG, repoRoot()], 600_000),
    );
  });

  after(async () => {
    try {
      for (const name of containers.reverse()) {
        await r()
          .docker(['rm', '-f', name], { timeoutMs: 30_000 })
          .catch(() => undefined);
      }
      await r()
        .docker(['rmi', '-f', IMAGE_TAG], { timeoutMs: 30_000 })
        .catch(() => undefined);
    } finally {
      await rig?.stop();
      process.stdout.write(`# image test timings (s): ${JSON.stringify(timings)}\n`);
    }
  });

  it('builds a small runtime image: node, dist/, proto/ and production node_modules only, non-root, with a HEALTHCHECK', async (t) => {
    const config = JSON.parse(await inspect(IMAGE_TAG, '{{json .Config}}')) as {
      User?: string;
      Entrypoint?: string[];
      Healthcheck?: { Test?: string[] };
      ExposedPorts?: Record<string, unknown>;
    };
    assert.match(config.User ?? '', /^[1-9]\d*(:\d+)?$/, `a numeric non-root USER, got ${JSON.stringify(config.User)}`);
    assert.deepEqual(config.Entrypoint, ['/usr/local/bin/node', '--max-semi-space-size=2', '/app/dist/main.js']);
    assert.equal(config.Healthcheck?.Test?.[0], 'CMD', 'HEALTHCHECK in exec form (the image has no shell)');
    assert.ok(
      config.Healthcheck?.Test?.some((a) => a.includes('/healthz')),
      'the HEALTHCHECK asks /healthz',
    );
    assert.ok(config.ExposedPorts !== undefined && '9733/tcp' in config.ExposedPorts);

    const size = Number(await inspect(IMAGE_TAG, '{{.Size}}'));
    const nodeBytes = statSync(process.execPath).size;
    t.diagnostic(`image size ${(size / 1e6).toFixed(1)} MB (node binary ${(nodeBytes / 1e6).toFixed(1)} MB)`);
    timings['image MB'] = Math.round(size / 1e6);
    assert.ok(size - nodeBytes < MAX_BYTES_BESIDE_NODE, `image ${size} bytes: more than ${MAX_BYTES_BESIDE_NODE} beside node`);

    // What is in it: the files of a created (never started) container.
    const id = (await docker(['create', IMAGE_TAG])).trim();
    const dir = mkdtempSync(join(r().dir, 'export-'));
    try {
      const tarball = join(dir, 'fs.tar');
      await docker(['export', '-o', tarball, id], 120_000);
      const files = new Set(
        (await run('tar', ['-tf', tarball], { timeoutMs: 60_000 })).stdout
          .split('\n')
          .map((f) => f.replace(/^\.\//, '').replace(/\/$/, ''))
          .filter((f) => f !== '' && f !== '.'),
      );
      for (const must of [
        'usr/local/bin/node',
        'app/package.json',
        'app/dist/main.js',
        'app/proto/containerd-tasks.proto',
        'app/node_modules/fastify/package.json',
        'app/node_modules/@grpc/grpc-js/package.json',
      ]) {
        assert.ok(files.has(must), `${must} is in the image`);
      }
      for (const mustNot of [
        'bin/sh',
        'usr/local/bin/npm',
        'usr/local/lib/node_modules/npm',
        'app/node_modules/typescript',
        'app/src',
        'app/test',
        'app/tsconfig.json',
      ]) {
        assert.ok(![...files].some((f) => f === mustNot || f.startsWith(`${mustNot}/`)), `${mustNot} is not in the runtime image`);
      }
    } finally {
      await r()
        .docker(['rm', '-f', id], { timeoutMs: 30_000 })
        .catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("as its default non-root user with the Docker socket's group, host PID and network: /metrics shows the engine tree, HEALTHCHECK turns healthy", async () => {
    const port = await freePort();
    const name = 'exporter-nonroot';
    const socketGid = statSync(r().dockerSocket).gid;
    await docker([
      'run',
      '-d',
      '--name',
      name,
      '--pid=host',
      '--network=host',
      '--group-add',
      String(socketGid),
      // The port moves through the environment so that the HEALTHCHECK follows it.
      '-e',
      `DOCKER_ENGINE_EXPORTER_WEB_LISTEN_ADDRESS=127.0.0.1:${port}`,
      '--health-interval=2s',
      '--health-start-period=30s',
      ...fileMounts(),
      IMAGE_TAG,
      '--path.procfs=/host/proc',
      `--poll.interval=${POLL}`,
    ]);
    containers.push(name);
    nonRoot = { name, url: `http://127.0.0.1:${port}` };
    assert.equal(await inspect(name, '{{.Config.User}}'), '65534:65534');

    const real = await countsMatchRealTree(nonRoot, 30_000);
    const running = (await docker(['ps', '-q']))
      .trim()
      .split('\n')
      .filter((l) => l !== '').length;
    assert.equal(real.dockerd, 1);
    assert.equal(real.containerd, 1);
    assert.equal(real['containerd-shim'], running, "one shim per running container (this exporter's own included)");
    assert.equal(real['docker-init'], 1);
    assert.equal(real['docker-proxy'], 1);

    const m = await scrape(nonRoot.url);
    assert.equal(metric(m, UP, { component: 'dockerd' }), 1);
    assert.equal(metric(m, UP, { component: 'containerd' }), 1);
    // Not root: the root-owned daemons' /proc/PID/fd cannot be read, so there is no fd count for them.
    assert.equal(metric(m, OPEN_FDS, { component: 'dockerd' }), undefined, 'no open_fds for dockerd without root');
    // The socket's group is enough for the Engine API; containerd's socket is root's only (0660 root:root).
    await waitFor(
      "dockerd healthy through its socket, with the socket's group",
      async () => metric(await scrape(nonRoot!.url), HEALTHY, { component: 'dockerd' }) === 1,
      20_000,
      500,
    ).catch(async (e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- logs ---\n${await logsOf(name)}`);
    });
    const containerdSocket = statSync(r().containerdSocket);
    if (containerdSocket.gid !== socketGid && (containerdSocket.mode & 0o006) === 0) {
      assert.equal(
        metric(await scrape(nonRoot.url), HEALTHY, { component: 'containerd' }),
        0,
        "containerd's socket is out of reach without root",
      );
    }
    await waitHealthy(name);
  });

  it('as root with only CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, read-only, /run as a directory, port published on 127.0.0.1: fds and socket probes too', async () => {
    const port = await freePort();
    const name = 'exporter-root';
    const layout = directoryMounts();
    await docker([
      'run',
      '-d',
      '--name',
      name,
      '--pid=host',
      '-p',
      `127.0.0.1:${port}:9733`,
      '--user',
      '0:0',
      '--cap-drop',
      'ALL',
      '--cap-add',
      'SYS_PTRACE',
      '--cap-add',
      'DAC_READ_SEARCH',
      '--security-opt',
      'no-new-privileges',
      '--read-only',
      '--health-interval=2s',
      '--health-start-period=30s',
      ...layout.mounts,
      IMAGE_TAG,
      '--path.procfs=/host/proc',
      ...layout.flags,
      `--poll.interval=${POLL}`,
    ]);
    containers.push(name);
    privileged = { name, url: `http://127.0.0.1:${port}` };

    const real = await countsMatchRealTree(privileged, 30_000);
    const running = (await docker(['ps', '-q']))
      .trim()
      .split('\n')
      .filter((l) => l !== '').length;
    assert.equal(real['containerd-shim'], running);
    assert.equal(real['docker-proxy'], 2, "init-web's port and this exporter's");

    await waitFor(
      'dockerd and containerd healthy through their sockets, and fd counts for them',
      async () => {
        const m = await scrape(privileged!.url);
        return (
          metric(m, HEALTHY, { component: 'dockerd' }) === 1 &&
          metric(m, HEALTHY, { component: 'containerd' }) === 1 &&
          (metric(m, OPEN_FDS, { component: 'dockerd' }) ?? 0) > 0 &&
          (metric(m, OPEN_FDS, { component: 'containerd' }) ?? 0) > 0
        );
      },
      30_000,
      500,
    ).catch(async (e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- logs ---\n${await logsOf(name)}`);
    });
    await waitHealthy(name);

    // The non-root exporter, still running beside it, sees this one's shim and proxy too.
    assert.ok(nonRoot !== undefined);
    await countsMatchRealTree(nonRoot, 30_000);
  });
});
