/**
 * The exporter's memory over `--polls` polls with container churn. That many polls at the 100 ms
 * interval would take hours, so main.ts's pipeline (from build/src) is driven in-process against the
 * test rig: `poller.pollOnce()` back to back, the registry scraped every `--scrape-every` polls, while
 * `--churn-workers` loops run containers. In a child node (`--expose-gc`, main.js's node flags,
 * MALLOC_ARENA_MAX=2 as deployed): every reading follows a full GC, and the bench itself is not counted.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { parseFlags } from '../../src/config/flags.js';
import { createExporter, type Exporter } from '../../src/exporter.js';
import { createLogger } from '../../src/log/logger.js';
import { startEngineRig, waitFor, type EngineRig } from '../../test/support/engine-rig.js';
import type { Context, Options, Section } from '../harness.js';
import { startChurn, type Churn } from '../lib/churn.js';
import { count, fmtMiB, mdTable, signedNum, signedPct } from '../lib/markdown.js';
import { deployedNodeFlags, residentMiB, sampleValue, seriesSet, sleep, track, underSetpriv, untrack } from '../lib/programs.js';
import { slope, windowGrowth } from '../lib/stats.js';

type SoakOptions = Options['num'];

const MiB = 2 ** 20;
const gc = (globalThis as { gc?: () => void }).gc;
const SETTLE_POLLS = 80;

type Checkpoint = Awaited<ReturnType<typeof checkpoint>>;
type Result = Awaited<ReturnType<typeof soak>> & { nodeFlags: string[] };

/**
 * A reading after a full GC. RSS of the whole process and its split (/proc/self/status): anonymous
 * (V8 heaps of both isolates, malloc) and file-backed (node's code); heapUsed: the main isolate's
 * live objects, what a leak in the pipeline would grow; heapPhysical: the heap pages V8 holds.
 */
async function checkpoint(label: string, polls: number, t0: number) {
  gc?.();
  gc?.();
  // V8 hands the pages a GC freed back to the kernel from a background thread: read RSS after it did.
  await sleep(50);
  const [{ rss, heapUsed }, r] = [process.memoryUsage(), residentMiB('self')];
  const [elapsedS, heapPhysicalMiB] = [(performance.now() - t0) / 1000, getHeapStatistics().total_physical_size / MiB];
  return { label, polls, elapsedS, rssMiB: rss / MiB, rssAnonMiB: r.anon, rssFileMiB: r.file, heapUsedMiB: heapUsed / MiB, heapPhysicalMiB };
}

async function soak(o: SoakOptions, log: (line: string) => void) {
  let rig: EngineRig | null = null;
  let exporter: Exporter | null = null;
  let churn: Churn | null = null;
  try {
    const theRig = (rig = await startEngineRig());
    const parsed = parseFlags(
      [`--docker.host=${theRig.dockerHost}`, `--docker.pidfile=${theRig.pidfile}`, '--poll.interval=100ms', '--log.level=info'],
      {},
    );
    if (parsed.kind !== 'run') throw new Error('parseFlags did not give a run config');
    const config = parsed.config;
    let logLines = 0;
    const logger = createLogger(config.logLevel, config.logFormat, () => void logLines++);
    // main.ts's own pipeline (its app is built, never listens); polled by hand instead of by its clock.
    const { poller, registry } = (exporter = createExporter(config, { logger, mode: 'serve' }));

    const t0 = performance.now();
    const checkpoints: Checkpoint[] = [];
    // Readings every `sample-every` polls from the end of the warm-up on.
    const samples: Array<{ polls: number; rssMiB: number; heapUsedMiB: number }> = [];
    let polls = 0;
    const poll = async (): Promise<void> => void (await poller.pollOnce(), polls++);
    await poll();
    await registry.metrics();
    checkpoints.push(await checkpoint('after start (first poll)', polls, t0));
    // The baseline: no container has run yet; polls at the exporter's pace so that every probe answered.
    for (let i = 0; i < 30; i++) await poll().then(() => sleep(100));
    const baseline = seriesSet(await registry.metrics());

    const theChurn = (churn = startChurn(theRig, o['churn-workers']));
    await waitFor('the first churned container', () => theChurn.run > 0 || theChurn.failed > 3, 60_000);
    if (theChurn.run === 0) throw new Error('docker run --rm rig/busybox true failed repeatedly');
    log(`${o.polls} polls (warm-up ${o.warmup}), registry scraped every ${o['scrape-every']}, ${o['churn-workers']} churn loops`);
    const loopStart = performance.now();
    const cpuStart = process.cpuUsage();
    const every = Math.max(1, Math.floor((o.polls - o.warmup) / 10));
    let [seriesMax, loopPolls, stoppedByBudget] = [0, 0, false];
    while (polls < o.polls) {
      await poll();
      loopPolls++;
      if (loopPolls % o['scrape-every'] === 0) seriesMax = Math.max(seriesMax, seriesSet(await registry.metrics()).size);
      const since = loopPolls - o.warmup;
      if (since >= 0 && since % o['sample-every'] === 0) {
        const c = await checkpoint('sample', polls, t0);
        samples.push({ polls, rssMiB: c.rssMiB, heapUsedMiB: c.heapUsedMiB });
        if (since === 0) checkpoints.push({ ...c, label: 'after warm-up' });
      }
      if (since > 0 && since % every === 0 && polls < o.polls) {
        checkpoints.push(await checkpoint(`${count(polls)} polls`, polls, t0));
        log(`${polls} polls, ${theChurn.run} containers, rss ${checkpoints.at(-1)?.rssMiB.toFixed(1)} MiB`);
      }
      if (performance.now() - loopStart > o['budget-s'] * 1000) {
        stoppedByBudget = true;
        break;
      }
    }
    const loopSeconds = (performance.now() - loopStart) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    seriesMax = Math.max(seriesMax, seriesSet(await registry.metrics()).size);
    const end = await checkpoint('end of the polls', polls, t0);
    checkpoints.push(end);
    samples.push({ polls, rssMiB: end.rssMiB, heapUsedMiB: end.heapUsedMiB });

    // Stop the churn; once no container is left, poll at the exporter's pace for a while (the
    // /containers/json probe runs every 5 s) before counting series again.
    await theChurn.stop();
    let left = -1;
    const ps = async (): Promise<boolean> =>
      (left = (await theRig.docker(['ps', '-aq'], { timeoutMs: 10_000 })).stdout.trim().split('\n').filter(Boolean).length) === 0;
    await waitFor('every churned container to be gone', ps, 60_000).catch(() => undefined);
    for (let i = 0; i < SETTLE_POLLS; i++) await poller.pollOnce().then(() => sleep(100));
    const afterBody = await registry.metrics();
    const after = seriesSet(afterBody);
    const engine = (s: string): boolean => s.startsWith('docker_engine_');
    return {
      options: o,
      mallocArenaMax: process.env['MALLOC_ARENA_MAX'] || null, // null: glibc's default
      pollsDone: polls,
      loopSeconds,
      cpuMsPerPoll: (cpu.user + cpu.system) / 1000 / loopPolls,
      stoppedByBudget,
      checkpoints,
      samples,
      seriesBaseline: baseline.size,
      engineSeriesBaseline: [...baseline].filter(engine).length,
      seriesMaxDuringChurn: seriesMax,
      seriesAfter: after.size,
      engineSeriesAfter: [...after].filter(engine).length,
      // docker_engine_* series added / removed against the baseline after the churn; prom-client's defaults apart.
      engineAdded: [...after].filter((s) => engine(s) && !baseline.has(s)),
      engineRemoved: [...baseline].filter((s) => engine(s) && !after.has(s)),
      otherAdded: [...after].filter((s) => !engine(s) && !baseline.has(s)),
      otherRemoved: [...baseline].filter((s) => !engine(s) && !after.has(s)),
      containersRun: theChurn.run,
      containerRunFailures: theChurn.failed,
      containersLeftAfter: left,
      settlePolls: SETTLE_POLLS,
      pollErrors: { ...poller.status().pollErrors },
      readErrors: Object.fromEntries(poller.status().readErrors),
      logLines,
      restarts: {
        dockerd: sampleValue(afterBody, 'docker_engine_component_restarts_total{component="dockerd"}'),
        containerd: sampleValue(afterBody, 'docker_engine_component_restarts_total{component="containerd"}'),
      },
      taskExits: sampleValue(afterBody, 'docker_engine_task_exits_total{namespace="moby"}'),
    };
  } finally {
    await churn?.stop();
    await exporter?.close();
    await rig?.stop();
  }
}

/** Runs the soak in a child node, streaming its progress; resolves with its RESULT line. */
function run(ctx: Context): Promise<Result> {
  const nodeFlags = ['--expose-gc', ...deployedNodeFlags(ctx.mainJs)];
  return new Promise((resolve, reject) => {
    // As deployed, unless the caller's environment sets MALLOC_ARENA_MAX itself (to compare other settings).
    const env = { ...process.env, MALLOC_ARENA_MAX: process.env['MALLOC_ARENA_MAX'] ?? '2' };
    // Under setpriv's parent-death signal, as every program the bench starts: the soak's rig goes with a killed bench.
    const argv = [process.execPath, ...nodeFlags, fileURLToPath(import.meta.url), JSON.stringify(ctx.opts.num)];
    const [file = process.execPath, ...args] = underSetpriv(argv);
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    const handle = { killNow: () => void child.kill('SIGTERM') };
    track(handle);
    let result: Result | null = null;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('RESULT ')) result = { ...(JSON.parse(line.slice(7)) as Result), nodeFlags };
      else ctx.log(`memory-soak: ${line}`);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      untrack(handle);
      if (result) resolve(result);
      else reject(new Error(`the soak exited (${code ?? signal}) without a result`));
    });
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  soak(JSON.parse(process.argv[2] ?? '') as SoakOptions, (line) => process.stdout.write(`${line}\n`)).then(
    (r) => process.stdout.write(`RESULT ${JSON.stringify(r)}\n`, () => process.exit(0)),
    (err: unknown) => {
      process.stderr.write(`memory soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

/** `nodejs_gc_duration_seconds{kind="minor"}` and its buckets → one entry per metric and kind. */
function grouped(series: readonly string[]): string {
  const groups = new Map<string, number>();
  for (const s of series) {
    const kind = /kind="([^"]*)"/.exec(s)?.[1];
    const name = s.replace(/\{.*$/, '').replace(/_(bucket|sum|count)$/, '');
    const key = kind === undefined ? name : `${name}{kind="${kind}"}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return groups.size === 0 ? 'none' : [...groups].map(([k, n]) => `\`${k}\` (${n} series)`).join(', ');
}

const spread = (xs: readonly number[]): string => {
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
  return xs.length === 0 ? '–' : `${lo.toFixed(1)}–${hi.toFixed(1)} MiB (max ${signedPct((hi - lo) / lo)} over min)`;
};

function render(m: Result): string[] {
  const o = m.options;
  const mib = (c: Checkpoint): string[] => [c.rssMiB, c.rssAnonMiB, c.rssFileMiB, c.heapUsedMiB, c.heapPhysicalMiB].map(fmtMiB);
  const rows = m.checkpoints.map((c) => [c.label, count(c.polls), c.elapsedS.toFixed(0), ...mib(c)]);
  const [first, warm, end] = [m.checkpoints[0], m.checkpoints.find((c) => c.label === 'after warm-up'), m.checkpoints.at(-1)];
  const polls = m.samples.map((x) => x.polls);
  const values = (key: 'rssMiB' | 'heapUsedMiB'): number[] => m.samples.map((x) => x[key]);
  const rss = windowGrowth(values('rssMiB'));
  const trend = (key: 'rssMiB' | 'heapUsedMiB'): number => slope(polls, values(key)) * 100_000;
  const late = m.samples.filter((x) => x.polls >= m.pollsDone / 2).map((x) => x.rssMiB);
  const k = Math.max(3, Math.floor(m.samples.length / 10));
  const single = (key: 'rssMiB' | 'heapUsedMiB'): string => signedPct(warm && end ? (end[key] - warm[key]) / warm[key] : null);
  const code = (x: string): string => `\`${x}\``;
  const more = (xs: string[]): string => (xs.length > 12 ? `, … (${xs.length})` : '');
  const list = (xs: string[]): string => (xs.length === 0 ? 'none' : xs.slice(0, 12).map(code).join(', ') + more(xs));
  const back = m.engineAdded.length === 0 && m.engineRemoved.length === 0;
  return [
    `\`poller.pollOnce()\` back to back ${count(o.polls)} times (${count(o.warmup)} of them warm-up), \`registry.metrics()\` every ${o['scrape-every']} polls, ` +
      `${o['churn-workers']} loops of \`docker run --rm rig/busybox true\`; node \`${m.nodeFlags.join(' ')}\`, ${m.mallocArenaMax ? `\`MALLOC_ARENA_MAX=${m.mallocArenaMax}\`` : "glibc's default malloc arenas"}. Every reading follows a full GC and a 50 ms pause.`,
    '',
    mdTable(['checkpoint', 'polls', 's', 'RSS (MiB)', 'anon', 'file', 'heapUsed (MiB)', 'heap pages (MiB)'], rows),
    '',
    mdTable(
      ['', 'value'],
      [
        ['polls', `${count(m.pollsDone)}${m.stoppedByBudget ? ` (stopped by the ${o['budget-s']} s budget)` : ''}`],
        [
          'measured loop',
          `${m.loopSeconds.toFixed(0)} s, ${(m.pollsDone / m.loopSeconds).toFixed(0)} polls/s, ${m.cpuMsPerPoll.toFixed(2)} ms of CPU per poll`,
        ],
        ['containers run and removed meanwhile', `${m.containersRun} (${m.containerRunFailures} failed \`docker run\`)`],
        ['RSS after the first poll → after the warm-up', `${fmtMiB(first?.rssMiB)} → ${fmtMiB(warm?.rssMiB)} MiB (the warm-up)`],
        [
          `**RSS from the end of the warm-up to the end** (median of the last ${k} of ${m.samples.length} readings, one every ${count(o['sample-every'])} polls, against the first ${k})`,
          `**${signedPct(rss)}: ${Math.abs(rss) <= 0.05 ? 'flat within 5 %' : Number.isFinite(rss) ? 'NOT within 5 %' : 'too few readings to tell'}**`,
        ],
        ['RSS trend over those readings (least squares)', `${signedNum(trend('rssMiB'))} MiB per 100,000 polls`],
        [
          'heapUsed, the same two ways',
          `${signedPct(windowGrowth(values('heapUsedMiB')))}; ${signedNum(trend('heapUsedMiB'))} MiB per 100,000 polls`,
        ],
        [`RSS over the second half (${late.length} readings)`, spread(late)],
        ['single readings, end against after the warm-up: RSS / heapUsed', `${single('rssMiB')} / ${single('heapUsedMiB')}`],
        ['series before the churn (all / `docker_engine_*`)', `${m.seriesBaseline} / ${m.engineSeriesBaseline}`],
        ['series, most during the churn (all)', String(m.seriesMaxDuringChurn)],
        [
          `series after the churn (${m.containersLeftAfter} containers left, ${m.settlePolls} more polls 100 ms apart): all / \`docker_engine_*\``,
          `${m.seriesAfter} / ${m.engineSeriesAfter} (\`docker_engine_*\`: ${back ? 'the baseline set exactly' : 'differs from the baseline'})`,
        ],
        ['`docker_engine_*` series added / removed against the baseline', `${list(m.engineAdded)} / ${list(m.engineRemoved)}`],
        ['other series added / removed (prom-client defaults)', `${grouped(m.otherAdded)} / ${grouped(m.otherRemoved)}`],
        ['task exits counted (containerd events)', String(m.taskExits ?? '–')],
        ['restarts counted (should stay 0)', `dockerd ${m.restarts.dockerd ?? '–'}, containerd ${m.restarts.containerd ?? '–'}`],
        ['failed polls', JSON.stringify(m.pollErrors)],
        ['read errors inside polls', Object.keys(m.readErrors).length === 0 ? 'none' : JSON.stringify(m.readErrors)],
        ['log lines', String(m.logLines)],
      ],
    ),
  ];
}

export const memorySoak: Section<Result> = {
  name: 'memory-soak',
  title: (r) => `Memory over ${count(r.pollsDone)} polls with container churn`,
  run,
  render,
};
