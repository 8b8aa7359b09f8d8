/**
 * Issue 6, benchmark 3b: the exporter process itself, as deployed, from its start. The in-process soak
 * (memory-soak.ts) reaches 100,000 polls by polling back to back, far faster than the exporter ever
 * does; this runs `node --max-semi-space-size=2 dist/main.js --poll.interval=100ms` (the node flags of
 * main.js's shebang; the fastest interval the flag allows) with MALLOC_ARENA_MAX=2 (as the Dockerfile
 * and the systemd unit set it) against the test rig, with
 * containers churned the whole time and /metrics scraped every `scrapeS` seconds, and reads the
 * process's RSS from /proc/<pid>/status every `sampleS` seconds from the first answered scrape on.
 */
import { startEngineRig, startExporter, type EngineRig, type ExporterProcess } from '../test/support/engine-rig.js';
import { fileURLToPath } from 'node:url';
import { startContainerChurn, type ContainerChurn } from './container-churn.js';
import { deployedNodeFlags, httpGet, residentMiB, sampleValue, sleep } from './issue6-common.js';

export interface ExporterRssOptions {
  durationS: number;
  sampleS: number;
  scrapeS: number;
  churnWorkers: number;
}

export const DEFAULT_EXPORTER_RSS_OPTIONS: ExporterRssOptions = { durationS: 300, sampleS: 10, scrapeS: 5, churnWorkers: 2 };

export interface RssSample {
  elapsedS: number;
  polls: number | null;
  rssMiB: number;
  rssAnonMiB: number | null;
  rssFileMiB: number | null;
}

export interface ExporterRssResult {
  options: ExporterRssOptions;
  nodeFlags: string[];
  samples: RssSample[];
  containersRun: number;
  scrapes: number;
  failedScrapes: number;
}

const POLLS = 'docker_engine_exporter_poll_duration_seconds_count';

export async function runExporterRss(opts: ExporterRssOptions, log: (line: string) => void): Promise<ExporterRssResult> {
  let rig: EngineRig | null = null;
  let exporter: ExporterProcess | null = null;
  let churn: ContainerChurn | null = null;
  try {
    const nodeFlags = deployedNodeFlags(fileURLToPath(new URL('../../dist/main.js', import.meta.url)));
    log('exporter-rss: starting the engine rig');
    rig = await startEngineRig();
    const theRig = rig;
    exporter = await startExporter({
      nodeArgs: nodeFlags,
      args: ['--poll.interval=100ms', `--docker.host=${rig.dockerHost}`, `--docker.pidfile=${rig.pidfile}`],
      env: { ...process.env, MALLOC_ARENA_MAX: '2' },
    });
    const theExporter = exporter;
    let scrapes = 0;
    let failedScrapes = 0;
    let lastPolls: number | null = null;
    const scrape = async (): Promise<void> => {
      scrapes++;
      try {
        const r = await httpGet(`${theExporter.url}/metrics`, undefined, 5_000);
        if (r.status !== 200) failedScrapes++;
        lastPolls = sampleValue(r.body, POLLS);
      } catch {
        failedScrapes++;
      }
    };
    await scrape();
    const t0 = performance.now();
    const samples: RssSample[] = [];
    const sample = (): void => {
      const m = residentMiB(theExporter.pid);
      samples.push({ elapsedS: (performance.now() - t0) / 1000, polls: lastPolls, rssMiB: m.rss ?? Number.NaN, rssAnonMiB: m.anon, rssFileMiB: m.file });
    };
    sample();

    const theChurn = (churn = startContainerChurn(theRig, opts.churnWorkers));
    log(`exporter-rss: ${opts.durationS} s at --poll.interval=100ms, /metrics every ${opts.scrapeS} s, RSS every ${opts.sampleS} s`);
    let nextScrape = opts.scrapeS;
    let nextSample = opts.sampleS;
    while (true) {
      const now = (performance.now() - t0) / 1000;
      if (now >= opts.durationS) break;
      if (now >= nextScrape) {
        await scrape();
        nextScrape += opts.scrapeS;
      }
      if (now >= nextSample) {
        sample();
        nextSample += opts.sampleS;
        if (samples.length % 6 === 0) log(`exporter-rss: ${now.toFixed(0)} s, ${lastPolls ?? '?'} polls, rss ${samples.at(-1)?.rssMiB.toFixed(1)} MiB`);
      }
      await sleep(100);
    }
    await scrape();
    sample();
    await theChurn.stop();
    return { options: opts, nodeFlags, samples, containersRun: theChurn.run, scrapes, failedScrapes };
  } finally {
    await churn?.stop();
    await exporter?.stop();
    await rig?.stop();
  }
}
