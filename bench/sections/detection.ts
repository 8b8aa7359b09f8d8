/**
 * Detection of containerd restarts on the test rig, `--kills` in a row: `kill -9` of its containerd
 * (dockerd restarts it ~10 s later), then GET /metrics of the exporter (--poll.interval=1s) every 50 ms
 * until containerd's up is 0; the next kill `--settle-ms` after it shows the new one up. Beside it, what
 * operators run today: Debian's Prometheus scraping Debian's process-exporter (for this rig's
 * containerd only, by its command line), asked at the end to count the restarts with changes().
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startEngineRig, startExporter, type EngineRig, type ExporterProcess } from '../../test/support/engine-rig.js';
import type { Context, Section } from '../harness.js';
import { fmtMs, mdTable } from '../lib/markdown.js';
import { startPrometheus, type PrometheusProcess } from '../../test/support/prometheus.js';
import { httpGet, PROCESS_EXPORTER, programVersion, PROMETHEUS, sampleValue, sleep, startProgram, type Program } from '../lib/programs.js';
import { summarize } from '../lib/stats.js';

type Result = Awaited<ReturnType<typeof run>>;

const UP = 'docker_engine_component_up{component="containerd"}';
const RESTARTS = 'docker_engine_component_restarts_total{component="containerd"}';
const START_TIME = 'namedprocess_namegroup_oldest_start_time_seconds{groupname="containerd"}';

type PromAnswer = { data: { result: Array<{ value?: [number, string]; values?: Array<[number, string]> }> } };

async function promQuery(base: string, query: string, timeS: number): Promise<PromAnswer> {
  const r = await httpGet(`${base}/api/v1/query?query=${encodeURIComponent(query)}&time=${timeS}`, undefined, 10_000);
  if (r.status !== 200) throw new Error(`Prometheus query ${query} answered ${r.status}: ${r.body.slice(0, 300)}`);
  return JSON.parse(r.body) as PromAnswer;
}
const scalar = (v: PromAnswer): number | null => (v.data.result[0]?.value?.[1] === undefined ? null : Number(v.data.result[0].value[1]));

async function run(ctx: Context) {
  const { kills, 'scrape-interval': intervalS, 'settle-ms': settleMs } = ctx.opts.num;
  const started = performance.now();
  const notes: string[] = [];
  const log = (line: string): void => ctx.log(`detection: ${line}`);
  let [rig, exporter] = [null as EngineRig | null, null as ExporterProcess | null];
  let [pe, prom] = [null as Program | null, null as PrometheusProcess | null];
  const promDir = path.join(ctx.workDir, `prometheus-${Date.now()}`);
  try {
    const theRig = (rig = await startEngineRig({ noImage: true }));
    exporter = await startExporter({ args: ['--poll.interval=1s', `--docker.host=${rig.dockerHost}`, `--docker.pidfile=${rig.pidfile}`] });
    const metricsUrl = `${exporter.url}/metrics`;
    const body = async (): Promise<string> => (await httpGet(metricsUrl, undefined, 5_000)).body;
    await theRig.waitFor('the exporter to show containerd up', async () => sampleValue(await body(), UP) === 1, 30_000);

    const peConfig = path.join(ctx.workDir, 'process-exporter-containerd.yml');
    const rigDir = rig.dir.replace(/[.]/g, '\\.');
    writeFileSync(peConfig, `process_names:\n  - name: "containerd"\n    comm: ["containerd"]\n    cmdline: ['${rigDir}/']\n`);
    const peArgs = (port: number): string[] => ['-config.path', peConfig, '-web.listen-address', `127.0.0.1:${port}`];
    pe = await startProgram(PROCESS_EXPORTER, peArgs, path.join(ctx.workDir, 'process-exporter-containerd.log'));
    const promConfig = path.join(ctx.workDir, 'prometheus.yml');
    writeFileSync(
      promConfig,
      `global:\n  scrape_interval: ${intervalS}s\n  scrape_timeout: ${Math.min(10, intervalS)}s\n` +
        `scrape_configs:\n  - job_name: process-exporter\n    static_configs:\n      - targets: ['127.0.0.1:${pe.port}']\n`,
    );
    const theProm = (prom = await startPrometheus({ configFile: promConfig, dir: promDir, readyTimeoutMs: 60_000 }));
    const promStartS = Date.now() / 1000;
    log('waiting for Prometheus to scrape process-exporter once');
    await theRig.waitFor(
      "a first sample of containerd's start time in Prometheus",
      async () => (scalar(await promQuery(theProm.url, START_TIME, Date.now() / 1000)) ?? 0) > 0,
      intervalS * 3000,
    );

    const restartsBefore = sampleValue(await body(), RESTARTS) ?? 0;
    const [detection, restartDelay] = [[] as number[], [] as number[]];
    for (let i = 0; i < kills; i++) {
      const pid = theRig.containerdPid();
      if (pid === null) throw new Error('no containerd to kill');
      const t0 = performance.now();
      process.kill(pid, 'SIGKILL');
      // /metrics every 50 ms (from the start of one request to the start of the next) until up=0.
      let seenMs: number | null = null;
      while (seenMs === null && performance.now() - t0 < 15_000) {
        const tick = performance.now();
        if (sampleValue(await body().catch(() => ''), UP) === 0) seenMs = performance.now() - t0;
        else await sleep(Math.max(0, 50 - (performance.now() - tick)));
      }
      if (seenMs === null) notes.push(`kill ${i + 1}: up=0 never seen on /metrics within 15 s`);
      else detection.push(seenMs);
      await theRig.waitFor('dockerd to restart containerd', () => ![null, pid].includes(theRig.containerdPid()), 60_000);
      restartDelay.push(performance.now() - t0);
      const counted = (b: string): boolean => sampleValue(b, UP) === 1 && (sampleValue(b, RESTARTS) ?? 0) >= restartsBefore + i + 1;
      await theRig.waitFor('the exporter to count the restart and show containerd up', async () => counted(await body()), 20_000);
      if (i + 1 < kills) await sleep(settleMs);
      log(`kill ${i + 1}/${kills}: up=0 after ${seenMs?.toFixed(0) ?? '?'} ms`);
    }
    const restartsAfter = sampleValue(await body(), RESTARTS) ?? 0;
    // Let Prometheus scrape the last containerd (two intervals) before asking it.
    await sleep(intervalS * 2000 + 1000);
    const endS = Date.now() / 1000;
    const windowS = Math.ceil(endS - promStartS) + intervalS;
    const query = `changes(${START_TIME}[${windowS}s])`;
    const positiveQuery = `changes((${START_TIME} > 0)[${windowS}s:5s])`;
    const raw = await promQuery(prom.url, `${START_TIME}[${windowS}s]`, endS);
    const values = (raw.data.result[0]?.values ?? []).map(([, v]) => Number(v));
    return {
      kills,
      settleMs,
      detectionMs: summarize(detection), // kill → an answer of /metrics with up=0
      restartDelayMs: summarize(restartDelay), // kill → the new containerd in /proc
      exporterRestarts: restartsAfter - restartsBefore,
      downLogLines: (exporter.logs().match(/msg="component down" component=containerd/g) ?? []).length,
      prometheus: {
        scrapeIntervalS: intervalS,
        query,
        changes: scalar(await promQuery(prom.url, query, endS)),
        positiveQuery, // without the empty group's zero time, reported during an outage
        changesPositiveOnly: scalar(await promQuery(prom.url, positiveQuery, endS)),
        samples: values.length,
        distinctStartTimes: new Set(values.filter((v) => v > 0)).size,
        outageSamples: values.filter((v) => v <= 0).length,
      },
      versions: { processExporter: programVersion(PROCESS_EXPORTER), prometheus: programVersion(PROMETHEUS) },
      durationS: (performance.now() - started) / 1000,
      notes,
    };
  } finally {
    await prom?.stop();
    rmSync(promDir, { recursive: true, force: true });
    await pe?.stop();
    await exporter?.stop();
    await rig?.stop();
  }
}

function render(d: Result): string[] {
  const p = d.prometheus;
  return [
    `${d.kills} kills, the next ${(d.settleMs / 1000).toFixed(1)} s after the exporter showed the new containerd up; Debian's Prometheus ${d.versions.prometheus} ` +
      `(scrape_interval ${p.scrapeIntervalS}s) scraping Debian's process-exporter ${d.versions.processExporter}, asked at the end: \`${p.query}\`.`,
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
          `${d.downLogLines} "component down" log lines`,
          `${p.outageSamples} scrapes landed inside an outage; ${p.distinctStartTimes} distinct start times in ${p.samples} samples`,
        ],
      ],
    ),
    '',
    `dockerd restarted containerd ${fmtMs(d.restartDelayMs.median / 1000)} s after the kill (median; max ${fmtMs(d.restartDelayMs.max / 1000)} s). ` +
      `Without the outage samples: \`${p.positiveQuery}\`. The section took ${d.durationS.toFixed(0)} s.`,
    ...d.notes.map((n) => `- ${n}`),
  ];
}

export const detection: Section<Result> = {
  name: 'detection',
  title: (r) => `Detection of ${r.kills} consecutive \`kill -9\` of containerd`,
  run,
  render,
};
