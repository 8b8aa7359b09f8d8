/**
 * Probe latencies (issue 3, "Benchmark"): each socket probe called through the exporter's own clients
 * (src/sources/containerd/containerd-client.ts, src/sources/docker/engine-api-client.ts) against a real
 * engine: the rig of test/support/engine-rig.ts, started here (with two containers, one publishing a
 * port, so Tasks/List and /containers/json are not empty) unless one is given.
 *
 * Calls are sequential, after a few unmeasured warm-up calls (the first gRPC call of a process takes
 * ~45 ms: ENGINE-FACTS, and the next few are slower too), bounded in count (default 200) and in time per probe (default 10 s). /version
 * and /info make dockerd exec runc and docker-init on every call, which is why the exporter calls
 * them rarely; here they are measured like the rest.
 */
import { createContainerdClient, loadContainerdServices } from '../src/sources/containerd/containerd-client.js';
import { createEngineApiClient } from '../src/sources/docker/engine-api-client.js';
import { freePort, startEngineRig, type EngineRig } from '../test/support/engine-rig.js';
import { percentile } from './stats.js';

export const BENCH_PROBES = [
  'containerd_health',
  'containerd_version',
  'containerd_tasks',
  'dockerd_ping',
  'dockerd_version',
  'dockerd_info',
  'dockerd_containers',
] as const;
export type BenchProbeName = (typeof BENCH_PROBES)[number];

export interface ProbeLatency {
  p50Ms: number;
  p99Ms: number;
  n: number;
}

export interface ProbeLatencyOptions {
  /** Measured calls per probe (1..10,000; default 200). */
  iterations?: number;
  /** Unmeasured calls per probe first (default 20). */
  warmup?: number;
  /** Stop a probe early once its measured calls took this long, if at least 20 ran (default 10 s). */
  budgetMsPerProbe?: number;
  /** Timeout of each call, as --probe.timeout (default 2 s). */
  timeoutMs?: number;
}

type Rig = Pick<EngineRig, 'containerdSocket' | 'dockerSocket'>;

export async function measureProbeLatency(rig?: Rig, opts: ProbeLatencyOptions = {}): Promise<Record<BenchProbeName, ProbeLatency>> {
  const iterations = opts.iterations ?? 200;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000) throw new Error(`iterations: expected 1..10000, got ${iterations}`);
  const warmup = opts.warmup ?? 20;
  const budgetMs = opts.budgetMsPerProbe ?? 10_000;
  const timeoutMs = opts.timeoutMs ?? 2000;

  let owned: EngineRig | null = null;
  if (!rig) {
    owned = await startEngineRig();
    await owned.docker(['run', '-d', 'rig/busybox', 'sleep', '1d']);
    const port = await freePort();
    await owned.docker(['run', '-d', '--init', '-p', `127.0.0.1:${port}:80`, 'rig/busybox', 'httpd', '-f', '-p', '80']);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // let the engine settle after the starts
  }
  const target = rig ?? (owned as EngineRig);
  const containerd = createContainerdClient(target.containerdSocket, loadContainerdServices());
  const docker = createEngineApiClient(target.dockerSocket);
  const dockerGet = (path: string) => async (): Promise<void> => {
    const res = await docker.get(path, timeoutMs);
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
  };
  const calls: Record<BenchProbeName, () => Promise<unknown>> = {
    containerd_health: async () => {
      const status = await containerd.health(timeoutMs);
      if (status !== 'SERVING') throw new Error(`health status ${status}`);
    },
    containerd_version: () => containerd.version(timeoutMs),
    containerd_tasks: () => containerd.listTasks('moby', timeoutMs),
    dockerd_ping: dockerGet('/_ping'),
    dockerd_version: dockerGet('/version'),
    dockerd_info: dockerGet('/info'),
    dockerd_containers: dockerGet('/containers/json'),
  };
  try {
    const out = {} as Record<BenchProbeName, ProbeLatency>;
    for (const name of BENCH_PROBES) {
      const call = calls[name];
      for (let i = 0; i < warmup; i++) await call();
      const samples: number[] = [];
      const started = performance.now();
      for (let i = 0; i < iterations; i++) {
        const t0 = performance.now();
        await call();
        samples.push(performance.now() - t0);
        if (samples.length >= 20 && performance.now() - started > budgetMs) break;
      }
      samples.sort((a, b) => a - b);
      out[name] = { p50Ms: round(percentile(samples, 50)), p99Ms: round(percentile(samples, 99)), n: samples.length };
    }
    return out;
  } finally {
    containerd.close();
    await owned?.stop();
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** A markdown table of the result, one row per probe. */
export function renderProbeLatencyMarkdown(result: Record<BenchProbeName, ProbeLatency>): string {
  const rows = BENCH_PROBES.map((name) => {
    const r = result[name];
    return `| \`${name}\` | ${r.n} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} |`;
  });
  return ['| probe | calls | median (ms) | p99 (ms) |', '|---|---:|---:|---:|', ...rows].join('\n');
}
