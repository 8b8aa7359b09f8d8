/**
 * Probe latencies through the exporter's own containerd and Engine API clients against the test rig,
 * with two containers (one publishing a port) so that Tasks/List and /containers/json are not empty.
 * `--probe-calls` sequential calls per probe (at most 10 s once 20 ran) after 20 unmeasured ones:
 * a process's first gRPC calls are slower.
 */
import { createContainerdClient, loadContainerdServices } from '../../src/sources/containerd/containerd-client.js';
import { createEngineApiClient } from '../../src/sources/docker/engine-api-client.js';
import { freePort, startEngineRig } from '../../test/support/engine-rig.js';
import type { Context, Section } from '../harness.js';
import { fmtMs, mdTable } from '../lib/markdown.js';
import { sleep } from '../lib/programs.js';
import { repeat, summarize, type Summary } from '../lib/stats.js';

/** As --probe.timeout. */
const TIMEOUT_MS = 2_000;

type Result = { calls: number; probes: Record<string, Summary> };

async function run(ctx: Context): Promise<Result> {
  const rig = await startEngineRig();
  const containerd = createContainerdClient(rig.containerdSocket, loadContainerdServices());
  try {
    await rig.docker(['run', '-d', 'rig/busybox', 'sleep', '1d']);
    await rig.docker(['run', '-d', '--init', '-p', `127.0.0.1:${await freePort()}:80`, 'rig/busybox', 'httpd', '-f', '-p', '80']);
    await sleep(2_000); // let the engine settle after the starts
    const docker = createEngineApiClient(rig.dockerSocket);
    const dockerGet = (path: string) => async (): Promise<void> => {
      const res = await docker.get(path, TIMEOUT_MS);
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
    };
    const calls: Record<string, () => Promise<unknown>> = {
      containerd_health: async () => {
        const status = await containerd.health(TIMEOUT_MS);
        if (status !== 'SERVING') throw new Error(`health status ${status}`);
      },
      containerd_version: () => containerd.version(TIMEOUT_MS),
      containerd_tasks: () => containerd.listTasks('moby', TIMEOUT_MS),
      dockerd_ping: dockerGet('/_ping'),
      dockerd_version: dockerGet('/version'),
      dockerd_info: dockerGet('/info'),
      dockerd_containers: dockerGet('/containers/json'),
    };
    const probes: Record<string, Summary> = {};
    for (const [name, call] of Object.entries(calls)) {
      ctx.log(`probes: ${name}`);
      for (let i = 0; i < 20; i++) await call();
      probes[name] = summarize((await repeat(call, ctx.opts.num['probe-calls'], 10_000)).wall);
    }
    return { calls: ctx.opts.num['probe-calls'], probes };
  } finally {
    containerd.close();
    await rig.stop();
  }
}

function render(r: Result): string[] {
  const rows = Object.entries(r.probes).map(([name, s]) => [`\`${name}\``, String(s.n), fmtMs(s.median), fmtMs(s.p99)]);
  return [
    `Up to ${r.calls} sequential calls per probe through the exporter's own clients:`,
    '',
    mdTable(['probe', 'calls', 'median (ms)', 'p99 (ms)'], rows),
  ];
}

export const probes: Section<Result> = { name: 'probes', title: () => 'Probe latency', run, render };
