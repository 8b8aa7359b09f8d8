/**
 * The shipped exporter's CPU over a window of wall time, as deployed: `node <main.js's node flags>
 * dist/main.js --poll.interval=1s` with MALLOC_ARENA_MAX=2 against a test rig, probes and the sweep on
 * (their defaults), GET /metrics every 15 s as Prometheus would. CPU time of all its threads from
 * /proc/PID/stat (threads that ended included), its polls and scans from its own metrics, and the
 * split by thread from /proc/PID/task/*. Beside it, neighbours (process-exporter, node_exporter)
 * looked at once a second, the exporter's own cadence, each with its CPU per look.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { EngineRig, ExporterProcess } from '../../test/support/engine-rig.js';
import {
  deployedNodeFlags,
  exporterPolled,
  httpGet,
  NODE_EXPORTER,
  POLL_SECONDS,
  POLLS,
  PROCESS_EXPORTER,
  processCpuMs,
  sleep,
  startProgram,
  type Program,
} from './programs.js';
import { summarize, type Summary } from './stats.js';

/** The six components as process-exporter's comm matchers (comm is cut to 15 bytes: containerd-shim). */
const COMMS = ['dockerd', 'containerd', 'containerd-shim', 'runc', 'docker-proxy', 'docker-init'];
const SCANS = 'docker_engine_exporter_scans_total{';
export const SCRAPE_EVERY_S = 15;

/** The exporter as deployed, watching the rig, once it finished a poll. */
export async function startShipped(mainJs: string, rig: EngineRig): Promise<ExporterProcess> {
  const args = ['--poll.interval=1s', `--docker.host=${rig.dockerHost}`, `--docker.pidfile=${rig.pidfile}`];
  return exporterPolled(args, deployedNodeFlags(mainJs), { ...process.env, MALLOC_ARENA_MAX: '2' });
}

export type Neighbour = Program & { name: 'process-exporter' | 'node_exporter' };

/** process-exporter (six comm matchers, one per component) and node_exporter (default collectors), those installed. */
export async function startNeighbours(workDir: string, log: (line: string) => void): Promise<Neighbour[]> {
  const config = path.join(workDir, 'process-exporter.yml');
  writeFileSync(config, `process_names:\n${COMMS.map((c) => `  - name: "${c}"\n    comm: ["${c}"]\n`).join('')}`);
  const specs = [
    ['process-exporter', PROCESS_EXPORTER, (p: number) => ['-config.path', config, '-web.listen-address', `127.0.0.1:${p}`]],
    ['node_exporter', NODE_EXPORTER, (p: number) => [`--web.listen-address=127.0.0.1:${p}`]],
  ] as const;
  const out: Neighbour[] = [];
  for (const [name, binary, args] of specs) {
    const logFile = path.join(workDir, `${name}.log`);
    const p = await startProgram(binary, args, logFile).catch((err: unknown) => void log(`no ${name}: ${String(err)}`));
    if (p) out.push({ ...p, name });
  }
  return out;
}

/** One GET /metrics, ms; throws unless 200. */
export async function look(url: string, agent?: http.Agent, timeoutMs = 120_000): Promise<number> {
  const r = await httpGet(url, agent, timeoutMs);
  if (r.status !== 200) throw new Error(`GET ${url} answered ${r.status}`);
  return r.ms;
}

interface ThreadSample {
  runNs: number;
  reads: number;
}

/** Per thread: time on a CPU (schedstat, ns) and read syscalls (io, syscr); threads that ended are gone. */
function threads(pid: number): Map<number, ThreadSample> {
  const out = new Map<number, ThreadSample>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const runNs = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const reads = Number(/^syscr: (\d+)$/m.exec(readFileSync(`/proc/${pid}/task/${tid}/io`, 'utf8'))?.[1] ?? 0);
      out.set(Number(tid), { runNs, reads });
    } catch {
      /* ended meanwhile */
    }
  }
  return out;
}

/** Counters of the exporter's own exposition: polls, seconds polling, scans by `kind/reason`. */
function counters(body: string): { polls: number; pollS: number; scans: Map<string, number> } {
  const scans = new Map<string, number>();
  let [polls, pollS] = [0, 0];
  for (const line of body.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith(`${POLLS} `)) polls = value;
    else if (line.startsWith(`${POLL_SECONDS} `)) pollS = value;
    else if (line.startsWith(SCANS)) {
      const [kind, reason] = ['kind', 'reason'].map((l) => new RegExp(`${l}="([^"]*)"`).exec(line)?.[1] ?? '');
      scans.set(reason ? `${kind}/${reason}` : (kind ?? ''), value);
    }
  }
  return { polls, pollS, scans };
}

export interface WindowResult {
  seconds: number;
  polls: number;
  /** All threads, ms. */
  cpuMs: number;
  cpuMsPerPoll: number;
  coreShare: number;
  /** Mean wall time of a poll, from its own histogram. */
  pollMs: number;
  scrapes: number;
  /** Scans in the window by kind (and why a scan was full). */
  scans: Record<string, number>;
  /** ms on a CPU in the window: the main thread, the thread that made most read syscalls besides it (the scan worker), the rest. */
  split: Record<'main' | 'reader' | 'others', number>;
  neighbours: Array<{ name: string; looks: number; cpuMsPerLook: number; lookMs: Summary }>;
}

/**
 * `seconds` of the exporter at work, scraped every SCRAPE_EVERY_S (at the start and the end too),
 * while each neighbour is looked at once a second.
 */
export async function measureWindow(ex: ExporterProcess, neighbours: readonly Neighbour[], seconds: number): Promise<WindowResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const scrape = async (): Promise<string> => (await httpGet(`${ex.url}/metrics`, agent, 10_000)).body;
    const looks = neighbours.map(() => [] as number[]);
    const [before, c0, nc0, t0, th0] = [
      counters(await scrape()),
      processCpuMs(ex.pid),
      neighbours.map((n) => processCpuMs(n.pid)),
      performance.now(),
      threads(ex.pid),
    ];
    let scrapes = 1;
    // By the clock, not by the count of looks: slow looks on a loaded host must not stretch the window.
    for (let s = 1; performance.now() - t0 < seconds * 1000; s++) {
      for (const [i, n] of neighbours.entries()) looks[i]!.push(await look(`${n.url}/metrics`));
      if (s % SCRAPE_EVERY_S === 0 && performance.now() - t0 < (seconds - 1) * 1000) {
        scrapes++;
        await scrape();
      }
      await sleep(Math.max(0, t0 + s * 1000 - performance.now()));
    }
    const th1 = threads(ex.pid);
    const [after, cpuMs, wallS] = [counters(await scrape()), processCpuMs(ex.pid) - c0, (performance.now() - t0) / 1000];
    const delta = [...th1].map(([tid, t]) => {
      const b = th0.get(tid) ?? { runNs: 0, reads: 0 };
      return { tid, ms: (t.runNs - b.runNs) / 1e6, reads: t.reads - b.reads };
    });
    const main = delta.find((d) => d.tid === ex.pid)?.ms ?? 0;
    const reader = delta.filter((d) => d.tid !== ex.pid).sort((a, b) => b.reads - a.reads)[0]?.ms ?? 0;
    const polls = after.polls - before.polls;
    const scans: Record<string, number> = {};
    for (const [k, v] of after.scans) if (v !== before.scans.get(k)) scans[k] = v - (before.scans.get(k) ?? 0);
    return {
      seconds: wallS,
      polls,
      cpuMs,
      cpuMsPerPoll: cpuMs / polls,
      coreShare: cpuMs / 1000 / wallS,
      pollMs: ((after.pollS - before.pollS) / polls) * 1000,
      scrapes: scrapes + 1,
      scans,
      split: { main, reader, others: delta.reduce((a, d) => a + d.ms, 0) - main - reader },
      neighbours: neighbours.map((n, i) => ({
        name: n.name,
        looks: looks[i]!.length,
        cpuMsPerLook: (processCpuMs(n.pid) - nc0[i]!) / looks[i]!.length,
        lookMs: summarize(looks[i]!),
      })),
    };
  } finally {
    agent.destroy();
  }
}
