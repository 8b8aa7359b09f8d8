/**
 * Issue 6's benchmarks, in one run: poll cost beside process-exporter, /metrics latency under 50
 * concurrent clients beside node_exporter, memory over 100,000 polls with container churn and of the
 * exporter process from its start, and the detection of 20 containerd restarts beside Prometheus +
 * process-exporter. Writes the section of
 * docs/benchmarks.md between `<!-- issue6:begin -->` and `<!-- issue6:end -->` (nothing else there).
 *
 *   node build/bench/run-issue6.js [--only=poll-cost,scrape-latency,memory,memory-process,detection] [--no-write] …
 *
 * (after `npm run build && npm run build:test`; as root). Options: see parseOptions below and the
 * "How to rerun" part of the section it writes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCBinaries } from './c-tools.js';
import { measurePollCost, type PollCostResult } from './compare-process-exporter.js';
import { othersShare, sampleCpu } from './cpu-meter.js';
import { measureDetection, type DetectionResult } from './detection.js';
import { writeIssue6Section } from './issue6-common.js';
import { renderIssue6, type Issue6Report } from './issue6-report.js';
import { DEFAULT_EXPORTER_RSS_OPTIONS, runExporterRss, type ExporterRssOptions, type ExporterRssResult } from './exporter-rss.js';
import { DEFAULT_MEMORY_OPTIONS, runMemorySoakChild, type MemoryOptions, type MemoryResult } from './memory-soak.js';
import { machineInfo } from './report.js';
import { measureScrapeLatency, type ScrapeLatencyResult } from './scrape-latency.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const PARTS = ['poll-cost', 'scrape-latency', 'memory', 'memory-process', 'detection'] as const;
type Part = (typeof PARTS)[number];

interface Options {
  only: Set<Part>;
  sizes: Array<number | 'host'>;
  rounds: number;
  perRound: number;
  clients: number;
  requestsPerClient: number;
  latencyProcesses: number;
  candidatesPerMille: number;
  memory: MemoryOptions;
  memoryProcess: ExporterRssOptions;
  kills: number;
  scrapeIntervalS: number;
  settleMs: number;
  write: boolean;
  /** Render the section again from a results file of an earlier run instead of measuring. */
  from: string | null;
}

function parseOptions(argv: readonly string[]): Options {
  const o: Options = {
    only: new Set(PARTS),
    sizes: ['host', 2000, 10000],
    rounds: 10,
    perRound: 3,
    clients: 50,
    requestsPerClient: 40,
    latencyProcesses: 10000,
    candidatesPerMille: 10,
    memory: { ...DEFAULT_MEMORY_OPTIONS },
    memoryProcess: { ...DEFAULT_EXPORTER_RSS_OPTIONS },
    kills: 20,
    scrapeIntervalS: 15,
    settleMs: 2000,
    write: true,
    from: null,
  };
  const int = (name: string, v: string, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: expected an integer in ${min}..${max}, got "${v}"`);
    return n;
  };
  for (const arg of argv) {
    const [key = '', value = ''] = arg.replace(/^--/, '').split(/=(.*)/s);
    switch (key) {
      case 'only': {
        const parts = value.split(',').filter(Boolean);
        for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--only: unknown part "${p}" (${PARTS.join(', ')})`);
        o.only = new Set(parts as Part[]);
        break;
      }
      case 'sizes':
        o.sizes = value.split(',').map((s) => (s === 'host' ? 'host' : int(key, s, 1, 30000)));
        break;
      case 'rounds':
        o.rounds = int(key, value, 1, 100);
        break;
      case 'per-round':
        o.perRound = int(key, value, 1, 100);
        break;
      case 'clients':
        o.clients = int(key, value, 1, 500);
        break;
      case 'requests-per-client':
        o.requestsPerClient = int(key, value, 2, 10_000);
        break;
      case 'latency-processes':
        o.latencyProcesses = int(key, value, 1, 30000);
        break;
      case 'candidates-per-mille':
        o.candidatesPerMille = int(key, value, 0, 1000);
        break;
      case 'polls':
        o.memory.polls = int(key, value, 100, 10_000_000);
        break;
      case 'warmup':
        o.memory.warmup = int(key, value, 0, 1_000_000);
        break;
      case 'scrape-every':
        o.memory.scrapeEvery = int(key, value, 1, 1_000_000);
        break;
      case 'churn-workers':
        o.memory.churnWorkers = int(key, value, 0, 8);
        break;
      case 'budget-s':
        o.memory.budgetS = int(key, value, 10, 24 * 3600);
        break;
      case 'sample-every':
        o.memory.sampleEvery = int(key, value, 10, 1_000_000);
        break;
      case 'process-duration-s':
        o.memoryProcess.durationS = int(key, value, 30, 24 * 3600);
        break;
      case 'kills':
        o.kills = int(key, value, 1, 200);
        break;
      case 'scrape-interval':
        o.scrapeIntervalS = int(key, value, 1, 120);
        break;
      case 'settle-ms':
        o.settleMs = int(key, value, 0, 60_000);
        break;
      case 'no-write':
        o.write = false;
        break;
      case 'from':
        o.from = value;
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  if (o.memory.warmup >= o.memory.polls) o.memory.warmup = Math.floor(o.memory.polls / 50);
  return o;
}

const log = (line: string): void => {
  process.stderr.write(`[issue6 ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

async function othersNow(): Promise<number | null> {
  const a = sampleCpu();
  await new Promise((r) => setTimeout(r, 1000));
  return othersShare(a, sampleCpu());
}

function checkoutCommit(): string | undefined {
  const git = (args: string[]): string | null => {
    const r = spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8', timeout: 10_000 });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const head = git(['rev-parse', '--short', 'HEAD']);
  if (head === null) return undefined;
  const dirty = git(['status', '--porcelain', '--', 'src']);
  return dirty ? `${head} + changes in src/` : head;
}

function publish(report: Issue6Report, write: boolean): void {
  const markdown = renderIssue6(report);
  process.stdout.write(`${markdown}\n`);
  if (write) {
    const docs = path.join(repoRoot, 'docs', 'benchmarks.md');
    writeIssue6Section(docs, markdown);
    log(`written to ${path.relative(repoRoot, docs)}`);
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.from !== null) {
    const saved = JSON.parse(readFileSync(opts.from, 'utf8')) as Issue6Report & { startedAt: string };
    publish({ ...saved, startedAt: new Date(saved.startedAt) }, opts.write);
    return;
  }
  if (process.getuid?.() !== 0) throw new Error('run as root: the scan reads every process\'s /proc, and the rig starts dockerd');
  const startedAt = new Date();
  const workDir = path.join(repoRoot, 'build', 'bench', 'issue6');
  mkdirSync(workDir, { recursive: true });
  const bins = buildCBinaries(repoRoot, path.join(workDir, 'c'));
  const mainJs = path.join(repoRoot, 'dist', 'main.js');
  const report: Issue6Report = {
    startedAt,
    durationS: 0,
    machine: machineInfo(),
    command: ['node build/bench/run-issue6.js', ...process.argv.slice(2)].join(' '),
    commit: checkoutCommit(),
    othersBefore: {},
    pollCost: null,
    scrapeLatency: null,
    memory: null,
    memoryProcess: null,
    detection: null,
    failures: [],
  };
  const part = async <T>(name: Part, fn: () => Promise<T>): Promise<T | null> => {
    if (!opts.only.has(name)) return null;
    report.othersBefore[name] = await othersNow();
    log(`${name}: start (other work: ${Math.round((report.othersBefore[name] ?? 0) * 100)}% of the CPUs)`);
    const t0 = performance.now();
    try {
      const r = await fn();
      log(`${name}: done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      return r;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      log(`${name}: FAILED: ${err instanceof Error ? (err.stack ?? msg) : msg}`);
      report.failures.push(`${name}: ${msg.split('\n')[0] ?? msg}`);
      return null;
    }
  };

  report.pollCost = await part<PollCostResult>('poll-cost', () =>
    measurePollCost({
      sizes: opts.sizes,
      rounds: opts.rounds,
      perRound: opts.perRound,
      bins,
      workDir,
      candidatesPerMille: opts.candidatesPerMille,
      log,
    }),
  );
  report.scrapeLatency = await part<ScrapeLatencyResult>('scrape-latency', () =>
    measureScrapeLatency({
      mainJs,
      bins,
      workDir,
      processes: opts.latencyProcesses,
      clients: opts.clients,
      requestsPerClient: opts.requestsPerClient,
      candidatesPerMille: opts.candidatesPerMille,
      log,
    }),
  );
  report.detection = await part<DetectionResult>('detection', () =>
    measureDetection({ kills: opts.kills, workDir, scrapeIntervalS: opts.scrapeIntervalS, settleMs: opts.settleMs, log }),
  );
  report.memory = await part<MemoryResult>('memory', () => runMemorySoakChild(opts.memory, log));
  report.memoryProcess = await part<ExporterRssResult>('memory-process', () => runExporterRss(opts.memoryProcess, log));
  report.durationS = (Date.now() - startedAt.getTime()) / 1000;

  // Every figure, so that the section can be rendered again (--from) without measuring again.
  const saved = path.join(workDir, `results-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(saved, `${JSON.stringify(report, null, 1)}\n`);
  log(`results saved to ${path.relative(repoRoot, saved)}`);
  publish(report, opts.write);
  if (report.failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`run-issue6 failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
