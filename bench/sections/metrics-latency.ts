/**
 * GET /metrics latency (request to last byte) of the built exporter at `--latency-processes`
 * processes. Alone: sequential requests over one keep-alive connection while it polls rarely (60s)
 * and nearly all the time (100ms), A B B A with half the requests each, pooled, so that drifting load
 * weighs on both alike; ps-list at 100ms is a reference for a source working on the event loop. Under
 * load, beside Debian's node_exporter: `--clients` loops, each on its own keep-alive connection, the
 * exporter polling every second with no engine (the scan of every pid still runs), A B B A.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Context, Section } from '../harness.js';
import { countProcesses, withProcesses } from '../lib/c-tools.js';
import { count, fmtMs, fmtRatio, mdTable } from '../lib/markdown.js';
import {
  exporterPolled,
  httpGet,
  type HttpResult,
  NODE_EXPORTER,
  POLL_SECONDS,
  POLLS,
  programVersion,
  sampleValue,
  seriesSet,
  startProgram,
} from '../lib/programs.js';
import { summarize, type Summary } from '../lib/stats.js';

type Row = ReturnType<typeof row>;
type Result = Awaited<ReturnType<typeof run>>;
type Pool = ReturnType<typeof pool>;

const SEQUENTIAL = {
  idle: { label: '60s', flags: ['--poll.interval=60s'] },
  busy: { label: '100ms', flags: ['--poll.interval=100ms'] },
  psList: { label: '100ms, ps-list (reference: parses on the event loop)', flags: ['--poll.interval=100ms', '--process.source=ps-list'] },
};
const LOAD_FLAGS = ['--poll.interval=1s', '--docker.host=', '--docker.pidfile='];

/** Requests of one target pooled over its turns: latencies, failures by kind, time, bytes, the exporter's polls. */
const pool = () => ({
  samples: [] as number[],
  errorKinds: {} as Record<string, number>,
  wallMs: 0,
  bytes: 0,
  lastBody: '',
  polls: 0,
  pollS: 0,
});

/**
 * `clients` loops of `perClient` sequential GETs each, all at once, into `p`, each loop after `warm`
 * unmeasured ones on its connection; the exporter's polls meanwhile when `ours`.
 */
async function load(url: string, clients: number, perClient: number, p: Pool, ours: boolean, warm = 0): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients, maxFreeSockets: clients });
  const fail = (kind: string): void => void (p.errorKinds[kind] = (p.errorKinds[kind] ?? 0) + 1);
  const loops = (n: number, each: (r: HttpResult | void) => void) =>
    Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = 0; i < n; i++)
          each(await httpGet(url, agent, 30_000).catch((err: unknown) => fail(err instanceof Error ? err.message : String(err))));
      }),
    );
  try {
    await loops(warm, () => undefined);
    const before = ours ? (await httpGet(url, undefined, 10_000)).body : '';
    const t0 = performance.now();
    await loops(perClient, (r) => {
      if (r && r.status !== 200) fail(`HTTP ${r.status}${r.body.length < 200 ? `: ${r.body.trim().replace(/\s+/g, ' ')}` : ''}`);
      if (r?.status !== 200) return;
      p.samples.push(r.ms);
      p.bytes += r.body.length;
      p.lastBody = r.body;
    });
    p.wallMs += performance.now() - t0;
    if (!ours) return;
    const after = (await httpGet(url, undefined, 10_000)).body;
    p.polls += (sampleValue(after, POLLS) ?? 0) - (sampleValue(before, POLLS) ?? 0);
    p.pollS += (sampleValue(after, POLL_SECONDS) ?? 0) - (sampleValue(before, POLL_SECONDS) ?? 0);
  } finally {
    agent.destroy();
  }
}

/** A table row from a pool; polls: the exporter's own during the requests (its histogram), null for node_exporter. */
const row = (target: string, p: Pool, ours: boolean) => ({
  target,
  latencyMs: summarize(p.samples),
  polls: ours ? p.polls : null,
  meanPollMs: ours && p.polls > 0 ? (p.pollS / p.polls) * 1000 : null,
  errorKinds: p.errorKinds, // failed requests by kind: `HTTP <status>: <short body>` or the error
  requestsPerSecond: (p.samples.length / p.wallMs) * 1000,
  bytesPerAnswer: p.samples.length > 0 ? p.bytes / p.samples.length : 0,
  series: seriesSet(p.lastBody).size,
});

async function run(ctx: Context) {
  const { requests, clients, 'requests-per-client': perClient, 'latency-processes': total, 'candidates-per-mille': perMille } = ctx.opts.num;
  const log = (line: string): void => ctx.log(`metrics-latency: ${line}`);
  const withNode = existsSync(NODE_EXPORTER);
  if (!withNode) log(`${NODE_EXPORTER} not installed: the exporter alone under load`);
  const { result, notes } = await withProcesses(ctx.bins(), total, perMille, log, async () => {
    const sequential = new Map<string, Pool>();
    const { idle, busy, psList } = SEQUENTIAL;
    const half = Math.ceil(requests / 2);
    for (const variant of [idle, busy, busy, idle, psList]) {
      const n = variant === psList ? requests : half;
      log(`${n} sequential GET /metrics, exporter with ${variant.flags.join(' ')}`);
      const exporter = await exporterPolled(variant.flags);
      try {
        const p = sequential.get(variant.label) ?? pool();
        sequential.set(variant.label, p);
        await load(`${exporter.url}/metrics`, 1, n, p, true, 20); // after the connection's set-up and the route's JIT
      } finally {
        await exporter.stop();
      }
    }
    const exporter = await exporterPolled(LOAD_FLAGS);
    const nodeArgs = (port: number): string[] => [`--web.listen-address=127.0.0.1:${port}`];
    const node = withNode
      ? await startProgram(NODE_EXPORTER, nodeArgs, path.join(ctx.workDir, 'node-exporter.log')).catch(
          (err: unknown) => void log(`no node_exporter: ${String(err)}`),
        )
      : undefined;
    try {
      const targets = { exporter: `${exporter.url}/metrics`, node: node ? `${node.url}/metrics` : null };
      const pools = { exporter: pool(), node: pool() };
      // Unmeasured: connections, JIT of the routes, node_exporter's first collection.
      for (const url of Object.values(targets)) if (url) await load(url, clients, 2, pool(), false);
      for (const which of ['exporter', 'node', 'node', 'exporter'] as const) {
        const url = targets[which];
        if (url === null) continue;
        log(`${clients} clients x ${Math.ceil(perClient / 2)} GET /metrics of ${which} at ${countProcesses()} processes`);
        await load(url, clients, Math.ceil(perClient / 2), pools[which], which === 'exporter');
      }
      const loadRows = [
        row(`docker-engine-exporter (\`${LOAD_FLAGS[0]}\`)`, pools.exporter, true),
        ...(node ? [row('node_exporter (default collectors)', pools.node, false)] : []),
      ];
      return { processes: countProcesses(), sequential: [...sequential].map(([label, p]) => row(label, p, true)), load: loadRows };
    } finally {
      await exporter.stop();
      await node?.stop();
    }
  });
  const nodeExporterVersion = withNode ? programVersion(NODE_EXPORTER) : null;
  return { ...result, clients, requestsPerClient: Math.ceil(perClient / 2) * 2, loadFlags: LOAD_FLAGS, nodeExporterVersion, notes };
}

const LATENCY = ['p50', 'p90', 'p99', 'max', 'requests'];

function render(r: Result): string[] {
  const polls = (row: Row): string => (row.polls === null ? '–' : `${row.polls} (${fmtMs(row.meanPollMs)} ms)`);
  const errors = (row: Row): number => Object.values(row.errorKinds).reduce((a, b) => a + b, 0);
  const lat = (s: Summary): string[] => [fmtMs(s.median), fmtMs(s.p90), fmtMs(s.p99), fmtMs(s.max), String(s.n)];
  const failures = (row: Row): string =>
    Object.entries(row.errorKinds)
      .map(([k, n]) => `${n} × ${k}`)
      .join('; ');
  const [ours, node] = r.load;
  return [
    `At ${count(r.processes)} processes. Alone: sequential requests over one keep-alive loopback connection, milliseconds:`,
    '',
    mdTable(
      ['--poll.interval', 'polls during the run (mean poll)', ...LATENCY],
      r.sequential.map((row) => [row.target, polls(row), ...lat(row.latencyMs)]),
    ),
    '',
    `Under load: ${r.clients} concurrent clients × ${r.requestsPerClient} sequential requests each; \`node dist/main.js ${r.loadFlags.join(' ')}\`` +
      `${r.nodeExporterVersion ? ` beside Debian's prometheus-node-exporter ${r.nodeExporterVersion}` : ''}. Milliseconds, of the answers with status 200:`,
    '',
    mdTable(
      ['target', ...LATENCY, 'errors', 'requests/s', 'KiB per answer', 'series', 'polls during the load (mean poll)'],
      r.load.map((row) => [
        row.target,
        ...lat(row.latencyMs),
        String(errors(row)),
        row.requestsPerSecond.toFixed(0),
        (row.bytesPerAnswer / 1024).toFixed(1),
        String(row.series),
        polls(row),
      ]),
    ),
    '',
    ...(ours && node
      ? [
          `Exporter / node_exporter: p50 ${fmtRatio(ours.latencyMs.median, node.latencyMs.median)}, p99 ${fmtRatio(ours.latencyMs.p99, node.latencyMs.p99)}. Failed requests:`,
          '',
        ]
      : []),
    ...r.load.map((row) => `- ${row.target}: ${errors(row) === 0 ? 'no failed request' : failures(row)}`),
    ...r.notes.map((n) => `- ${n}`),
  ];
}

export const metricsLatency: Section<Result> = {
  name: 'metrics-latency',
  title: () => 'GET /metrics latency while polling, alone and under load',
  run,
  render,
};
