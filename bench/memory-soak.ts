/**
 * Issue 6, benchmark 3: the exporter's memory over 100,000 polls with container churn.
 *
 * 100,000 polls at the 100 ms minimum interval would take ~3 h, so the polls are driven in-process:
 * the exporter's own pipeline, built from build/src exactly as main.ts builds it (flags → Config →
 * createEngineWatch with followStreamDrops → prom-client Registry with the engine, probe and exporter
 * metrics), against a real engine (test/support/engine-rig.ts), and `poller.pollOnce()` called in a
 * bounded loop, the registry scraped every `scrapeEvery` polls. Meanwhile `churnWorkers` loops run
 * `docker run --rm rig/busybox true` back to back, so containers (shims, runc, tasks, exit events) come
 * and go the whole time. Each poll scans /proc in the worker and starts the socket probes that are not
 * still running, as in the exporter; it does not wait for them.
 *
 * Memory: process.memoryUsage() (rss covers the scan worker too; heapUsed is the main isolate) after a
 * full GC (the child runs with --expose-gc) at: start (the first poll done), after the warm-up, every
 * tenth of the run, and at the end. Series: lines of registry.metrics() that are not comments, before
 * the churn (no container has run yet), at the most during it, and after it stopped and every
 * container is gone.
 *
 * Run it on its own (as root): node --expose-gc --max-semi-space-size=2 build/bench/memory-soak.js [--polls=100000]
 *   [--warmup=2000] [--scrape-every=100] [--churn-workers=2] [--budget-s=840]
 * It prints progress on stderr and one line `RESULT {json}` on stdout. run-issue6.ts runs it as a child.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { Registry } from 'prom-client';
import { parseFlags } from '../src/config/flags.js';
import { createLogger } from '../src/log/logger.js';
import { registerEngineMetrics } from '../src/metrics/engine-metrics.js';
import { registerExporterMetrics } from '../src/metrics/exporter-metrics.js';
import { registerProbeMetrics } from '../src/metrics/probe-metrics.js';
import { createEngineWatch, type EngineWatch } from '../src/poller/engine-watch.js';
import { packageVersion } from '../src/version.js';
import { startEngineRig, waitFor, type EngineRig } from '../test/support/engine-rig.js';
import { deployedNodeFlags, residentMiB, seriesCount, seriesSet, sleep } from './issue6-common.js';
import { slope, windowGrowth } from './stats.js';
import { startContainerChurn, type ContainerChurn } from './container-churn.js';

export interface MemoryOptions {
  polls: number;
  warmup: number;
  scrapeEvery: number;
  churnWorkers: number;
  budgetS: number;
  /** After the warm-up, RSS and heapUsed are also sampled (after a forced GC) every this many polls. */
  sampleEvery: number;
  /** A folder to write main-isolate heap snapshots to (after the warm-up and at the end), or null. */
  heapSnapshots: string | null;
}

export const DEFAULT_MEMORY_OPTIONS: MemoryOptions = {
  polls: 100_000,
  warmup: 2_000,
  scrapeEvery: 100,
  churnWorkers: 2,
  budgetS: 840,
  sampleEvery: 1_000,
  heapSnapshots: null,
};

export interface MemoryCheckpoint {
  label: string;
  polls: number;
  elapsedS: number;
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  /** The main isolate's heap pages actually backed by memory, and what V8 has malloc'ed outside them. */
  heapPhysicalMiB: number;
  mallocedMiB: number;
  /**
   * RSS split as the kernel counts it (/proc/self/status): anonymous memory (the heaps: V8's pages of
   * both isolates, malloc arenas) and file-backed pages (node's own binary and libraries, paged in as
   * code paths first run; clean, shared and reclaimable).
   */
  rssAnonMiB: number | null;
  rssFileMiB: number | null;
}

export interface MemoryResult {
  options: MemoryOptions;
  gcForced: boolean;
  /** How the soak's node ran: its flags, and glibc's MALLOC_ARENA_MAX (null: glibc's default). */
  nodeFlags: string[];
  mallocArenaMax: string | null;
  pollsDone: number;
  /** Polls of the measured loop, with the churn running. */
  loopSeconds: number;
  pollsPerSecond: number;
  /** CPU time (user + system, the whole process: main thread and scan worker) per poll of the loop. */
  cpuMsPerPoll: number;
  stoppedByBudget: boolean;
  checkpoints: MemoryCheckpoint[];
  /** End of the loop against after the warm-up, rss and heapUsed: (end − warm) / warm, one reading each. */
  rssGrowth: number;
  heapGrowth: number;
  /** Readings every `sampleEvery` polls from the end of the warm-up to the end of the loop. */
  samples: MemorySample[];
  /**
   * The same comparison with the noise of single readings taken out: the median of the last tenth of
   * the samples against the median of the first tenth (at least 3 each).
   */
  rssWindowGrowth: number;
  heapWindowGrowth: number;
  /** Least-squares trend of RSS over the samples, MiB per 100,000 polls: what a leak would make positive. */
  rssTrendMiBPer100k: number;
  heapTrendMiBPer100k: number;
  seriesBaseline: number;
  seriesMaxDuringChurn: number;
  seriesAfter: number;
  /** Engine series (docker_engine_*, the exporter's own included) added / removed against the baseline. */
  seriesAdded: string[];
  seriesRemoved: string[];
  engineSeriesBaseline: number;
  engineSeriesAfter: number;
  /** The rest (prom-client's process_* and nodejs_* defaults), added / removed. */
  defaultSeriesAdded: string[];
  defaultSeriesRemoved: string[];
  containersRun: number;
  containerRunFailures: number;
  containersLeftAfter: number;
  settlePolls: number;
  pollErrors: Record<string, number>;
  readErrors: Record<string, number>;
  logLines: number;
  lastLogLines: string[];
  scrapes: number;
  restartsCounted: { dockerd: number | null; containerd: number | null };
  taskExitsCounted: number | null;
}

export interface MemorySample {
  polls: number;
  rssMiB: number;
  heapUsedMiB: number;
}

const MiB = 2 ** 20;


function parseArgs(argv: readonly string[]): MemoryOptions {
  const o = { ...DEFAULT_MEMORY_OPTIONS };
  const int = (k: string, v: string, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${k}: expected an integer in ${min}..${max}, got "${v}"`);
    return n;
  };
  for (const arg of argv) {
    const [key = '', value = ''] = arg.replace(/^--/, '').split(/=(.*)/s);
    switch (key) {
      case 'polls':
        o.polls = int(key, value, 100, 10_000_000);
        break;
      case 'warmup':
        o.warmup = int(key, value, 0, 1_000_000);
        break;
      case 'scrape-every':
        o.scrapeEvery = int(key, value, 1, 1_000_000);
        break;
      case 'churn-workers':
        o.churnWorkers = int(key, value, 0, 8);
        break;
      case 'budget-s':
        o.budgetS = int(key, value, 10, 24 * 3600);
        break;
      case 'sample-every':
        o.sampleEvery = int(key, value, 10, 1_000_000);
        break;
      case 'heap-snapshots':
        o.heapSnapshots = value;
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  if (o.warmup >= o.polls) throw new Error('--warmup must be below --polls');
  return o;
}

const gc = (globalThis as { gc?: () => void }).gc;

async function checkpoint(label: string, polls: number, t0: number): Promise<MemoryCheckpoint> {
  if (gc) {
    gc();
    gc();
  }
  // V8 hands the pages a GC freed back to the kernel from a background thread: read RSS after it did.
  await sleep(50);
  const m = process.memoryUsage();
  const h = getHeapStatistics();
  const resident = residentMiB('self');
  return {
    label,
    polls,
    elapsedS: (performance.now() - t0) / 1000,
    rssMiB: m.rss / MiB,
    heapUsedMiB: m.heapUsed / MiB,
    externalMiB: m.external / MiB,
    heapPhysicalMiB: h.total_physical_size / MiB,
    mallocedMiB: h.malloced_memory / MiB,
    rssAnonMiB: resident.anon,
    rssFileMiB: resident.file,
  };
}

const isEngine = (series: string): boolean => series.startsWith('docker_engine_');

function valueOf(body: string, key: string): number | null {
  for (const line of body.split('\n')) if (line.startsWith(`${key} `)) return Number(line.slice(key.length + 1));
  return null;
}

export async function runMemorySoak(opts: MemoryOptions, log: (line: string) => void): Promise<MemoryResult> {
  let rig: EngineRig | null = null;
  let watch: EngineWatch | null = null;
  let churn: ContainerChurn | null = null;
  try {
    log(`memory: starting the engine rig`);
    rig = await startEngineRig();
    const theRig = rig;
    const parsed = parseFlags(
      [`--docker.host=${rig.dockerHost}`, `--docker.pidfile=${rig.pidfile}`, '--poll.interval=100ms', '--log.level=info'],
      {},
    );
    if (parsed.kind !== 'run') throw new Error('parseFlags did not give a run config');
    const config = parsed.config;
    let logLines = 0;
    const lastLogLines: string[] = [];
    const logger = createLogger(config.logLevel, config.logFormat, (line) => {
      logLines++;
      lastLogLines.push(line.trimEnd());
      if (lastLogLines.length > 12) lastLogLines.shift();
    });

    // As main.ts wires it.
    const registry = new Registry();
    let theWatch: EngineWatch | null = null;
    const exporterMetrics = registerExporterMetrics({
      registry,
      status: () => theWatch!.poller.status(),
      pollIntervalSeconds: config.pollIntervalMs / 1000,
      version: packageVersion(),
      sourceName: config.processSource,
    });
    watch = createEngineWatch(config, logger, {
      followStreamDrops: true,
      onPollDone: (seconds) => exporterMetrics.observePoll(seconds),
    });
    theWatch = watch;
    const poller = watch.poller;
    // Always fresh: polls run back to back here (main.ts withholds states older than 3 intervals).
    const freshState = () => poller.status().latest;
    registerEngineMetrics({ registry, freshState, dockerdExpected: true, resourcesAvailable: true });
    registerProbeMetrics({ registry, freshState, dockerdExpected: true, namespaces: config.containerdNamespaces });

    const snapshot = (name: string): void => {
      if (opts.heapSnapshots === null) return;
      mkdirSync(opts.heapSnapshots, { recursive: true });
      log(`memory: heap snapshot ${writeHeapSnapshot(join(opts.heapSnapshots, `${name}.heapsnapshot`))}`);
    };
    const t0 = performance.now();
    const checkpoints: MemoryCheckpoint[] = [];
    const samples: MemorySample[] = [];
    let polls = 0;
    let scrapes = 0;
    const scrape = async (): Promise<string> => {
      scrapes++;
      return registry.metrics();
    };

    await poller.pollOnce();
    polls++;
    await scrape();
    checkpoints.push(await checkpoint('after start (first poll)', polls, t0));
    // Baseline: no container has run yet; a few polls at the exporter's pace so every probe answered.
    for (let i = 0; i < 30; i++) {
      await poller.pollOnce();
      polls++;
      await sleep(100);
    }
    const baselineBody = await scrape();
    const baseline = seriesSet(baselineBody);

    // The churn: containers created and removed the whole time.
    const theChurn = (churn = startContainerChurn(theRig, opts.churnWorkers));
    await waitFor('the first churned container', () => theChurn.run > 0 || theChurn.failed > 3, 60_000);
    if (theChurn.run === 0) throw new Error('docker run --rm rig/busybox true failed repeatedly');

    log(`memory: ${opts.polls.toLocaleString('en-US')} polls (warm-up ${opts.warmup}), registry scraped every ${opts.scrapeEvery}, ${opts.churnWorkers} churn loops`);
    const loopStart = performance.now();
    const cpuStart = process.cpuUsage();
    const deadline = loopStart + opts.budgetS * 1000;
    const every = Math.max(1, Math.floor((opts.polls - opts.warmup) / 10));
    let seriesMax = 0;
    let stoppedByBudget = false;
    let loopPolls = 0;
    while (polls < opts.polls) {
      await poller.pollOnce();
      polls++;
      loopPolls++;
      if (loopPolls % opts.scrapeEvery === 0) seriesMax = Math.max(seriesMax, seriesCount(await scrape()));
      if (loopPolls >= opts.warmup && (loopPolls - opts.warmup) % opts.sampleEvery === 0) {
        const c = await checkpoint('sample', polls, t0);
        samples.push({ polls, rssMiB: c.rssMiB, heapUsedMiB: c.heapUsedMiB });
      }
      if (loopPolls === opts.warmup) {
        checkpoints.push(await checkpoint('after warm-up', polls, t0));
        snapshot('warm');
      }
      else if (loopPolls > opts.warmup && (loopPolls - opts.warmup) % every === 0 && polls < opts.polls) {
        checkpoints.push(await checkpoint(`${polls.toLocaleString('en-US')} polls`, polls, t0));
        log(`memory: ${polls} polls, ${theChurn.run} containers, rss ${checkpoints.at(-1)?.rssMiB.toFixed(1)} MiB`);
      }
      if (performance.now() > deadline) {
        stoppedByBudget = true;
        log(`memory: budget of ${opts.budgetS} s reached after ${polls} polls`);
        break;
      }
    }
    const loopSeconds = (performance.now() - loopStart) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    seriesMax = Math.max(seriesMax, seriesCount(await scrape()));
    checkpoints.push(await checkpoint('end of the polls', polls, t0));
    samples.push({ polls, rssMiB: checkpoints.at(-1)!.rssMiB, heapUsedMiB: checkpoints.at(-1)!.heapUsedMiB });
    snapshot('end');

    // Stop the churn; wait until no container is left, then poll at the exporter's pace for a while
    // (the /containers/json probe runs every 5 s) before counting series again.
    await theChurn.stop();
    let left = -1;
    await waitFor(
      'every churned container to be gone',
      async () => {
        left = (await theRig.docker(['ps', '-aq'], { timeoutMs: 10_000 })).stdout.trim().split('\n').filter(Boolean).length;
        return left === 0;
      },
      60_000,
    ).catch(() => undefined);
    const settle = 80;
    for (let i = 0; i < settle; i++) {
      await poller.pollOnce();
      await sleep(100);
    }
    const afterBody = await scrape();
    const after = seriesSet(afterBody);
    const status = poller.status();
    const warm = checkpoints.find((c) => c.label === 'after warm-up') ?? checkpoints[0];
    const end = checkpoints.find((c) => c.label === 'end of the polls');
    return {
      options: opts,
      gcForced: gc !== undefined,
      nodeFlags: process.execArgv,
      mallocArenaMax: process.env['MALLOC_ARENA_MAX'] ?? null,
      pollsDone: polls,
      loopSeconds,
      pollsPerSecond: loopPolls / loopSeconds,
      cpuMsPerPoll: (cpu.user + cpu.system) / 1000 / loopPolls,
      stoppedByBudget,
      checkpoints,
      rssGrowth: warm && end ? (end.rssMiB - warm.rssMiB) / warm.rssMiB : Number.NaN,
      heapGrowth: warm && end ? (end.heapUsedMiB - warm.heapUsedMiB) / warm.heapUsedMiB : Number.NaN,
      samples,
      rssWindowGrowth: windowGrowth(samples.map((x) => x.rssMiB)),
      heapWindowGrowth: windowGrowth(samples.map((x) => x.heapUsedMiB)),
      rssTrendMiBPer100k: slope(samples.map((x) => x.polls), samples.map((x) => x.rssMiB)) * 100_000,
      heapTrendMiBPer100k: slope(samples.map((x) => x.polls), samples.map((x) => x.heapUsedMiB)) * 100_000,
      seriesBaseline: baseline.size,
      seriesMaxDuringChurn: seriesMax,
      seriesAfter: after.size,
      seriesAdded: [...after].filter((s) => isEngine(s) && !baseline.has(s)),
      seriesRemoved: [...baseline].filter((s) => isEngine(s) && !after.has(s)),
      engineSeriesBaseline: [...baseline].filter(isEngine).length,
      engineSeriesAfter: [...after].filter(isEngine).length,
      defaultSeriesAdded: [...after].filter((s) => !isEngine(s) && !baseline.has(s)),
      defaultSeriesRemoved: [...baseline].filter((s) => !isEngine(s) && !after.has(s)),
      containersRun: theChurn.run,
      containerRunFailures: theChurn.failed,
      containersLeftAfter: left,
      settlePolls: settle,
      pollErrors: { ...status.pollErrors },
      readErrors: Object.fromEntries(status.readErrors),
      logLines,
      lastLogLines,
      scrapes,
      restartsCounted: {
        dockerd: valueOf(afterBody, 'docker_engine_component_restarts_total{component="dockerd"}'),
        containerd: valueOf(afterBody, 'docker_engine_component_restarts_total{component="containerd"}'),
      },
      taskExitsCounted: valueOf(afterBody, 'docker_engine_task_exits_total{namespace="moby"}'),
    };
  } finally {
    await churn?.stop();
    await watch?.close();
    await rig?.stop();
  }
}

/** Runs this file as a child (`node --expose-gc`), streaming its progress; resolves with its RESULT. */
export function runMemorySoakChild(opts: MemoryOptions, log: (line: string) => void): Promise<MemoryResult> {
  const script = fileURLToPath(import.meta.url);
  const mainJs = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
  const args = [
    '--expose-gc',
    ...deployedNodeFlags(mainJs),
    script,
    `--polls=${opts.polls}`,
    `--warmup=${opts.warmup}`,
    `--scrape-every=${opts.scrapeEvery}`,
    `--churn-workers=${opts.churnWorkers}`,
    `--budget-s=${opts.budgetS}`,
    `--sample-every=${opts.sampleEvery}`,
    ...(opts.heapSnapshots === null ? [] : [`--heap-snapshots=${opts.heapSnapshots}`]),
  ];
  return new Promise((resolve, reject) => {
    // As deployed: the Dockerfile and the systemd unit set MALLOC_ARENA_MAX=2.
    const env = { ...process.env, MALLOC_ARENA_MAX: process.env['MALLOC_ARENA_MAX'] ?? '2' };
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let result: MemoryResult | null = null;
    const kill = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    };
    process.once('exit', kill);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('RESULT ')) result = JSON.parse(line.slice('RESULT '.length)) as MemoryResult;
      else log(line);
    });
    createInterface({ input: child.stderr }).on('line', log);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      process.removeListener('exit', kill);
      if (result) resolve(result);
      else reject(new Error(`memory soak exited (${code ?? signal}) without a result`));
    });
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const log = (line: string): void => {
    process.stderr.write(`[memory] ${line}\n`);
  };
  runMemorySoak(parseArgs(process.argv.slice(2)), log).then(
    (r) => {
      process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`memory soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
