/** The issue-6 section of docs/benchmarks.md, from the results of bench/run-issue6.ts. */
import type { MachineInfo } from './report.js';
import type { PollCostResult } from './compare-process-exporter.js';
import type { ScrapeLatencyResult } from './scrape-latency.js';
import type { ExporterRssResult } from './exporter-rss.js';
import type { MemoryResult } from './memory-soak.js';
import type { DetectionResult } from './detection.js';
import { fmtMs, fmtRatio, mdTable } from './issue6-common.js';

export interface Issue6Report {
  startedAt: Date;
  durationS: number;
  machine: MachineInfo;
  command: string;
  /** The checkout measured: `git rev-parse --short HEAD`, with "+ changes in src/" when src/ differs from it. */
  commit?: string;
  /** Share of all CPUs' time other work used in the second before each part (null: not measured). */
  othersBefore: Record<string, number | null>;
  pollCost: PollCostResult | null;
  scrapeLatency: ScrapeLatencyResult | null;
  memory: MemoryResult | null;
  /** Absent in results saved before this part existed. */
  memoryProcess?: ExporterRssResult | null;
  detection: DetectionResult | null;
  failures: string[];
}

const pct = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? '?' : `${Math.round(v * 100)}%`);
// Figures that were NaN in the run arrive as null (JSON has no NaN): both print as "–".
const signedPct = (v: number | null): string => (v === null || Number.isNaN(v) ? '–' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`);
const signedNum = (v: number | null): string => (v === null || Number.isNaN(v) ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`);
const med = (s: { median: number; p90: number }): string => `${fmtMs(s.median)} (${fmtMs(s.p90)})`;

function others(r: Issue6Report, part: string): string {
  const v = r.othersBefore[part];
  return v === undefined ? '' : ` Other work on the machine used ${pct(v)} of its CPU time in the second before this part started.`;
}

function pollCost(r: Issue6Report, p: PollCostResult): string[] {
  const rows = p.rows.map((row) => [
    `${row.processes.toLocaleString('en-US')}${row.label === 'host' ? ' (host)' : ''}`,
    med(row.floor),
    med(row.sync),
    med(row.worker),
    med(row.processExporter),
    fmtRatio(row.processExporter.median, row.worker.median),
    fmtRatio(row.processExporter.median, row.floor.median),
    `${fmtMs(row.syncCpuMs)} / ${fmtMs(row.processExporterCpuMs)}`,
    fmtRatio(row.processExporterCpuMs, row.syncCpuMs),
    row.processExporterFirstMs === null ? '–' : fmtMs(row.processExporterFirstMs),
    `${row.processExporterRssMiB.toFixed(1)}`,
  ]);
  return [
    '### 1. Poll cost against process count, beside process-exporter',
    '',
    `One look at the process table, milliseconds, median (p90) of ${p.rounds * p.perRound} looks per column ` +
      `(${p.rounds} rounds in which the columns take turns, ${p.perRound} looks each). **C floor**: bench/c/scan-floor.c; ` +
      '**procfs scan**: `scanProcfs()` on the calling thread; **procfs source**: the exporter\'s default source (the same ' +
      'scan in its worker thread, with the round trip); **process-exporter**: one `GET /metrics` of Debian\'s ' +
      `prometheus-process-exporter ${p.processExporterVersion} (default flags, \`-config.path\` with six \`comm\` matchers: ` +
      'dockerd, containerd, containerd-shim, runc, docker-proxy, docker-init), which reads /proc on every scrape. ' +
      'CPU time is the mean per look: ours from `process.cpuUsage()` around each direct scan, process-exporter\'s from ' +
      'its /proc/PID/stat over all measured scrapes. The extra processes are idle children of bench/c/spawn-idle.c, ' +
      '1% of them named `containerd-shim` (process-exporter groups those by comm and reads their details, as it would ' +
      `on a host with that many shims; our scan reads them too and rejects them by exe).${others(r, 'poll-cost')}`,
    '',
    mdTable(
      [
        'processes',
        'C floor',
        'procfs scan (sync)',
        'procfs source (worker)',
        'process-exporter GET /metrics',
        'process-exporter / procfs source',
        'process-exporter / C',
        'CPU ms per look: procfs scan / process-exporter',
        'process-exporter / procfs, CPU',
        'process-exporter first scrape after the processes appeared (ms)',
        'process-exporter RSS (MiB)',
      ],
      rows,
    ),
    '',
    `process-exporter took ${fmtMs(p.processExporterStartMs)} ms from its start to its first answer (it reads every process before it listens).`,
    ...p.notes.map((n) => `- ${n}`),
  ];
}

function scrapeLatency(r: Issue6Report, s: ScrapeLatencyResult): string[] {
  const rows = s.rows.map((row) => [
    row.target,
    fmtMs(row.latencyMs.median),
    fmtMs(row.latencyMs.p90),
    fmtMs(row.latencyMs.p99),
    fmtMs(row.latencyMs.max),
    String(row.latencyMs.n),
    String(row.errors),
    row.requestsPerSecond.toFixed(0),
    (row.bytesPerAnswer / 1024).toFixed(1),
    String(row.series),
    row.pollsDuring === null ? '–' : `${row.pollsDuring} (${fmtMs(row.meanPollMs)} ms)`,
  ]);
  const [ours, node] = s.rows;
  return [
    '### 2. /metrics latency under 50 concurrent clients, beside node_exporter',
    '',
    `At ${s.processes.toLocaleString('en-US')} processes on the host, ${s.clients} concurrent clients, each sending ` +
      `${s.requestsPerClient} sequential \`GET /metrics\` over its own keep-alive connection (Node's \`http\` with a ` +
      `keep-alive Agent, \`maxSockets\` ${s.clients}; the load generator is this bench's own process). The exporter is ` +
      `\`node dist/main.js ${s.exporterFlags.join(' ')}\` (no engine to watch: it still scans all processes every second); ` +
      `node_exporter is Debian's prometheus-node-exporter ${s.nodeExporterVersion} with its default collectors. The two take ` +
      'turns A B B A, half of each client\'s requests per turn, pooled. Milliseconds, from the request to the last byte.' +
      others(r, 'scrape-latency'),
    '',
    mdTable(
      ['target', 'p50', 'p90', 'p99', 'max', 'requests', 'errors', 'requests/s', 'KiB per answer', 'series', 'polls during the load (mean poll)'],
      rows,
    ),
    '',
    ours && node
      ? `Exporter / node_exporter: p50 ${fmtRatio(ours.latencyMs.median, node.latencyMs.median)}, p99 ${fmtRatio(ours.latencyMs.p99, node.latencyMs.p99)}. ` +
        'Latencies are those of the answers with status 200; failed requests are counted apart:'
      : '',
    '',
    ...s.rows.map(
      (row) =>
        `- ${row.target}: ${
          row.errors === 0
            ? 'no failed request'
            : Object.entries(row.errorKinds)
                .map(([k, n]) => `${n} × ${k.replace(/\s+/g, ' ')}`)
                .join('; ')
        }`,
    ),
    ...s.notes.map((n) => `- ${n}`),
  ];
}

const mib = (x: number | null | undefined): string => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(1));

function spread(xs: readonly number[]): string {
  if (xs.length === 0) return '–';
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return `${lo.toFixed(1)}–${hi.toFixed(1)} MiB (max ${signedPct((hi - lo) / lo)} over min)`;
}

/** The issue's bound: RSS flat within 5 % between after start (the end of the warm-up) and the end. */
const FLAT = 0.05;

function memory(r: Issue6Report, m: MemoryResult): string[] {
  const o = m.options;
  const rows = m.checkpoints.map((c) => [
    c.label,
    c.polls.toLocaleString('en-US'),
    c.elapsedS.toFixed(0),
    mib(c.rssMiB),
    mib(c.rssAnonMiB),
    mib(c.rssFileMiB),
    mib(c.heapUsedMiB),
    mib(c.heapPhysicalMiB),
  ]);
  // Results saved before the readings existed have no samples: judge by the single readings then.
  const samples = m.samples ?? [];
  const windowed = samples.length > 0;
  const rssGrowth = windowed ? m.rssWindowGrowth : m.rssGrowth;
  const flat = typeof rssGrowth === 'number' && Math.abs(rssGrowth) <= FLAT;
  const first = m.checkpoints[0];
  const warm = m.checkpoints.find((c) => c.label === 'after warm-up');
  const late = samples.filter((c) => c.polls >= m.pollsDone / 2);
  const back = m.seriesAdded.length === 0 && m.seriesRemoved.length === 0;
  const list = (xs: string[]): string => (xs.length === 0 ? 'none' : xs.slice(0, 12).map((x) => `\`${x}\``).join(', ') + (xs.length > 12 ? `, … (${xs.length})` : ''));
  const k = Math.max(3, Math.floor(samples.length / 10));
  return [
    `### 3. Memory over ${m.pollsDone.toLocaleString('en-US')} polls with container churn`,
    '',
    'The exporter\'s pipeline built in-process from build/src as main.ts builds it (`parseFlags` → `createEngineWatch(config, logger, ' +
      '{followStreamDrops: true})` → a prom-client Registry with the engine, probe and exporter metrics), watching a real engine ' +
      '(the test rig: dockerd, its containerd, runc), and `poller.pollOnce()` called back to back ' +
      `${o.polls.toLocaleString('en-US')} times (${o.warmup.toLocaleString('en-US')} of them warm-up), \`registry.metrics()\` every ${o.scrapeEvery} polls, ` +
      `while ${o.churnWorkers} loops ran \`docker run --rm rig/busybox true\` back to back the whole time. ` +
      `Node ran with \`${(m.nodeFlags ?? []).join(' ') || '(no flags)'}\` and ` +
      `${m.mallocArenaMax ? `\`MALLOC_ARENA_MAX=${m.mallocArenaMax}\`, as the Dockerfile and the systemd unit set it` : "glibc's default malloc arenas"}. ` +
      `Every reading is taken after a full GC of the main thread${m.gcForced ? '' : ' (not available in this run)'} and a 50 ms pause ` +
      '(V8 returns freed pages to the kernel from a background thread): ' +
      'RSS is the whole process as the kernel counts it, split into anonymous memory (the V8 heaps of the main thread and the scan ' +
      'worker, malloc arenas) and file-backed pages (node\'s own code, paged in as code paths first run); heapUsed is the main ' +
      'isolate\'s live objects, what a leak in the pipeline would grow; "heap pages" is the memory V8 holds for that heap.' +
      others(r, 'memory'),
    '',
    mdTable(['checkpoint', 'polls', 's', 'RSS (MiB)', 'anon', 'file', 'heapUsed (MiB)', 'heap pages (MiB)'], rows),
    '',
    mdTable(
      ['', 'value'],
      [
        ['polls', `${m.pollsDone.toLocaleString('en-US')}${m.stoppedByBudget ? ` (stopped by the ${o.budgetS} s budget)` : ''}`],
        [
          'measured loop',
          `${m.loopSeconds.toFixed(0)} s, ${m.pollsPerSecond.toFixed(0)} polls/s${m.cpuMsPerPoll === undefined ? '' : `, ${m.cpuMsPerPoll.toFixed(2)} ms of CPU per poll`}`,
        ],
        ['containers run and removed meanwhile', `${m.containersRun} (${m.containerRunFailures} failed \`docker run\`)`],
        ['RSS after the first poll → after the warm-up', `${mib(first?.rssMiB)} → ${mib(warm?.rssMiB)} MiB (the warm-up; see below)`],
        ...(windowed
          ? [
              [
                `**RSS from the end of the warm-up to the end** (median of the last ${k} of ${samples.length} readings, one every ${o.sampleEvery.toLocaleString('en-US')} polls, against the first ${k})`,
                `**${signedPct(m.rssWindowGrowth)}: ${flat ? 'flat within 5 %' : Number.isFinite(rssGrowth) ? 'NOT within 5 %' : 'too few readings to tell'}**`,
              ],
              ['RSS trend over those readings (least squares)', `${signedNum(m.rssTrendMiBPer100k)} MiB per 100,000 polls`],
              ['heapUsed, the same two ways', `${signedPct(m.heapWindowGrowth)}; ${signedNum(m.heapTrendMiBPer100k)} MiB per 100,000 polls`],
              [`RSS over the second half (${late.length} readings)`, spread(late.map((c) => c.rssMiB))],
            ]
          : []),
        ['single readings, end against after the warm-up: RSS / heapUsed', `${signedPct(m.rssGrowth)} / ${signedPct(m.heapGrowth)}`],
        ['series before the churn (all / `docker_engine_*`)', `${m.seriesBaseline} / ${m.engineSeriesBaseline}`],
        ['series, most during the churn (all)', String(m.seriesMaxDuringChurn)],
        [
          `series after the churn (${m.containersLeftAfter} containers left, ${m.settlePolls} more polls 100 ms apart): all / \`docker_engine_*\``,
          `${m.seriesAfter} / ${m.engineSeriesAfter} (\`docker_engine_*\`: ${back ? 'the baseline set exactly' : 'differs from the baseline'})`,
        ],
        ['`docker_engine_*` series added / removed against the baseline', `${list(m.seriesAdded)} / ${list(m.seriesRemoved)}`],
        ['other series added / removed (prom-client defaults)', `${summarizeDefaults(m.defaultSeriesAdded)} / ${summarizeDefaults(m.defaultSeriesRemoved)}`],
        ['task exits counted (containerd events)', String(m.taskExitsCounted ?? '–')],
        ['restarts counted (should stay 0)', `dockerd ${m.restartsCounted.dockerd ?? '–'}, containerd ${m.restartsCounted.containerd ?? '–'}`],
        ['failed polls', JSON.stringify(m.pollErrors)],
        ['read errors inside polls', Object.keys(m.readErrors).length === 0 ? 'none' : JSON.stringify(m.readErrors)],
        ['log lines', String(m.logLines)],
      ],
    ),
  ];
}

function memoryProcess(r: Issue6Report, p: ExporterRssResult): string[] {
  const o = p.options;
  const s = p.samples;
  const firstSample = s[0];
  const lastSample = s.at(-1);
  // One row a minute, the first reading and the last included.
  const rows = s
    .filter((x, i) => i === 0 || i === s.length - 1 || Math.floor(x.elapsedS / 60) > Math.floor((s[i - 1]?.elapsedS ?? 0) / 60))
    .map((x) => [x.elapsedS.toFixed(0), x.polls === null ? '–' : x.polls.toLocaleString('en-US'), mib(x.rssMiB), mib(x.rssAnonMiB), mib(x.rssFileMiB)]);
  // The process after start: once its first 2,000 polls are done, as the soak's warm-up (or from the
  // middle of a shorter run).
  const warmIndex = s.findIndex((x) => x.polls !== null && x.polls >= 2000);
  const settled = s.slice(warmIndex >= 0 && warmIndex < s.length - 1 ? warmIndex : Math.floor(s.length / 2));
  const settledFirst = settled[0];
  return [
    `### 3b. The exporter process itself, from its start`,
    '',
    'The soak above polls back to back, far faster than the exporter ever does. Here the exporter runs as deployed: ' +
      `\`node ${(p.nodeFlags ?? []).map((f) => `${f} `).join('')}dist/main.js --poll.interval=100ms\` (node's flags from main.js's shebang, the ` +
      'fastest interval the flag allows) with `MALLOC_ARENA_MAX=2`, as the Dockerfile and the systemd unit run it, against the test rig, ' +
      `${o.churnWorkers} loops running \`docker run --rm rig/busybox true\` the whole time and \`/metrics\` scraped every ${o.scrapeS} s, ` +
      `for ${o.durationS} s; its RSS read from \`/proc/<pid>/status\` every ${o.sampleS} s from the first answered scrape on ` +
      '(no forced GC: what an operator\'s `ps` shows).' +
      others(r, 'memory-process'),
    '',
    mdTable(['s', 'polls', 'RSS (MiB)', 'anon', 'file'], rows),
    '',
    mdTable(
      ['', 'value'],
      [
        ['RSS at the first scrape → at the end', `${mib(firstSample?.rssMiB)} → ${mib(lastSample?.rssMiB)} MiB (${firstSample && lastSample ? signedPct((lastSample.rssMiB - firstSample.rssMiB) / firstSample.rssMiB) : '–'})`],
        [
          `RSS from ${settledFirst ? `${settledFirst.elapsedS.toFixed(0)} s (${settledFirst.polls?.toLocaleString('en-US') ?? '?'} polls)` : '–'} to the end (${settled.length} readings)`,
          `${spread(settled.map((x) => x.rssMiB))}; ${settledFirst && lastSample ? signedPct((lastSample.rssMiB - settledFirst.rssMiB) / settledFirst.rssMiB) : '–'} from the first of them to the last`,
        ],
        ['containers run and removed meanwhile', String(p.containersRun)],
        ['scrapes (failed)', `${p.scrapes} (${p.failedScrapes})`],
      ],
    ),
  ];
}

/** `nodejs_gc_duration_seconds{kind="minor"}` and its buckets → one entry per metric and kind. */
function summarizeDefaults(series: readonly string[]): string {
  if (series.length === 0) return 'none';
  const groups = new Map<string, number>();
  for (const s of series) {
    const name = s.replace(/\{.*$/, '').replace(/_(bucket|sum|count)$/, '');
    const kind = /kind="([^"]*)"/.exec(s)?.[1];
    const key = kind === undefined ? name : `${name}{kind="${kind}"}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups].map(([k, n]) => `\`${k}\` (${n} series)`).join(', ');
}

function detection(r: Issue6Report, d: DetectionResult): string[] {
  const p = d.prometheus;
  return [
    `### 4. Detection of ${d.kills} consecutive \`kill -9\` of containerd`,
    '',
    `On the test rig (Debian's dockerd with its managed containerd), ${d.kills} times: \`kill -9\` of containerd, then ` +
      '`GET /metrics` of `node dist/main.js --poll.interval=1s` every 50 ms until ' +
      '`docker_engine_component_up{component="containerd"}` is 0; the next kill ' +
      `${(d.settleMs / 1000).toFixed(0)} s after dockerd restarted containerd and the exporter showed it up again (a containerd ` +
      'killed the instant it came back would also test how fast the exporter re-subscribes to its event stream). ' +
      `Beside it, Debian's Prometheus ${d.versions.prometheus} (fresh data directory, scrape_interval ` +
      `${p.scrapeIntervalS}s) scraped Debian's process-exporter ${d.versions.processExporter} configured for this rig's containerd ` +
      '(comm `containerd` and a command line naming the rig\'s directory, so no other engine on the host counts), and was asked ' +
      `at the end: \`${p.query}\`.` +
      others(r, 'detection'),
    '',
    mdTable(
      ['', 'docker-engine-exporter', 'Prometheus + process-exporter'],
      [
        [
          'restarts counted',
          `**${d.exporterRestarts}** of ${d.kills} (\`docker_engine_component_restarts_total\`)`,
          `**${p.changes ?? '–'}** (\`changes()\`); ${p.changesPositiveOnly ?? '–'} without the outage samples`,
        ],
        [
          'kill → up=0 seen on /metrics, ms: median / max',
          `${fmtMs(d.detectionMs.median)} / ${fmtMs(d.detectionMs.max)} (${d.detectionMs.n} kills)`,
          `–: a restart is seen, if at all, at the next scrape (every ${p.scrapeIntervalS} s)`,
        ],
        [
          'outages seen',
          `${d.exporterDownEventsLogged} "component down" log lines`,
          `${p.outageSamples} scrapes landed inside an outage; ${p.distinctStartTimes} distinct start times in ${p.samples} samples`,
        ],
      ],
    ),
    '',
    `dockerd restarted containerd ${fmtMs(d.restartDelayMs.median / 1000)} s after the kill (median; max ${fmtMs(d.restartDelayMs.max / 1000)} s). ` +
      'process-exporter reports an empty group\'s `oldest_start_time_seconds` as Go\'s zero time (-62135596800), so ' +
      '`changes()` counts a restart twice when a scrape lands inside the outage (old → zero time → new) and once, or ' +
      'not at all, when none does and two restarts fall between the same two scrapes; the second query ' +
      `(\`${p.positiveQuery}\`) leaves the zero-time samples out and counts only changed start times. The part took ${d.durationS.toFixed(0)} s.`,
    ...d.notes.map((n) => `- ${n}`),
  ];
}

export function renderIssue6(r: Issue6Report): string {
  const m = r.machine;
  const out: string[] = [
    '## Issue 6: beside what operators run today',
    '',
    `Measured ${r.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC in one run of \`${r.command}\` ` +
      `(${Math.round(r.durationS)} s) on ${m.nproc} CPUs (${m.cpu}), ${m.memGiB} GiB, ${m.kernel}${m.distro ? `, ${m.distro}` : ''}, ` +
      `Node ${m.node}${r.commit ? `, the exporter built from commit ${r.commit}` : ''}. Ratios divide medians (or percentiles) measured in that same run.`,
    '',
  ];
  if (r.pollCost) out.push(...pollCost(r, r.pollCost), '');
  if (r.scrapeLatency) out.push(...scrapeLatency(r, r.scrapeLatency), '');
  if (r.memory) out.push(...memory(r, r.memory), '');
  if (r.memoryProcess) out.push(...memoryProcess(r, r.memoryProcess), '');
  if (r.detection) out.push(...detection(r, r.detection), '');
  if (r.failures.length > 0) out.push('**Parts that failed in this run:**', '', ...r.failures.map((f) => `- ${f}`), '');
  out.push(
    '### How to rerun',
    '',
    'As root, on a machine as quiet as you can make it (the parts start a Docker engine of their own, 10,000 idle ' +
      'processes, process-exporter, node_exporter and Prometheus on loopback ports, and stop all of them by pid):',
    '',
    '```',
    'apt-get install -y docker.io containerd runc busybox-static prometheus prometheus-node-exporter prometheus-process-exporter gcc',
    'npm ci && npm run build && npm run build:test',
    'node build/bench/run-issue6.js                      # all five parts (~25 min on 2 cores), writes this section',
    'node build/bench/run-issue6.js --only=poll-cost,scrape-latency --no-write',
    'node build/bench/run-issue6.js --only=memory,memory-process --polls=20000 --process-duration-s=120 --no-write   # shorter',
    'node --expose-gc --max-semi-space-size=2 build/bench/memory-soak.js --polls=100000  # the soak alone, a RESULT {json} line on stdout',
    '# what the main heap is made of, between the end of the warm-up and the end (snapshots perturb RSS: not for the figures above)',
    'node --expose-gc --max-semi-space-size=2 build/bench/memory-soak.js --heap-snapshots=/tmp/heap >/dev/null',
    'node build/bench/heap-snapshot-diff.js /tmp/heap/warm.heapsnapshot /tmp/heap/end.heapsnapshot',
    'node build/bench/run-issue6.js --from=build/bench/issue6/results-<time>.json   # render this section again from a run\'s saved figures',
    '```',
    '',
    'Options: `--only=poll-cost,scrape-latency,memory,memory-process,detection`, `--sizes=host,2000,10000`, `--rounds=10`, ' +
      '`--per-round=3`, `--clients=50`, `--requests-per-client=40`, `--latency-processes=10000`, `--polls=100000`, ' +
      '`--warmup=2000`, `--scrape-every=100`, `--sample-every=1000`, `--churn-workers=2`, `--budget-s=840`, `--process-duration-s=300`, `--kills=20`, `--scrape-interval=15`, `--settle-ms=2000`, ' +
      '`--no-write`. None of these programs is started as a service: the bench runs each binary itself, under ' +
      '`setpriv --pdeathsig TERM`, so that nothing outlives an interrupted run.',
  );
  return out.join('\n');
}
