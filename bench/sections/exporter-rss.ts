/**
 * The exporter process as deployed, from its start: main.js's node flags, MALLOC_ARENA_MAX=2 (as the
 * Dockerfile and the systemd unit), --poll.interval=100ms (the fastest the flag allows), against the
 * test rig with containers churned, /metrics scraped every 5 s, RSS from /proc/<pid>/status every
 * 10 s (no forced GC: what an operator's `ps` shows).
 */
import { startEngineRig, startExporter, type EngineRig, type ExporterProcess } from '../../test/support/engine-rig.js';
import type { Context, Section } from '../harness.js';
import { startChurn, type Churn } from '../lib/churn.js';
import { count, fmtMiB, mdTable, signedPct } from '../lib/markdown.js';
import { deployedNodeFlags, httpGet, POLLS, residentMiB, sampleValue, sleep } from '../lib/programs.js';

const SAMPLE_S = 10;
const SCRAPE_S = 5;

type Sample = Result['samples'][number];

type Result = Awaited<ReturnType<typeof run>>;

async function run(ctx: Context) {
  const { 'process-duration-s': durationS, 'churn-workers': churnWorkers } = ctx.opts.num;
  let [rig, exporter, churn] = [null as EngineRig | null, null as ExporterProcess | null, null as Churn | null];
  try {
    const nodeFlags = deployedNodeFlags(ctx.mainJs);
    rig = await startEngineRig();
    const args = ['--poll.interval=100ms', `--docker.host=${rig.dockerHost}`, `--docker.pidfile=${rig.pidfile}`];
    const theExporter = (exporter = await startExporter({ nodeArgs: nodeFlags, args, env: { ...process.env, MALLOC_ARENA_MAX: '2' } }));
    let [scrapes, failedScrapes, polls] = [0, 0, null as number | null];
    const scrape = async (): Promise<void> => {
      scrapes++;
      const r = await httpGet(`${theExporter.url}/metrics`, undefined, 5_000).catch(() => null);
      if (r?.status !== 200) failedScrapes++;
      else polls = sampleValue(r.body, POLLS);
    };
    await scrape();
    const t0 = performance.now();
    const samples: Array<{ elapsedS: number; polls: number | null } & Record<'rssMiB' | 'rssAnonMiB' | 'rssFileMiB', number | null>> = [];
    const elapsed = (): number => (performance.now() - t0) / 1000;
    const sample = (): void => {
      const m = residentMiB(theExporter.pid);
      samples.push({ elapsedS: elapsed(), polls, rssMiB: m.rss, rssAnonMiB: m.anon, rssFileMiB: m.file });
    };
    sample();
    churn = startChurn(rig, churnWorkers);
    ctx.log(`exporter-rss: ${durationS} s at --poll.interval=100ms, /metrics every ${SCRAPE_S} s, RSS every ${SAMPLE_S} s`);
    for (let nextScrape = SCRAPE_S, nextSample = SAMPLE_S; elapsed() < durationS; await sleep(100)) {
      if (elapsed() >= nextScrape) await scrape().then(() => (nextScrape += SCRAPE_S));
      if (elapsed() < nextSample) continue;
      sample();
      nextSample += SAMPLE_S;
      if (samples.length % 6 === 0)
        ctx.log(`exporter-rss: ${elapsed().toFixed(0)} s, ${polls ?? '?'} polls, rss ${fmtMiB(samples.at(-1)?.rssMiB)} MiB`);
    }
    await scrape();
    sample();
    await churn.stop();
    return { durationS, churnWorkers, nodeFlags, samples, containersRun: churn.run, scrapes, failedScrapes };
  } finally {
    await churn?.stop();
    await exporter?.stop();
    await rig?.stop();
  }
}

function render(p: Result): string[] {
  const s = p.samples;
  const growth = (a: Sample | undefined, b: Sample | undefined): string =>
    signedPct(a?.rssMiB && b?.rssMiB ? (b.rssMiB - a.rssMiB) / a.rssMiB : null);
  // One row a minute, the first reading and the last included.
  const minute = (x: Sample, i: number): boolean =>
    i === 0 || i === s.length - 1 || Math.floor(x.elapsedS / 60) > Math.floor((s[i - 1]?.elapsedS ?? 0) / 60);
  const rows = s
    .filter(minute)
    .map((x) => [x.elapsedS.toFixed(0), count(x.polls), fmtMiB(x.rssMiB), fmtMiB(x.rssAnonMiB), fmtMiB(x.rssFileMiB)]);
  // Settled: from its 2,000th poll on, as the soak's warm-up (or from the middle of a shorter run).
  const warm = s.findIndex((x) => (x.polls ?? 0) >= 2000);
  const settled = s.slice(warm >= 0 && warm < s.length - 1 ? warm : Math.floor(s.length / 2));
  const rss = settled.map((x) => x.rssMiB ?? Number.NaN);
  const [lo, hi] = [Math.min(...rss), Math.max(...rss)];
  return [
    `\`node ${p.nodeFlags.map((f) => `${f} `).join('')}dist/main.js --poll.interval=100ms\` with \`MALLOC_ARENA_MAX=2\` for ${p.durationS} s, ` +
      `${p.churnWorkers} loops of \`docker run --rm rig/busybox true\`, \`/metrics\` every ${SCRAPE_S} s, RSS every ${SAMPLE_S} s:`,
    '',
    mdTable(['s', 'polls', 'RSS (MiB)', 'anon', 'file'], rows),
    '',
    mdTable(
      ['', 'value'],
      [
        ['RSS at the first scrape → at the end', `${fmtMiB(s[0]?.rssMiB)} → ${fmtMiB(s.at(-1)?.rssMiB)} MiB (${growth(s[0], s.at(-1))})`],
        [
          `RSS from ${settled[0]?.elapsedS.toFixed(0) ?? '–'} s (${count(settled[0]?.polls)} polls) to the end (${settled.length} readings)`,
          `${fmtMiB(lo)}–${fmtMiB(hi)} MiB (max ${signedPct((hi - lo) / lo)} over min); ${growth(settled[0], s.at(-1))} from the first of them to the last`,
        ],
        ['containers run and removed meanwhile', String(p.containersRun)],
        ['scrapes (failed)', `${p.scrapes} (${p.failedScrapes})`],
      ],
    ),
  ];
}

export const exporterRss: Section<Result> = { name: 'exporter-rss', title: () => 'The exporter process itself, from its start', run, render };
