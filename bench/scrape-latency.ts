/**
 * Issue 6, benchmark 2: GET /metrics latency under 50 concurrent clients at 10,000 host processes,
 * the exporter polling every second (`node dist/main.js --poll.interval=1s --docker.host=
 * --docker.pidfile=`: no engine, the scan of all 10,000 pids still runs every second) beside Debian's
 * node_exporter with its default collectors, on the same host at the same time of the run.
 *
 * The load: `clients` concurrent loops in this process, each sending `requestsPerClient` sequential
 * GETs over its own keep-alive connection (node:http, an Agent with keepAlive and maxSockets =
 * clients). The two targets take turns A B B A, half of each client's requests per turn, pooled, so
 * that load from elsewhere which drifts during the run weighs on both alike. Latency is from the
 * request to the last byte of the answer, as the client sees it (this process's own event loop
 * included: it is the same for both targets).
 */
import http from 'node:http';
import path from 'node:path';
import { countProcesses, IdleProcesses, waitGroupGone, type CBinaries } from './c-tools.js';
import { ExternalProgram, NODE_EXPORTER, httpGet, programVersion, sampleValue, seriesCount, trackForExit, untrack, waitHttpOk } from './issue6-common.js';
import { RunningExporter } from './metrics-latency.js';
import { summarize, type Summary } from './stats.js';

export interface LoadResult {
  latencyMs: Summary;
  samples: number[];
  errors: number;
  /** Failed requests by kind: `HTTP <status>` or the error's message. */
  errorKinds: Record<string, number>;
  wallMs: number;
  bytesPerAnswer: number;
  series: number;
}

export interface ScrapeLatencyRow {
  target: string;
  latencyMs: Summary;
  errors: number;
  errorKinds: Record<string, number>;
  requestsPerSecond: number;
  bytesPerAnswer: number;
  series: number;
  /** The exporter's own polls while the load ran (its histogram), and their mean duration. */
  pollsDuring: number | null;
  meanPollMs: number | null;
}

export interface ScrapeLatencyResult {
  processes: number;
  clients: number;
  requestsPerClient: number;
  rows: ScrapeLatencyRow[];
  nodeExporterVersion: string;
  exporterFlags: string[];
  notes: string[];
}

export interface ScrapeLatencyOptions {
  mainJs: string;
  bins: CBinaries;
  workDir: string;
  processes: number;
  clients: number;
  requestsPerClient: number;
  candidatesPerMille: number;
  log: (line: string) => void;
}

/** `clients` loops of `perClient` sequential GETs each, all at once; every request's latency. */
export async function concurrentLoad(url: string, clients: number, perClient: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients, maxFreeSockets: clients });
  const samples: number[] = [];
  let errors = 0;
  const errorKinds: Record<string, number> = {};
  const fail = (kind: string): void => {
    errors++;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };
  let bytes = 0;
  let answers = 0;
  let lastBody = '';
  try {
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = 0; i < perClient; i++) {
          try {
            const r = await httpGet(url, agent, 30_000);
            if (r.status !== 200) {
              fail(`HTTP ${r.status}${r.body.length < 200 ? `: ${r.body.trim()}` : ''}`);
              continue;
            }
            samples.push(r.ms);
            bytes += r.body.length;
            answers++;
            lastBody = r.body;
          } catch (err) {
            fail(err instanceof Error ? err.message : String(err));
          }
        }
      }),
    );
    const wallMs = performance.now() - t0;
    return { latencyMs: summarize(samples), samples, errors, errorKinds, wallMs, bytesPerAnswer: answers > 0 ? bytes / answers : 0, series: seriesCount(lastBody) };
  } finally {
    agent.destroy();
  }
}

const POLL_COUNT = 'docker_engine_exporter_poll_duration_seconds_count';
const POLL_SUM = 'docker_engine_exporter_poll_duration_seconds_sum';

export async function measureScrapeLatency(opts: ScrapeLatencyOptions): Promise<ScrapeLatencyResult> {
  const notes: string[] = [];
  const exporterFlags = ['--poll.interval=1s', '--docker.host=', '--docker.pidfile='];
  let idle: IdleProcesses | null = null;
  let exporter: RunningExporter | null = null;
  let nodeExporter: ExternalProgram | null = null;
  try {
    const need = opts.processes - countProcesses();
    if (need > 0) {
      const candidates = Math.round((need * opts.candidatesPerMille) / 1000);
      opts.log(`scrape latency: starting ${need} idle processes`);
      idle = await IdleProcesses.start(opts.bins.spawnIdle, need, candidates);
      trackForExit(idle);
    } else notes.push(`the host already ran ${countProcesses()} processes; measured as it was`);

    exporter = await RunningExporter.start(opts.mainJs, exporterFlags, path.join(opts.workDir, 'exporter-latency.log'));
    trackForExit(exporter);
    nodeExporter = await ExternalProgram.start(
      'node_exporter',
      NODE_EXPORTER,
      (port) => [`--web.listen-address=127.0.0.1:${port}`],
      path.join(opts.workDir, 'node-exporter.log'),
    );
    await waitHttpOk(`${nodeExporter.baseUrl}/metrics`, 30_000, () => nodeExporter?.exited() ?? true, 'node_exporter');
    const targets = {
      exporter: exporter.url,
      nodeExporter: `${nodeExporter.baseUrl}/metrics`,
    };
    // Unmeasured: connections, JIT of the routes, node_exporter's first collection.
    for (const url of Object.values(targets)) await concurrentLoad(url, opts.clients, 2);

    const processes = countProcesses();
    const half = Math.max(1, Math.ceil(opts.requestsPerClient / 2));
    const pooled: Record<keyof typeof targets, LoadResult[]> = { exporter: [], nodeExporter: [] };
    const polls = { count: 0, sumS: 0 };
    for (const which of ['exporter', 'nodeExporter', 'nodeExporter', 'exporter'] as const) {
      opts.log(`scrape latency: ${opts.clients} clients x ${half} GET /metrics of ${which} at ${countProcesses()} processes`);
      const before = which === 'exporter' ? (await httpGet(targets.exporter, undefined, 10_000)).body : '';
      pooled[which].push(await concurrentLoad(targets[which], opts.clients, half));
      if (which === 'exporter') {
        const after = (await httpGet(targets.exporter, undefined, 10_000)).body;
        polls.count += (sampleValue(after, POLL_COUNT) ?? 0) - (sampleValue(before, POLL_COUNT) ?? 0);
        polls.sumS += (sampleValue(after, POLL_SUM) ?? 0) - (sampleValue(before, POLL_SUM) ?? 0);
      }
    }
    const row = (target: string, runs: LoadResult[], withPolls: boolean): ScrapeLatencyRow => {
      const samples = runs.flatMap((r) => r.samples);
      const wall = runs.reduce((t, r) => t + r.wallMs, 0);
      return {
        target,
        latencyMs: summarize(samples),
        errors: runs.reduce((n, r) => n + r.errors, 0),
        errorKinds: runs.reduce<Record<string, number>>((acc, r) => {
          for (const [k, n] of Object.entries(r.errorKinds)) acc[k] = (acc[k] ?? 0) + n;
          return acc;
        }, {}),
        requestsPerSecond: (samples.length / wall) * 1000,
        bytesPerAnswer: runs.reduce((t, r) => t + r.bytesPerAnswer, 0) / runs.length,
        series: runs[runs.length - 1]?.series ?? 0,
        pollsDuring: withPolls ? polls.count : null,
        meanPollMs: withPolls && polls.count > 0 ? (polls.sumS / polls.count) * 1000 : null,
      };
    };
    return {
      processes,
      clients: opts.clients,
      requestsPerClient: half * 2,
      rows: [
        row('docker-engine-exporter (`--poll.interval=1s`)', pooled.exporter, true),
        row('node_exporter (default collectors)', pooled.nodeExporter, false),
      ],
      nodeExporterVersion: programVersion(NODE_EXPORTER),
      exporterFlags,
      notes,
    };
  } finally {
    if (exporter) {
      await exporter.stop();
      untrack(exporter);
    }
    await nodeExporter?.stop();
    if (idle) {
      await idle.stop();
      untrack(idle);
      const left = await waitGroupGone(idle.pid, 10_000);
      if (left > 0) notes.push(`${left} idle processes left behind after the reap`);
    }
  }
}
