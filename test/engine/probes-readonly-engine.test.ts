/**
 * The socket probes on a real engine, continued (see probes-engine.test.ts): containerd's socket removed
 * while the exporter runs as root and as an unprivileged user, and the read-only proof, with recording
 * proxies in front of the real dockerd and containerd sockets.
 *
 * Both tests move containerd's socket aside. dockerd keeps the gRPC connection it already has (it
 * only dials again after containerd exits), and the shims publish their events over the separate
 * containerd.sock.ttrpc, so the engine keeps working meanwhile; each test puts the socket back in a
 * finally and then checks that the engine still runs containers.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  COMPONENTS,
  delay,
  freePort,
  metric,
  realComponentCounts,
  scrape,
  skipUnlessEngine,
  startEngineRig,
  startExporter,
  waitFor,
  type Component,
  type EngineRig,
  type ExporterProcess,
} from '../support/engine-rig.js';
import { fetchText } from '../support/scrape.js';
import { healthz, logLinesSince, logSince, metricNow } from '../support/exporter-watch.js';
import { NOBODY, processUids, startExporterAsUser } from '../support/unprivileged-exporter.js';
import { startGrpcRecordingProxy, startHttpRecordingProxy, type RecordingProxy } from '../support/recording-proxy.js';
import { ALLOWED_GRPC_METHODS, isHttpAllowed } from '../../src/sources/read-only.js';

const UP = 'docker_engine_component_up';
const HEALTHY = 'docker_engine_component_healthy';
const PROCESSES = 'docker_engine_component_processes';
const PROBE_SUCCESS = 'docker_engine_probe_success';
const OPEN_FDS = 'docker_engine_component_open_fds';
const THREADS = 'docker_engine_component_threads';
const MEMORY = 'docker_engine_component_resident_memory_bytes';
const ORPHAN_SHIMS = 'docker_engine_orphan_shims';
const MISSING_PROXIES = 'docker_engine_missing_proxies';
const EXITS = 'docker_engine_task_exits_total';

const POLL_MS = 500;
const PROBE_TIMEOUT_MS = 1000;

const skip = skipUnlessEngine();

describe('probes without a containerd socket, as an unprivileged user, and strictly read-only', { skip, timeout: 600_000 }, () => {
  let rig: EngineRig | undefined;

  const r = (): EngineRig => {
    assert.ok(rig, 'engine rig not started');
    return rig;
  };

  const exporterArgs = (dockerHost = r().dockerHost): string[] => [
    `--docker.pidfile=${r().pidfile}`,
    `--docker.host=${dockerHost}`,
    `--poll.interval=${POLL_MS}ms`,
    `--probe.timeout=${PROBE_TIMEOUT_MS}ms`,
    '--log.format=json',
    '--log.level=debug',
  ];

  before(async () => {
    rig = await startEngineRig();
    await rig.docker(['run', '-d', '--name', 'plain', 'rig/busybox', 'sleep', '1d']);
    const port = await freePort();
    await rig.docker(['run', '-d', '--name', 'web', '--init', '-p', `127.0.0.1:${port}:80`, 'rig/busybox', 'httpd', '-f', '-p', '80']);
  });

  after(async () => {
    await rig?.stop();
  });

  /** Moves containerd's socket to `to` and returns a function that puts it back (idempotent). */
  function moveContainerdSocket(to: string): () => void {
    const socket = r().containerdSocket;
    assert.ok(existsSync(socket), `${socket} exists`);
    renameSync(socket, to);
    let restored = false;
    return () => {
      if (restored) return;
      restored = true;
      rmSync(socket, { force: true }); // a proxy's socket in its place
      renameSync(to, socket);
    };
  }

  /** The engine works after the socket came back: a container runs and exits, dockerd and containerd answer. */
  async function engineStillWorks(): Promise<void> {
    const out = await r().docker(['run', '--rm', 'rig/busybox', 'echo', 'still-works'], { timeoutMs: 60_000 });
    assert.equal(out.stdout.trim(), 'still-works');
    const running = (await r().docker(['ps', '-q'])).stdout
      .trim()
      .split('\n')
      .filter((l) => l !== '');
    assert.equal(running.length, 2, `the rig's two containers still run: ${JSON.stringify(running)}`);
  }

  function exportedCounts(m: Map<string, number>): Record<Component, number | undefined> {
    const out = {} as Record<Component, number | undefined>;
    for (const c of COMPONENTS) out[c] = metric(m, PROCESSES, { component: c });
    return out;
  }

  /** Waits until the exporter's process counts equal /proc's twice in a row; fails with a diff. */
  async function countsMatchRealTree(ex: ExporterProcess, timeoutMs: number): Promise<Record<Component, number>> {
    const deadline = Date.now() + timeoutMs;
    let agreedOnce = false;
    for (;;) {
      const real = realComponentCounts(r());
      const exported = exportedCounts(await scrape(ex.url));
      const same = COMPONENTS.every((c) => exported[c] === real[c]);
      if (same && agreedOnce) return real;
      agreedOnce = same;
      if (Date.now() > deadline) {
        assert.deepEqual(exported, real, 'docker_engine_component_processes differs from the real tree');
        return real;
      }
      await delay(POLL_MS);
    }
  }

  it('containerd socket removed, exporter as root and as nobody: probe failures are metrics and log lines, no crash, process metrics right', async (t) => {
    const testStart = Date.now();
    const socket = r().containerdSocket;
    const restore = moveContainerdSocket(`${socket}.away`);
    // The rig's directory is 0700; a host's /var/run is not. Let other users through it (not read it)
    // so the unprivileged exporter can read the pidfile, as it could /var/run/docker.pid.
    const dirMode = statSync(r().dir).mode & 0o7777;
    chmodSync(r().dir, 0o711);
    let root: ExporterProcess | undefined;
    let nobody: ExporterProcess | undefined;
    /** Chain checks whose input is unknown: DESIGN/probe-metrics.ts say they are withheld, not 0. */
    const withheld: Array<[string, number | undefined]> = [];
    try {
      root = await startExporter({ args: exporterArgs() });
      nobody = await startExporterAsUser(NOBODY, { args: exporterArgs() });
      assert.deepEqual(processUids(nobody.pid), [NOBODY.uid, NOBODY.uid, NOBODY.uid, NOBODY.uid], 'the unprivileged exporter runs as nobody');

      t.diagnostic(`exporters started ${Date.now() - testStart} ms into the test`);
      for (const [name, ex] of [
        ['root', root],
        ['nobody', nobody],
      ] as const) {
        await waitFor(
          `${name}: containerd probes failing`,
          async () => {
            const m = await scrape(ex.url);
            return (
              metric(m, PROBE_SUCCESS, { probe: 'containerd_health' }) === 0 && metric(m, PROBE_SUCCESS, { probe: 'containerd_tasks' }) === 0
            );
          },
          10_000,
          100,
        ).catch((e: unknown) => {
          throw new Error(`${String(e)}\n${logSince(ex, 0)}`);
        });
        const real = await countsMatchRealTree(ex, 15_000);
        t.diagnostic(`${name}: process counts match /proc (${Date.now() - testStart} ms into the test): ${JSON.stringify(real)}`);
        const m = await scrape(ex.url);
        assert.equal(metric(m, UP, { component: 'dockerd' }), 1, `${name}: up{dockerd}`);
        assert.equal(metric(m, UP, { component: 'containerd' }), 1, `${name}: up{containerd} (the process runs; only its socket is gone)`);
        assert.equal(metric(m, HEALTHY, { component: 'containerd' }), 0, `${name}: healthy{containerd}`);
        // Checked at the end of the test, so that everything else is checked too (see below).
        withheld.push([`${name}: orphan_shims while Tasks/List fails`, metric(m, ORPHAN_SHIMS)]);
        for (const c of ['dockerd', 'containerd'] as const) {
          assert.ok((metric(m, THREADS, { component: c }) ?? 0) >= 1, `${name}: threads{${c}}`);
          assert.ok((metric(m, MEMORY, { component: c }) ?? 0) > 0, `${name}: resident_memory_bytes{${c}}`);
        }
        const failed = logLinesSince(ex, 0, 'probe failed', { probe: 'containerd_health' });
        assert.equal(failed.length, 1, `${name}: one "probe failed" line for containerd_health; ${logSince(ex, 0)}`);
        assert.equal(typeof failed[0]?.err, 'string');
        const h = await healthz(ex.url);
        assert.equal(h.status, 200, `${name}: /healthz (the exporter itself is fine)`);
        assert.notEqual(h.body.probes.containerd_health, 'ok', `${name}: /healthz shows the failing probe`);
      }

      // Root reaches dockerd and reads every process's fds; nobody reaches neither dockerd's socket
      // (root's, mode 0660) nor root's /proc/<pid>/fd: open_fds is absent for root's processes (the
      // documented behaviour: omitted, not under-reported).
      const mr = await scrape(root.url);
      assert.equal(metric(mr, PROBE_SUCCESS, { probe: 'dockerd_ping' }), 1, 'root: dockerd_ping');
      assert.equal(metric(mr, HEALTHY, { component: 'dockerd' }), 1, 'root: healthy{dockerd}');
      assert.ok((metric(mr, OPEN_FDS, { component: 'dockerd' }) ?? 0) > 0, 'root: open_fds{dockerd}');
      const mn = await scrape(nobody.url);
      assert.equal(metric(mn, PROBE_SUCCESS, { probe: 'dockerd_ping' }), 0, 'nobody: dockerd_ping fails (permission denied)');
      assert.equal(metric(mn, HEALTHY, { component: 'dockerd' }), 0, 'nobody: healthy{dockerd}');
      assert.equal(logLinesSince(nobody, 0, 'probe failed', { probe: 'dockerd_ping' }).length, 1, logSince(nobody, 0));
      for (const c of ['dockerd', 'containerd', 'containerd-shim'] as const) {
        assert.equal(metric(mn, OPEN_FDS, { component: c }), undefined, `nobody: open_fds{${c}} absent`);
      }
      withheld.push(['nobody: missing_proxies while /containers/json fails', metric(mn, MISSING_PROXIES)]);

      // No crash: both keep polling and answering for a while.
      await delay(6 * POLL_MS);
      for (const [name, ex] of [
        ['root', root],
        ['nobody', nobody],
      ] as const) {
        assert.equal(ex.exited(), false, `${name}: the exporter is still running`);
        const res = await fetchText(`${ex.url}/metrics`);
        assert.equal(res.status, 200, `${name}: /metrics`);
        assert.ok(!/fatal|uncaught|unhandled/i.test(ex.logs()), `${name}: no fatal error in the output:\n${ex.logs().slice(-2000)}`);
      }
      await countsMatchRealTree(nobody, 10_000);

      // The socket comes back: root's probes recover without a restart of the exporter.
      restore();
      await waitFor(
        'root: containerd probes to succeed again',
        async () => {
          const m = await scrape(root!.url);
          return (
            metric(m, PROBE_SUCCESS, { probe: 'containerd_health' }) === 1 &&
            metric(m, PROBE_SUCCESS, { probe: 'containerd_tasks' }) === 1 &&
            metric(m, HEALTHY, { component: 'containerd' }) === 1 &&
            metric(m, ORPHAN_SHIMS) === 0
          );
        },
        10_000,
        100,
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}\n${logSince(root!, 0)}`);
      });
      assert.ok(logLinesSince(root, 0, 'probe recovered', { probe: 'containerd_health' }).length >= 1, logSince(root, 0));
      t.diagnostic(`root's probes recovered (${Date.now() - testStart} ms into the test)`);
    } finally {
      restore();
      chmodSync(r().dir, dirMode);
      await root?.stop();
      await nobody?.stop();
    }
    const checkedAt = Date.now();
    await engineStillWorks();
    t.diagnostic(`socket back: the engine runs containers (${Date.now() - checkedAt} ms)`);
    assert.equal(withheld.length, 3, 'all withheld checks were observed');
    const shown = withheld.filter(([, value]) => value !== undefined).map(([what, value]) => `${what} is exported as ${value}`);
    assert.deepEqual(shown, [], 'a chain check whose input is unknown is withheld (absent), not exported as a guess');
  });

  it('read-only: every request the exporter sends to dockerd and containerd is on the allowlist (GET/HEAD only to dockerd)', async (t) => {
    const dockerProxySocket = join(r().dir, 'dproxy.sock');
    const realContainerd = `${r().containerdSocket}.real`;
    let dproxy: RecordingProxy | undefined;
    let cproxy: RecordingProxy | undefined;
    let ex: ExporterProcess | undefined;
    const restore = moveContainerdSocket(realContainerd);
    try {
      dproxy = await startHttpRecordingProxy(dockerProxySocket, r().dockerSocket);
      cproxy = await startGrpcRecordingProxy(r().containerdSocket, realContainerd);
      // A short sweep interval, so that the per-container sweep's calls go through the proxies too.
      ex = await startExporter({ args: [...exporterArgs(`unix://${dockerProxySocket}`), '--sweep.interval=1s'] });
      const url = ex.url;
      await waitFor(
        'every probe to succeed through the proxies',
        async () => {
          const m = await scrape(url);
          return [
            'containerd_health',
            'containerd_tasks',
            'containerd_version',
            'containerd_events',
            'dockerd_ping',
            'dockerd_version',
            'dockerd_info',
            'dockerd_containers',
            'containerd_containers',
            'engine_sweep',
          ].every((probe) => metric(m, PROBE_SUCCESS, { probe }) === 1);
        },
        15_000,
        100,
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}\n${logSince(ex!, 0)}`);
      });
      const exits0 = (await metricNow(url, EXITS, { namespace: 'moby' })) ?? 0;

      // Engine activity while the exporter watches: a container started and stopped, one that exits.
      await r().docker(['run', '-d', '--name', 'ro', 'rig/busybox', 'sleep', '1d']);
      await r().docker(['stop', '-t', '1', 'ro']);
      await r().docker(['run', '--rm', 'rig/busybox', 'true']);
      await waitFor(
        'both exits to arrive over the proxied event stream',
        async () => ((await metricNow(url, EXITS, { namespace: 'moby' })) ?? 0) >= exits0 + 2,
        15_000,
        100,
      );
      await r().docker(['rm', 'ro']);
      // More than one round of /containers/json (every 5 s) and many polls.
      await delay(6000);
      assert.equal(ex.exited(), false);
    } finally {
      await ex?.stop();
      await dproxy?.close();
      await cproxy?.close();
      restore();
      rmSync(dockerProxySocket, { force: true });
    }

    const grpc = cproxy.requests;
    const http = dproxy.requests;
    const count = (list: { method: string; path: string }[]): string =>
      JSON.stringify(
        Object.fromEntries(
          [...new Set(list.map((q) => `${q.method} ${q.path}`))].map((k) => [k, list.filter((q) => `${q.method} ${q.path}` === k).length]),
        ),
      );
    t.diagnostic(`containerd requests: ${count(grpc)}`);
    t.diagnostic(`dockerd requests: ${count(http)}`);

    // The proxies saw the exporter's traffic (the proof is empty otherwise)...
    for (const path of [
      '/grpc.health.v1.Health/Check',
      '/containerd.services.tasks.v1.Tasks/List',
      '/containerd.services.events.v1.Events/Subscribe',
      '/containerd.services.version.v1.Version/Version',
      '/containerd.services.tasks.v1.Tasks/Get',
      '/containerd.services.containers.v1.Containers/List',
      '/containerd.services.namespaces.v1.Namespaces/List',
      '/containerd.services.introspection.v1.Introspection/Plugins',
    ]) {
      assert.ok(
        grpc.some((q) => q.path === path),
        `containerd proxy recorded ${path}: ${count(grpc)}`,
      );
    }
    const bare = (p: string): string => p.split('?')[0]!.replace(/^\/v\d+\.\d+(?=\/)/, '');
    for (const path of ['/_ping', '/version', '/info', '/containers/json', '/events']) {
      assert.ok(
        http.some((q) => bare(q.path) === path),
        `dockerd proxy recorded ${path}: ${count(http)}`,
      );
    }
    assert.ok(grpc.filter((q) => q.path === '/grpc.health.v1.Health/Check').length >= 10, 'health checked on many polls');
    assert.ok(
      http.some((q) => /^\/containers\/[0-9a-f]{64}\/json$/.test(bare(q.path))),
      `dockerd proxy recorded a container's inspect: ${count(http)}`,
    );

    // ...and nothing else.
    for (const q of grpc) {
      assert.equal(q.method, 'POST', `gRPC is POST: ${q.method} ${q.path}`);
      assert.ok(ALLOWED_GRPC_METHODS.has(q.path), `containerd request not on the allowlist: ${q.path}`);
    }
    for (const q of http) {
      assert.ok(q.method === 'GET' || q.method === 'HEAD', `only GET/HEAD to dockerd: ${q.method} ${q.path}`);
      assert.ok(isHttpAllowed(q.method, q.path), `dockerd request not on the allowlist: ${q.method} ${q.path}`);
    }

    await engineStillWorks();
  });
});
