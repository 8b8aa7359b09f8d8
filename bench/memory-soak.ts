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
 * Run it on its own (as root): node --expose-gc build/bench/memory-soak.js [--polls=100000]
 *   [--warmup=2000] [--scrape-every=100] [--churn-workers=2] [--budget-s=840]
 * It prints progress on stderr and one line `RESULT {json}` on stdout. run-issue6.ts runs it as a child.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import { parseFlags } from '../src/config/flags.js';
import { createLogger } from '../src/log/logger.js';
import { registerEngineMetrics } from '../src/metrics/engine-metrics.js';
import { registerExporterMetrics } from '../src/metrics/exporter-metrics.js';
import { registerProbeMetrics } from '../src/metrics/probe-metrics.js';
import { createEngineWatch, type EngineWatch } from '../src/poller/engine-watch.js';
import { packageVersion } from '../src/version.js';
import { startEngineRig, waitFor, type EngineRig } from '../test/support/engine-rig.js';
import { seriesCount, seriesSet, sleep } from './issue6-common.js';

export interface MemoryOptions {
  polls: number;
  warmup: number;
  scrapeEvery: number;
  churnWorkers: number;
  budgetS: number;
}

export const DEFAULT_MEMORY_OPTIONS: MemoryOptions = { polls: 100_000, warmup: 2_000, scrapeEvery: 100, churnWorkers: 2, budgetS: 840 };

export interface MemoryCheckpoint {
  label: string;
  polls: number;
  elapsedS: number;
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
}

export interface MemoryResult {
  options: MemoryOptions;
  gcForced: boolean;
  pollsDone: number;
  /** Polls of the measured loop, with the churn running. */
  loopSeconds: number;
  pollsPerSecond: number;
  stoppedByBudget: boolean;
  checkpoints: MemoryCheckpoint[];
  /** End of the loop against after the warm-up, rss and heapUsed: (end − warm) / warm. */
  rssGrowth: number;
  heapGrowth: number;
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
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  if (o.warmup >= o.polls) throw new Error('--warmup must be below --polls');
  return o;
}

const gc = (globalThis as { gc?: () => void }).gc;

function checkpoint(label: string, polls: number, t0: number): MemoryCheckpoint {
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return {
    label,
    polls,
    elapsedS: (performance.now() - t0) / 1000,
    rssMiB: m.rss / MiB,
    heapUsedMiB: m.heapUsed / MiB,
    externalMiB: m.external / MiB,
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
  let churning = false;
  const churners: Promise<void>[] = [];
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

    const t0 = performance.now();
    const checkpoints: MemoryCheckpoint[] = [];
    let polls = 0;
    let scrapes = 0;
    const scrape = async (): Promise<string> => {
      scrapes++;
      return registry.metrics();
    };

    await poller.pollOnce();
    polls++;
    await scrape();
    checkpoints.push(checkpoint('after start (first poll)', polls, t0));
    // Baseline: no container has run yet; a few polls at the exporter's pace so every probe answered.
    for (let i = 0; i < 30; i++) {
      await poller.pollOnce();
      polls++;
      await sleep(100);
    }
    const baselineBody = await scrape();
    const baseline = seriesSet(baselineBody);

    // The churn: containers created and removed the whole time.
    let containersRun = 0;
    let failures = 0;
    churning = true;
    for (let w = 0; w < opts.churnWorkers; w++) {
      churners.push(
        (async () => {
          while (churning) {
            try {
              await theRig.docker(['run', '--rm', 'rig/busybox', 'true'], { timeoutMs: 60_000 });
              containersRun++;
            } catch {
              failures++;
              await sleep(500);
            }
          }
        })(),
      );
    }
    await waitFor('the first churned container', () => containersRun > 0 || failures > 3, 60_000);
    if (containersRun === 0) throw new Error('docker run --rm rig/busybox true failed repeatedly');

    log(`memory: ${opts.polls.toLocaleString('en-US')} polls (warm-up ${opts.warmup}), registry scraped every ${opts.scrapeEvery}, ${opts.churnWorkers} churn loops`);
    const loopStart = performance.now();
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
      if (loopPolls === opts.warmup) checkpoints.push(checkpoint('after warm-up', polls, t0));
      else if (loopPolls > opts.warmup && (loopPolls - opts.warmup) % every === 0 && polls < opts.polls) {
        checkpoints.push(checkpoint(`${polls.toLocaleString('en-US')} polls`, polls, t0));
        log(`memory: ${polls} polls, ${containersRun} containers, rss ${checkpoints.at(-1)?.rssMiB.toFixed(1)} MiB`);
      }
      if (performance.now() > deadline) {
        stoppedByBudget = true;
        log(`memory: budget of ${opts.budgetS} s reached after ${polls} polls`);
        break;
      }
    }
    const loopSeconds = (performance.now() - loopStart) / 1000;
    seriesMax = Math.max(seriesMax, seriesCount(await scrape()));
    checkpoints.push(checkpoint('end of the polls', polls, t0));

    // Stop the churn; wait until no container is left, then poll at the exporter's pace for a while
    // (the /containers/json probe runs every 5 s) before counting series again.
    churning = false;
    await Promise.all(churners);
    churners.length = 0;
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
      pollsDone: polls,
      loopSeconds,
      pollsPerSecond: loopPolls / loopSeconds,
      stoppedByBudget,
      checkpoints,
      rssGrowth: warm && end ? (end.rssMiB - warm.rssMiB) / warm.rssMiB : Number.NaN,
      heapGrowth: warm && end ? (end.heapUsedMiB - warm.heapUsedMiB) / warm.heapUsedMiB : Number.NaN,
      seriesBaseline: baseline.size,
      seriesMaxDuringChurn: seriesMax,
      seriesAfter: after.size,
      seriesAdded: [...after].filter((s) => isEngine(s) && !baseline.has(s)),
      seriesRemoved: [...baseline].filter((s) => isEngine(s) && !after.has(s)),
      engineSeriesBaseline: [...baseline].filter(isEngine).length,
      engineSeriesAfter: [...after].filter(isEngine).length,
      defaultSeriesAdded: [...after].filter((s) => !isEngine(s) && !baseline.has(s)),
      defaultSeriesRemoved: [...baseline].filter((s) => !isEngine(s) && !after.has(s)),
      containersRun,
      containerRunFailures: failures,
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
    churning = false;
    await Promise.all(churners).catch(() => undefined);
    await watch?.close();
    await rig?.stop();
  }
}

/** Runs this file as a child (`node --expose-gc`), streaming its progress; resolves with its RESULT. */
export function runMemorySoakChild(opts: MemoryOptions, log: (line: string) => void): Promise<MemoryResult> {
  const script = fileURLToPath(import.meta.url);
  const args = [
    '--expose-gc',
    script,
    `--polls=${opts.polls}`,
    `--warmup=${opts.warmup}`,
    `--scrape-every=${opts.scrapeEvery}`,
    `--churn-workers=${opts.churnWorkers}`,
    `--budget-s=${opts.budgetS}`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
