/**
 * The exporter process as deployed, from its start, beside its floor: main.js's node flags,
 * MALLOC_ARENA_MAX=2 (as the Dockerfile and the systemd unit), --poll.interval=100ms (the fastest the
 * flag allows), against the test rig with a few containers running and others churned, /metrics
 * scraped every 5 s, RSS from /proc/<pid>/status every 10 s (no forced GC: what an operator's `ps`
 * shows). The floor (bench/lib/rss-floor.ts) is fastify serving prom-client's default metrics and
 * nothing else, started with the same flags and environment and scraped on the same schedule.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startEngineRig, startExporter, type EngineRig, type ExporterProcess } from '../../test/support/engine-rig.js';
import type { Context, Section } from '../harness.js';
import { startChurn, type Churn } from '../lib/churn.js';
import { count, fmtMiB, mdTable, signedPct } from '../lib/markdown.js';
import { deployedNodeFlags, httpGet, POLLS, residentMiB, sampleValue, sleep, track, underSetpriv, untrack } from '../lib/programs.js';

const SAMPLE_S = 10;
const SCRAPE_S = 5;
/** Containers left running the whole time, so that their shims and tasks are watched. */
const RUNNING_CONTAINERS = 3;
/** The target: RSS at the end at most this many times the floor's. */
const TARGET_RATIO = 1.15;

type Sample = Result['samples'][number];
type Result = Awaited<ReturnType<typeof run>>;
type Resident = Record<'rss' | 'anon' | 'file', number | null>;

/** What the process's own prom-client metrics say of its main isolate at a scrape, in MiB. */
function heapOf(body: string): Record<'heapTotal' | 'heapUsed' | 'external', number | null> {
  const mib = (name: string): number | null => {
    const v = sampleValue(body, name);
    return v === null ? null : v / 2 ** 20;
  };
  return {
    heapTotal: mib('nodejs_heap_size_total_bytes'),
    heapUsed: mib('nodejs_heap_size_used_bytes'),
    external: mib('nodejs_external_memory_bytes'),
  };
}

/** The floor: node with the exporter's flags running bench/lib/rss-floor.js, once it printed its port. */
async function startFloor(nodeFlags: string[], env: NodeJS.ProcessEnv) {
  const script = fileURLToPath(new URL('../lib/rss-floor.js', import.meta.url));
  const [file = process.execPath, ...args] = underSetpriv([process.execPath, ...nodeFlags, script]);
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  const handle = { killNow: () => void child.kill('SIGKILL') };
  track(handle);
  const stop = async (): Promise<void> => {
    untrack(handle);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(handle.killNow, 5_000);
    await gone;
    clearTimeout(timer);
  };
  let timer: NodeJS.Timeout | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error('the rss floor printed no port within 20 s')), 20_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (/^\d+$/.test(line)) resolve(Number(line));
    });
    child.once('exit', (code) => reject(new Error(`the rss floor exited (${code}) before listening`)));
    child.once('error', reject);
  })
    .catch(async (err: unknown) => {
      await stop();
      throw err;
    })
    .finally(() => clearTimeout(timer));
  if (child.pid === undefined) throw new Error('the rss floor did not start');
  return { pid: child.pid, url: `http://127.0.0.1:${port}`, stop };
}

async function run(ctx: Context) {
  const { 'process-duration-s': durationS, 'churn-workers': churnWorkers } = ctx.opts.num;
  let [rig, exporter, churn] = [null as EngineRig | null, null as ExporterProcess | null, null as Churn | null];
  let floor: Awaited<ReturnType<typeof startFloor>> | null = null;
  try {
    const nodeFlags = deployedNodeFlags(ctx.mainJs);
    const env = { ...process.env, MALLOC_ARENA_MAX: '2' };
    const theRig = (rig = await startEngineRig());
    for (let i = 0; i < RUNNING_CONTAINERS; i++) await theRig.docker(['run', '-d', 'rig/busybox', 'sleep', '86400'], { timeoutMs: 60_000 });
    const args = ['--poll.interval=100ms', `--docker.host=${theRig.dockerHost}`, `--docker.pidfile=${theRig.pidfile}`];
    const theExporter = (exporter = await startExporter({ nodeArgs: nodeFlags, args, env }));
    const theFloor = (floor = await startFloor(nodeFlags, env));
    let [scrapes, failedScrapes, polls] = [0, 0, null as number | null];
    let heap = { exporter: heapOf(''), floor: heapOf('') };
    const scrape = async (): Promise<void> => {
      scrapes++;
      const [r, f] = await Promise.all([
        httpGet(`${theExporter.url}/metrics`, undefined, 5_000).catch(() => null),
        httpGet(`${theFloor.url}/metrics`, undefined, 5_000).catch(() => null),
      ]);
      if (r?.status !== 200 || f?.status !== 200) failedScrapes++;
      if (r?.status === 200) [polls, heap.exporter] = [sampleValue(r.body, POLLS), heapOf(r.body)];
      if (f?.status === 200) heap = { ...heap, floor: heapOf(f.body) };
    };
    await scrape();
    const t0 = performance.now();
    const samples: Array<{ elapsedS: number; polls: number | null; exporter: Resident; floor: Resident }> = [];
    const elapsed = (): number => (performance.now() - t0) / 1000;
    const sample = (): void =>
      void samples.push({ elapsedS: elapsed(), polls, exporter: residentMiB(theExporter.pid), floor: residentMiB(theFloor.pid) });
    sample();
    churn = startChurn(theRig, churnWorkers);
    ctx.log(`exporter-rss: ${durationS} s at --poll.interval=100ms beside the floor, /metrics every ${SCRAPE_S} s, RSS every ${SAMPLE_S} s`);
    for (let nextScrape = SCRAPE_S, nextSample = SAMPLE_S; elapsed() < durationS; await sleep(100)) {
      if (elapsed() >= nextScrape) await scrape().then(() => (nextScrape += SCRAPE_S));
      if (elapsed() < nextSample) continue;
      sample();
      nextSample += SAMPLE_S;
      const last = samples.at(-1);
      if (samples.length % 6 === 0)
        ctx.log(
          `exporter-rss: ${elapsed().toFixed(0)} s, ${polls ?? '?'} polls, rss ${fmtMiB(last?.exporter.rss)} MiB, floor ${fmtMiB(last?.floor.rss)} MiB`,
        );
    }
    await scrape();
    sample();
    await churn.stop();
    return {
      durationS,
      churnWorkers,
      runningContainers: RUNNING_CONTAINERS,
      nodeFlags,
      samples,
      heapAtEnd: heap,
      containersRun: churn.run,
      scrapes,
      failedScrapes,
    };
  } finally {
    await churn?.stop();
    await floor?.stop();
    await exporter?.stop();
    await rig?.stop();
  }
}

function render(p: Result): string[] {
  const s = p.samples;
  const rssOf = (x: Sample | undefined): number | null => x?.exporter.rss ?? null;
  const growth = (a: Sample | undefined, b: Sample | undefined): string => {
    const [x, y] = [rssOf(a), rssOf(b)];
    return signedPct(x && y ? (y - x) / x : null);
  };
  const ratio = (x: Sample | undefined): number | null => (x?.exporter.rss && x.floor.rss ? x.exporter.rss / x.floor.rss : null);
  const fmtRatio = (r: number | null): string => (r === null ? '–' : `${r.toFixed(2)}x`);
  // One row a minute, the first reading and the last included.
  const minute = (x: Sample, i: number): boolean =>
    i === 0 || i === s.length - 1 || Math.floor(x.elapsedS / 60) > Math.floor((s[i - 1]?.elapsedS ?? 0) / 60);
  const rows = s
    .filter(minute)
    .map((x) => [
      x.elapsedS.toFixed(0),
      count(x.polls),
      fmtMiB(x.exporter.rss),
      fmtMiB(x.exporter.anon),
      fmtMiB(x.exporter.file),
      fmtMiB(x.floor.rss),
      fmtMiB(x.floor.anon),
      fmtMiB(x.floor.file),
      fmtRatio(ratio(x)),
    ]);
  // Settled: from its 2,000th poll on, as the soak's warm-up (or from the middle of a shorter run).
  const warm = s.findIndex((x) => (x.polls ?? 0) >= 2000);
  const settled = s.slice(warm >= 0 && warm < s.length - 1 ? warm : Math.floor(s.length / 2));
  const rss = settled.map((x) => x.exporter.rss ?? Number.NaN);
  const [lo, hi] = [Math.min(...rss), Math.max(...rss)];
  const end = s.at(-1);
  const endRatio = ratio(end);
  const verdict = endRatio === null ? 'no reading' : endRatio <= TARGET_RATIO ? 'within the target' : 'NOT within the target';
  const h = p.heapAtEnd;
  const heapRow = (label: string, key: 'heapTotal' | 'heapUsed' | 'external'): string[] => [
    label,
    fmtMiB(h.exporter[key]),
    fmtMiB(h.floor[key]),
  ];
  return [
    `\`node ${p.nodeFlags.map((f) => `${f} `).join('')}dist/main.js --poll.interval=100ms\` with \`MALLOC_ARENA_MAX=2\` for ${p.durationS} s, ` +
      `${p.runningContainers} containers running throughout and ${p.churnWorkers} loops of \`docker run --rm rig/busybox true\`, \`/metrics\` every ${SCRAPE_S} s, RSS every ${SAMPLE_S} s. ` +
      "Beside it, in the same run, the floor: fastify serving prom-client's default metrics and nothing else (`bench/lib/rss-floor.ts`), same node flags and environment, scraped on the same schedule.",
    '',
    mdTable(['s', 'polls', 'RSS (MiB)', 'anon', 'file', 'floor RSS', 'floor anon', 'floor file', 'RSS / floor'], rows),
    '',
    mdTable(
      ['', 'value'],
      [
        [
          `**RSS at the end against the floor's** (target ≤ ${TARGET_RATIO.toFixed(2)}x)`,
          `**${fmtMiB(end?.exporter.rss)} / ${fmtMiB(end?.floor.rss)} MiB = ${fmtRatio(endRatio)}: ${verdict}**`,
        ],
        ['RSS at the first scrape → at the end', `${fmtMiB(rssOf(s[0]))} → ${fmtMiB(rssOf(end))} MiB (${growth(s[0], end)})`],
        [
          `RSS from ${settled[0]?.elapsedS.toFixed(0) ?? '–'} s (${count(settled[0]?.polls)} polls) to the end (${settled.length} readings)`,
          `${fmtMiB(lo)}–${fmtMiB(hi)} MiB (max ${signedPct((hi - lo) / lo)} over min); ${growth(settled[0], end)} from the first of them to the last`,
        ],
        ['containers run and removed meanwhile', String(p.containersRun)],
        ['scrapes (failed)', `${p.scrapes} (${p.failedScrapes})`],
      ],
    ),
    '',
    'The main isolate at the last scrape, from each process\'s own prom-client metrics (MiB; "heap total" is what V8 holds for its heap, "used" includes garbage not yet collected):',
    '',
    mdTable(
      ['', 'exporter', 'floor'],
      [heapRow('heap total', 'heapTotal'), heapRow('heap used', 'heapUsed'), heapRow('external (Buffers, ArrayBuffers)', 'external')],
    ),
  ];
}

export const exporterRss: Section<Result> = {
  name: 'exporter-rss',
  title: (r) =>
    `The exporter process itself beside a fastify + prom-client floor, ${r.durationS >= 120 ? `${Math.round(r.durationS / 60)} minutes` : `${r.durationS} s`} from its start`,
  run,
  render,
};
