/**
 * `npm run bench`: the cost of one poll at the host's own process count, at 2,000 and at 10,000
 * processes, for the procfs scan (direct and through its worker), the ps-list source and a C program
 * doing the same reads (the floor); then GET /metrics latency of the built exporter while it polls
 * rarely and while it polls all the time. Writes the results into docs/benchmarks.md.
 *
 * The extra processes are idle children of bench/c/spawn-idle.c, started and reaped here by pid.
 * Options (after `npm run bench --`): --sizes=host,2000,10000 --iterations=30 --pslist-iterations=8
 * --rounds=15 --requests=500 --candidates-per-mille=10 --skip-metrics --no-write --procfs=/proc
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ProcessSnapshot, ProcessSource } from '../src/sources/process-source.js';
import {
  buildCBinaries,
  countProcesses,
  IdleProcesses,
  runScanFloor,
  waitGroupGone,
  type CBinaries,
} from './c-tools.js';
import { othersShare, sampleCpu } from './cpu-meter.js';
import { poolLatency, RunningExporter, type LatencyResult } from './metrics-latency.js';
import { machineInfo, renderMarkdown, renderText, writeMarkdown, type BenchReport, type SizeResult } from './report.js';
import { repeat, summarize } from './stats.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Options {
  sizes: Array<number | 'host'>;
  iterations: number;
  psListIterations: number;
  rounds: number;
  requests: number;
  candidatesPerMille: number;
  skipMetrics: boolean;
  write: boolean;
  procfsPath: string;
}

function parseOptions(argv: readonly string[]): Options {
  const opts: Options = {
    sizes: ['host', 2000, 10000],
    iterations: 30,
    psListIterations: 8,
    rounds: 15,
    requests: 500,
    candidatesPerMille: 10,
    skipMetrics: false,
    write: true,
    procfsPath: '/proc',
  };
  const int = (name: string, v: string, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: expected an integer in ${min}..${max}, got "${v}"`);
    return n;
  };
  for (const arg of argv) {
    const [key, value = ''] = arg.replace(/^--/, '').split(/=(.*)/s);
    switch (key) {
      case 'sizes':
        opts.sizes = value.split(',').map((s) => (s === 'host' ? 'host' : int('sizes', s, 1, 30000)));
        break;
      case 'iterations':
        opts.iterations = int(key, value, 1, 1000);
        break;
      case 'pslist-iterations':
        opts.psListIterations = int(key, value, 0, 100);
        break;
      case 'rounds':
        opts.rounds = int(key, value, 1, 100);
        break;
      case 'requests':
        opts.requests = int(key, value, 1, 10000);
        break;
      case 'candidates-per-mille':
        opts.candidatesPerMille = int(key, value, 0, 1000);
        break;
      case 'skip-metrics':
        opts.skipMetrics = true;
        break;
      case 'no-write':
        opts.write = false;
        break;
      case 'procfs':
        opts.procfsPath = value;
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  return opts;
}

// The exporter's modules are imported by computed URL so that this file compiles (and the C parts run)
// before they exist; their shapes are restated here and checked at run time.
interface ScanOptions {
  procfsPath: string;
  pidfilePath: string | null;
}
interface ScanModule {
  createProcfsScratch(): unknown;
  scanProcfs(opts: ScanOptions, scratch: unknown): ProcessSnapshot;
}
interface ProcfsSourceModule {
  createProcfsSource(opts: ScanOptions): ProcessSource;
}
interface PsListModule {
  createPsListSource(opts: { pidfilePath: string | null }): ProcessSource;
}

async function load<T>(relative: string, exportName: string, notes: string[]): Promise<T | null> {
  const url = new URL(relative, import.meta.url);
  if (!existsSync(url)) {
    notes.push(`${relative.replace('../', '').replace(/\.js$/, '.ts')} is not built yet: its column is n/a`);
    return null;
  }
  const mod = (await import(url.href)) as Record<string, unknown>;
  if (typeof mod[exportName] !== 'function') {
    notes.push(`${relative} does not export ${exportName}(): its column is n/a`);
    return null;
  }
  return mod as T;
}

/** Cleanups for an interrupted run: everything the bench started, by pid. */
const running = new Set<{ killNow(): void }>();
function killEverything(): void {
  for (const r of running) r.killNow();
}
process.once('exit', killEverything);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    killEverything();
    process.exit(130);
  });
}

/**
 * The C floor, the direct scan and the worker source take turns, `rounds` times, and their samples are
 * pooled: background load that comes and goes then weighs on all three alike, and the ratios hold.
 */
async function measureSize(
  label: string,
  idleSpawned: number,
  opts: Options,
  bins: CBinaries,
  mods: { scan: ScanModule | null; procfs: ProcfsSourceModule | null; psList: PsListModule | null },
): Promise<SizeResult> {
  const scanOpts: ScanOptions = { procfsPath: opts.procfsPath, pidfilePath: null };
  const result: SizeResult = {
    label,
    processes: countProcesses(opts.procfsPath),
    idleSpawned,
    candidates: null,
    floor: null,
    floorCpu: null,
    sync: null,
    syncCpu: null,
    worker: null,
    psList: null,
    idleLoopMaxMs: null,
    workerLoopMaxMs: null,
    psListLoopMaxMs: null,
    notes: [],
  };
  const log = (what: string): void => console.error(`[bench] ${label}: ${what}`);
  const perRound = Math.max(1, Math.ceil(opts.iterations / opts.rounds));
  const repeatOpts = { warmup: 0, iterations: perRound, budgetMs: 30_000 / opts.rounds, minIterations: Math.min(3, perRound) };

  const floorSamples: number[] = [];
  const floorCpu: number[] = [];
  const syncSamples: number[] = [];
  const syncCpu: number[] = [];
  const workerSamples: number[] = [];
  const scratch = mods.scan?.createProcfsScratch();
  const worker = mods.procfs?.createProcfsSource(scanOpts) ?? null;
  let loopMaxMs = 0;
  let last: ProcessSnapshot | null = null;
  let floorPids = 0;
  // The machine's own noise: the longest event-loop stall while nothing at all runs here.
  const idleLoop = monitorEventLoopDelay({ resolution: 1 });
  idleLoop.enable();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  idleLoop.disable();
  result.idleLoopMaxMs = idleLoop.max / 1e6;
  try {
    // Unmeasured: the worker thread's start, the JIT, the dentry cache.
    if (worker) for (let i = 0; i < 2; i++) await worker.scan();
    if (mods.scan) for (let i = 0; i < 2; i++) last = mods.scan.scanProcfs(scanOpts, scratch);
    log(`C floor, scanProcfs direct, procfs source: ${opts.rounds} rounds of ${perRound} scans each`);
    for (let round = 0; round < opts.rounds; round++) {
      const floor = await runScanFloor(bins.scanFloor, { ...scanOpts, iterations: perRound, warmup: 1 });
      floorSamples.push(...floor.samples_us.map((us) => us / 1000));
      floorCpu.push(...floor.cpu_samples_us.map((us) => us / 1000));
      result.candidates = floor.candidates;
      floorPids = floor.pids;
      if (mods.scan) {
        const { scanProcfs } = mods.scan;
        const s = await repeat(() => {
          last = scanProcfs(scanOpts, scratch);
        }, repeatOpts);
        syncSamples.push(...s.wall);
        syncCpu.push(...s.cpu);
      }
      if (worker) {
        // A fresh histogram per round: a re-enabled one counts the time it was off (the sync scans).
        const loop = monitorEventLoopDelay({ resolution: 1 });
        loop.enable();
        workerSamples.push(...(await repeat(() => worker.scan(), repeatOpts)).wall);
        loop.disable();
        loopMaxMs = Math.max(loopMaxMs, loop.max / 1e6);
      }
    }
  } finally {
    await worker?.close();
  }
  result.floor = summarize(floorSamples);
  result.floorCpu = summarize(floorCpu);
  if (mods.scan) {
    result.sync = summarize(syncSamples);
    result.syncCpu = summarize(syncCpu);
  }
  if (worker) {
    result.worker = summarize(workerSamples);
    result.workerLoopMaxMs = loopMaxMs;
  }
  const snap = last as ProcessSnapshot | null;
  if (snap !== null && Math.abs(snap.scannedPids - floorPids) > Math.max(5, floorPids * 0.02)) {
    result.notes.push(`scanProcfs walked ${snap.scannedPids} pids, the C floor ${floorPids}`);
  }
  if (snap !== null && snap.errors.length > 0) result.notes.push(`scanProcfs reported ${snap.errors.length} read errors`);

  if (mods.psList && opts.psListIterations > 0) {
    log(`ps-list source (up to ${opts.psListIterations} scans)`);
    const source = mods.psList.createPsListSource({ pidfilePath: null });
    const psLoop = monitorEventLoopDelay({ resolution: 1 });
    try {
      await source.scan();
      psLoop.enable();
      const samples = await repeat(() => source.scan(), {
        warmup: 0,
        iterations: opts.psListIterations,
        budgetMs: 20_000,
        minIterations: Math.min(3, opts.psListIterations),
      });
      psLoop.disable();
      result.psList = summarize(samples.wall);
      result.psListLoopMaxMs = psLoop.max / 1e6;
    } finally {
      await source.close();
    }
  }
  return result;
}

/**
 * The exporter's runs: polls idle, a poll always running, and for reference a source that blocks.
 * The first two are compared, so they run in the order A B B A, half the requests each, and are
 * pooled: load from elsewhere that drifts during the run then weighs on both alike.
 */
const LATENCY_VARIANTS = {
  idle: { label: '60s', flags: ['--poll.interval=60s'] },
  busy: { label: '100ms', flags: ['--poll.interval=100ms'] },
  psList: {
    label: '100ms, ps-list (reference: parses on the event loop)',
    flags: ['--poll.interval=100ms', '--process.source=ps-list'],
  },
} as const;

async function measureLatency(mainJs: string, opts: Options, logFile: string): Promise<LatencyResult[]> {
  const { idle, busy, psList } = LATENCY_VARIANTS;
  const half = Math.max(1, Math.ceil(opts.requests / 2));
  const plan = [
    { variant: idle, requests: half },
    { variant: busy, requests: half },
    { variant: busy, requests: half },
    { variant: idle, requests: half },
    { variant: psList, requests: opts.requests },
  ];
  const runs = new Map<string, LatencyResult[]>();
  for (const { variant, requests } of plan) {
    console.error(`[bench] GET /metrics x${requests}, exporter with ${variant.flags.join(' ')}`);
    const exporter = await RunningExporter.start(mainJs, variant.flags, logFile);
    running.add(exporter);
    try {
      const result = await exporter.measure(requests, variant.label);
      runs.set(variant.label, [...(runs.get(variant.label) ?? []), result]);
    } finally {
      await exporter.stop();
      running.delete(exporter);
    }
  }
  return [...runs.values()].map(poolLatency);
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const before = sampleCpu();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const runStart = sampleCpu();
  const othersBefore = othersShare(before, runStart);
  if (othersBefore !== null && othersBefore > 0.1) {
    console.error(`[bench] warning: other work keeps the CPUs ${Math.round(othersBefore * 100)}% busy; the figures will be noisy`);
  }
  let othersDuringLatency: number | null = null;
  const startedAt = new Date();
  const notes: string[] = [];
  const bins = buildCBinaries(repoRoot, path.join(repoRoot, 'build', 'bench', 'c'));
  const mods = {
    scan: await load<ScanModule>('../src/sources/procfs/scan-procfs.js', 'scanProcfs', notes),
    procfs: await load<ProcfsSourceModule>('../src/sources/procfs/procfs-source.js', 'createProcfsSource', notes),
    psList: await load<PsListModule>('../src/sources/ps-list/ps-list-source.js', 'createPsListSource', notes),
  };
  const mainJs = path.join(repoRoot, 'dist', 'main.js');
  const largest = Math.max(0, ...opts.sizes.map((s) => (s === 'host' ? 0 : s)));
  if (!opts.skipMetrics && !existsSync(mainJs)) notes.push('dist/main.js is not built yet: no /metrics latency');
  const wantLatency = !opts.skipMetrics && existsSync(mainJs) && largest > 0;

  const sizes: SizeResult[] = [];
  let latency: LatencyResult[] = [];
  let latencyProcesses: number | null = null;
  for (const size of opts.sizes) {
    const label = size === 'host' ? 'host' : size.toLocaleString('en-US');
    let idle: IdleProcesses | null = null;
    try {
      if (size !== 'host') {
        const need = size - countProcesses(opts.procfsPath);
        if (need <= 0) notes.push(`${label}: the host already runs more processes; measured as it is`);
        if (need > 0) {
          const candidates = Math.round((need * opts.candidatesPerMille) / 1000);
          console.error(`[bench] ${label}: starting ${need} idle processes (${candidates} named containerd-shim)`);
          const t0 = performance.now();
          idle = await IdleProcesses.start(bins.spawnIdle, need, candidates);
          running.add(idle);
          console.error(`[bench] ${label}: ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        }
      }
      const result = await measureSize(label, idle?.children ?? 0, opts, bins, mods);
      sizes.push(result);
      if (wantLatency && size === largest) {
        latencyProcesses = countProcesses(opts.procfsPath);
        const latencyStart = sampleCpu();
        latency = await measureLatency(mainJs, opts, path.join(repoRoot, 'build', 'bench', 'exporter.log'));
        othersDuringLatency = othersShare(latencyStart, sampleCpu());
      }
    } finally {
      if (idle) {
        const t0 = performance.now();
        const stopped = await idle.stop();
        running.delete(idle);
        const left = await waitGroupGone(idle.pid, 10_000, opts.procfsPath);
        const took = ((performance.now() - t0) / 1000).toFixed(1);
        console.error(
          `[bench] ${label}: reaped ${stopped.reaped ?? '?'} idle processes in ${took} s${stopped.forced ? ' (forced with SIGKILL)' : ''}; ` +
            `${left} left behind`,
        );
        if (left > 0 || stopped.forced) notes.push(`${label}: ${left} idle processes left behind after the reap (forced: ${stopped.forced})`);
      }
    }
  }

  const report: BenchReport = {
    startedAt,
    othersBefore,
    othersDuring: othersShare(runStart, sampleCpu()),
    othersDuringLatency,
    durationS: (Date.now() - startedAt.getTime()) / 1000,
    machine: machineInfo(),
    sizes,
    latency,
    latencyProcesses,
    notes,
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
  };
  console.log(renderText(report));
  const docs = path.join(repoRoot, 'docs', 'benchmarks.md');
  if (opts.write) {
    writeMarkdown(docs, renderMarkdown(report));
    console.error(`[bench] results written to ${path.relative(repoRoot, docs)}`);
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  killEverything();
  process.exitCode = 1;
});
