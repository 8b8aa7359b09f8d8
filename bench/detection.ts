/**
 * Issue 6, benchmark 4: detection of containerd restarts on a real engine (test/support/engine-rig.ts).
 *
 * `kills` times in a row: `kill -9` of the rig's containerd (dockerd restarts it ~10 s later), then
 * GET /metrics of the exporter (`node dist/main.js --poll.interval=1s`) every 50 ms until
 * docker_engine_component_up{component="containerd"} is 0: the time from the kill to that answer.
 * The next kill comes once the new containerd runs and the exporter shows it up again.
 *
 * Beside it, what operators run today: Debian's Prometheus (fresh data directory, scrape_interval 15s)
 * scraping Debian's process-exporter configured for containerd, and counting the restarts with
 * `changes(namedprocess_namegroup_oldest_start_time_seconds{groupname="containerd"}[<the whole run>])`.
 * process-exporter's group is limited to this rig's containerd (its command line names the rig's
 * directory), so other engines on the host do not count.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startEngineRig, startExporter, type EngineRig, type ExporterProcess } from '../test/support/engine-rig.js';
import { ExternalProgram, PROCESS_EXPORTER, PROMETHEUS, httpGet, programVersion, sampleValue, sleep, waitHttpOk } from './issue6-common.js';
import { summarize, type Summary } from './stats.js';

export interface DetectionOptions {
  kills: number;
  workDir: string;
  scrapeIntervalS: number;
  /** Pause after the exporter shows the new containerd up, before the next kill (ms). */
  settleMs: number;
  log: (line: string) => void;
}

export interface DetectionResult {
  kills: number;
  settleMs: number;
  /** Kill → an answer of /metrics with up=0, ms (scraped every 50 ms). */
  detectionMs: Summary;
  detectionSamples: number[];
  /** Kill → the new containerd in /proc (dockerd's restart), ms. */
  restartDelayMs: Summary;
  exporterRestarts: number;
  exporterDownEventsLogged: number;
  prometheus: {
    scrapeIntervalS: number;
    windowS: number;
    query: string;
    changes: number | null;
    /** The raw samples of oldest_start_time over the run, decomposed. */
    samples: number;
    distinctStartTimes: number;
    /** Scrapes that landed inside an outage (the empty group reports Go's zero time, -62135596800). */
    outageSamples: number;
    /** changes() over only the positive values (a subquery without the outage samples). */
    changesPositiveOnly: number | null;
    positiveQuery: string;
  };
  versions: { processExporter: string; prometheus: string };
  durationS: number;
  notes: string[];
}

const UP = 'docker_engine_component_up{component="containerd"}';
const RESTARTS = 'docker_engine_component_restarts_total{component="containerd"}';

interface PromVector {
  status: string;
  data: { resultType: string; result: Array<{ metric: Record<string, string>; value?: [number, string]; values?: Array<[number, string]> }> };
}

async function promQuery(base: string, query: string, timeS: number): Promise<PromVector> {
  const url = `${base}/api/v1/query?query=${encodeURIComponent(query)}&time=${timeS}`;
  const r = await httpGet(url, undefined, 10_000);
  if (r.status !== 200) throw new Error(`Prometheus query ${query} answered ${r.status}: ${r.body.slice(0, 300)}`);
  return JSON.parse(r.body) as PromVector;
}

const scalarOf = (v: PromVector): number | null => {
  const s = v.data.result[0]?.value?.[1];
  return s === undefined ? null : Number(s);
};

export async function measureDetection(opts: DetectionOptions): Promise<DetectionResult> {
  const started = performance.now();
  const notes: string[] = [];
  let rig: EngineRig | null = null;
  let exporter: ExporterProcess | null = null;
  let pe: ExternalProgram | null = null;
  let prom: ExternalProgram | null = null;
  let dataDir: string | null = null;
  try {
    opts.log('detection: starting the engine rig');
    rig = await startEngineRig({ noImage: true });
    const theRig = rig;
    exporter = await startExporter({
      args: ['--poll.interval=1s', `--docker.host=${rig.dockerHost}`, `--docker.pidfile=${rig.pidfile}`],
    });
    const metricsUrl = `${exporter.url}/metrics`;
    const body = async (): Promise<string> => (await httpGet(metricsUrl, undefined, 5_000)).body;
    await theRig.waitFor('the exporter to show containerd up', async () => sampleValue(await body(), UP) === 1, 30_000);

    // process-exporter for this rig's containerd, and Prometheus scraping it.
    const peConfig = path.join(opts.workDir, 'process-exporter-containerd.yml');
    const rigDir = rig.dir.replace(/[.]/g, '\\.');
    writeFileSync(
      peConfig,
      [
        '# containerd of the bench rig only (bench/detection.ts): comm containerd, a command line naming the rig.',
        'process_names:',
        '  - name: "containerd"',
        '    comm:',
        '      - "containerd"',
        '    cmdline:',
        `      - '${rigDir}/'`,
        '',
      ].join('\n'),
    );
    pe = await ExternalProgram.start(
      'process-exporter',
      PROCESS_EXPORTER,
      (port) => ['-config.path', peConfig, '-web.listen-address', `127.0.0.1:${port}`],
      path.join(opts.workDir, 'process-exporter-containerd.log'),
    );
    const peRef = pe;
    await waitHttpOk(`${pe.baseUrl}/metrics`, 60_000, () => peRef.exited(), 'process-exporter');
    const promConfig = path.join(opts.workDir, 'prometheus.yml');
    writeFileSync(
      promConfig,
      [
        'global:',
        `  scrape_interval: ${opts.scrapeIntervalS}s`,
        `  scrape_timeout: ${Math.min(10, opts.scrapeIntervalS)}s`,
        'scrape_configs:',
        '  - job_name: process-exporter',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${pe.port}']`,
        '',
      ].join('\n'),
    );
    dataDir = path.join(opts.workDir, `prometheus-data-${Date.now()}`);
    prom = await ExternalProgram.start(
      'prometheus',
      PROMETHEUS,
      (port) => [
        `--config.file=${promConfig}`,
        `--storage.tsdb.path=${dataDir ?? ''}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1d',
      ],
      path.join(opts.workDir, 'prometheus.log'),
    );
    const promRef = prom;
    const promBase = prom.baseUrl;
    await waitHttpOk(`${promBase}/-/ready`, 60_000, () => promRef.exited(), 'prometheus');
    const promStartS = Date.now() / 1000;
    opts.log('detection: waiting for Prometheus to scrape process-exporter once');
    await theRig.waitFor(
      'a first sample of containerd\'s start time in Prometheus',
      async () => {
        const v = await promQuery(promBase, 'namedprocess_namegroup_oldest_start_time_seconds{groupname="containerd"}', Date.now() / 1000);
        return (scalarOf(v) ?? 0) > 0;
      },
      opts.scrapeIntervalS * 1000 * 3,
    );

    const restartsBefore = sampleValue(await body(), RESTARTS) ?? 0;
    const detection: number[] = [];
    const restartDelay: number[] = [];
    const firstKillS = Date.now() / 1000;
    for (let i = 0; i < opts.kills; i++) {
      const pid = theRig.containerdPid();
      if (pid === null) throw new Error('no containerd to kill');
      const t0 = performance.now();
      process.kill(pid, 'SIGKILL');
      // /metrics every 50 ms (from the start of one request to the start of the next) until up=0.
      let seenMs: number | null = null;
      while (performance.now() - t0 < 15_000) {
        const tick = performance.now();
        const b = await body().catch(() => '');
        if (sampleValue(b, UP) === 0) {
          seenMs = performance.now() - t0;
          break;
        }
        await sleep(Math.max(0, 50 - (performance.now() - tick)));
      }
      if (seenMs === null) notes.push(`kill ${i + 1}: up=0 never seen on /metrics within 15 s`);
      else detection.push(seenMs);
      const newPid = await theRig.waitFor(
        'dockerd to restart containerd',
        () => {
          const p = theRig.containerdPid();
          return p !== null && p !== pid ? p : null;
        },
        60_000,
      );
      restartDelay.push(performance.now() - t0);
      await theRig.waitFor(
        'the exporter to count the restart and show containerd up',
        async () => {
          const b = await body();
          return sampleValue(b, UP) === 1 && (sampleValue(b, RESTARTS) ?? 0) >= restartsBefore + i + 1;
        },
        20_000,
      );
      if (i + 1 < opts.kills) await sleep(opts.settleMs);
      opts.log(`detection: kill ${i + 1}/${opts.kills}: pid ${pid} → ${newPid}, up=0 after ${seenMs?.toFixed(0) ?? '?'} ms`);
    }
    const restartsAfter = sampleValue(await body(), RESTARTS) ?? 0;
    // Let Prometheus scrape the last containerd (two intervals) before asking it.
    await sleep(opts.scrapeIntervalS * 2 * 1000 + 1000);
    const endS = Date.now() / 1000;
    const windowS = Math.ceil(endS - promStartS) + opts.scrapeIntervalS;
    const selector = 'namedprocess_namegroup_oldest_start_time_seconds{groupname="containerd"}';
    const query = `changes(${selector}[${windowS}s])`;
    const changes = scalarOf(await promQuery(promBase, query, endS));
    const positiveQuery = `changes((${selector} > 0)[${windowS}s:5s])`;
    const changesPositiveOnly = scalarOf(await promQuery(promBase, positiveQuery, endS));
    const raw = await promQuery(promBase, `${selector}[${windowS}s]`, endS);
    const values = (raw.data.result[0]?.values ?? []).map(([, v]) => Number(v));
    const downLogged = (exporter.logs().match(/msg="component down" component=containerd/g) ?? []).length;
    if (firstKillS < promStartS) notes.push('the first kill came before Prometheus started');
    return {
      kills: opts.kills,
      settleMs: opts.settleMs,
      detectionMs: summarize(detection),
      detectionSamples: detection,
      restartDelayMs: summarize(restartDelay),
      exporterRestarts: restartsAfter - restartsBefore,
      exporterDownEventsLogged: downLogged,
      prometheus: {
        scrapeIntervalS: opts.scrapeIntervalS,
        windowS,
        query,
        changes,
        samples: values.length,
        distinctStartTimes: new Set(values.filter((v) => v > 0)).size,
        outageSamples: values.filter((v) => v <= 0).length,
        changesPositiveOnly,
        positiveQuery,
      },
      versions: { processExporter: programVersion(PROCESS_EXPORTER), prometheus: programVersion(PROMETHEUS) },
      durationS: (performance.now() - started) / 1000,
      notes,
    };
  } finally {
    await prom?.stop();
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
    await pe?.stop();
    await exporter?.stop();
    await rig?.stop();
  }
}
