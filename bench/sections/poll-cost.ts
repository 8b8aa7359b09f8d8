/**
 * One look at the process table against the host's process count: the C floor (bench/c/scan-floor.c),
 * scanProcfs() on this thread, the procfs source (the same scan in its worker, with the round trip),
 * Debian's process-exporter (it reads /proc on every scrape: one look is one GET /metrics), then the
 * ps-list source. The first four take turns in rounds, each column pooling its rounds, so that load
 * coming and going weighs on all alike. Event-loop stalls: the longest delay of a 1 ms timer here.
 */
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createProcfsScratch, scanProcfs } from '../../src/sources/procfs/scan-procfs.js';
import { createProcfsSource } from '../../src/sources/procfs/procfs-source.js';
import { createEngineScanState, scanEngine, YOUNG_SECONDS } from '../../src/sources/procfs/rooted-scan.js';
import { createPsListSource } from '../../src/sources/ps-list/ps-list-source.js';
import type { Context, Section } from '../harness.js';
import { countProcesses, runScanFloor, withProcesses } from '../lib/c-tools.js';
import { count, fmtMiB, fmtMs, fmtRatio, mdTable, medP90 } from '../lib/markdown.js';
import { httpGet, PROCESS_EXPORTER, processCpuMs, programVersion, residentMiB, sleep, startProgram, type Program } from '../lib/programs.js';
import { repeat, summarize, type Summary } from '../lib/stats.js';

type Result = Awaited<ReturnType<typeof run>>;
type Row = Result['rows'][number];

/** The six components as process-exporter's comm matchers (comm is cut to 15 bytes: containerd-shim). */
const COMMS = ['dockerd', 'containerd', 'containerd-shim', 'runc', 'docker-proxy', 'docker-init'];

async function loopMax<T>(fn: () => Promise<T>): Promise<[T, number]> {
  // A fresh histogram each time: a re-enabled one counts the time it was off.
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const r = await fn();
  h.disable();
  return [r, h.max / 1e6];
}

async function run(ctx: Context) {
  const { rounds, 'per-round': perRound, 'pslist-polls': psListPolls, 'candidates-per-mille': perMille } = ctx.opts.num;
  const scanOpts = { procfsPath: '/proc', pidfilePath: null };
  const bins = ctx.bins();
  let pe: Program | null = null;
  let peStartMs: number | null = null;
  if (existsSync(PROCESS_EXPORTER)) {
    const config = path.join(ctx.workDir, 'process-exporter.yml');
    writeFileSync(config, `process_names:\n${COMMS.map((c) => `  - name: "${c}"\n    comm: ["${c}"]\n`).join('')}`);
    const t0 = performance.now();
    const args = (port: number): string[] => ['-config.path', config, '-web.listen-address', `127.0.0.1:${port}`];
    pe = await startProgram(PROCESS_EXPORTER, args, path.join(ctx.workDir, 'process-exporter.log'));
    peStartMs = performance.now() - t0;
  } else ctx.log(`poll-cost: ${PROCESS_EXPORTER} not installed, no process-exporter column`);
  const scratch = createProcfsScratch();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const rows = [];
  try {
    for (const size of ctx.opts.sizes) {
      const log = (line: string): void => ctx.log(`poll-cost ${size}: ${line}`);
      const { result, notes } = await withProcesses(bins, size, perMille, log, async (spawned) => {
        // Fresh roots for each size (its first scan is full), measured once the new processes are no longer young.
        const [worker, state] = [createProcfsSource(scanOpts), createEngineScanState()];
        const rooted = (): unknown => scanEngine({ ...scanOpts, fullIntervalMs: 3_600_000 }, scratch, state);
        if (spawned > 0) await sleep((YOUNG_SECONDS + 1) * 1000);
        const peUrl = pe ? `${pe.url}/metrics` : null;
        const peGet = async (): Promise<number> => {
          const r = await httpGet(peUrl!, agent, 120_000);
          if (r.status !== 200) throw new Error(`process-exporter answered ${r.status}`);
          return r.ms;
        };
        const first = peUrl && size !== 'host' ? await peGet() : null;
        const [, stallIdleMs] = await loopMax(() => sleep(1_000));
        // Unmeasured: the worker's start, the JIT, the dentry cache, process-exporter's pass over new pids.
        for (let i = 0; i < 3; i++) {
          scanProcfs(scanOpts, scratch);
          rooted();
          await worker.scan();
          if (peUrl) await peGet();
        }
        const looks = (): number[] => [];
        const s = {
          floor: looks(),
          floorCpu: looks(),
          sync: looks(),
          syncCpu: looks(),
          rooted: looks(),
          rootedCpu: looks(),
          worker: looks(),
          pe: looks(),
        };
        let [candidates, peCpu, stallWorkerMs] = [0, 0, 0];
        const processes = countProcesses();
        log(`${processes} processes: ${rounds} rounds of ${perRound} looks per column`);
        for (let round = 0; round < rounds; round++) {
          const f = await runScanFloor(bins.scanFloor, perRound);
          s.floor.push(...f.samples_us.map((us) => us / 1000));
          s.floorCpu.push(...f.cpu_samples_us.map((us) => us / 1000));
          candidates = f.candidates;
          const direct = await repeat(() => scanProcfs(scanOpts, scratch), perRound);
          s.sync.push(...direct.wall);
          s.syncCpu.push(...direct.cpu);
          const fast = await repeat(rooted, perRound);
          [s.rooted, s.rootedCpu].forEach((a, i) => a.push(...(i ? fast.cpu : fast.wall)));
          const [viaWorker, stall] = await loopMax(() => repeat(() => worker.scan(), perRound));
          s.worker.push(...viaWorker.wall);
          stallWorkerMs = Math.max(stallWorkerMs, stall);
          if (pe) {
            const c0 = processCpuMs(pe.pid);
            for (let i = 0; i < perRound; i++) s.pe.push(await peGet());
            peCpu += processCpuMs(pe.pid) - c0;
          }
        }
        await worker.close();
        let psList: Summary | null = null;
        let stallPsListMs: number | null = null;
        if (psListPolls > 0) {
          const source = createPsListSource({ pidfilePath: null });
          try {
            await source.scan();
            const [samples, stall] = await loopMax(() => repeat(() => source.scan(), psListPolls, 20_000));
            [psList, stallPsListMs] = [summarize(samples.wall), stall];
          } finally {
            await source.close();
          }
        }
        return {
          size,
          processes,
          candidates, // processes whose comm is a candidate (full reads), as the C floor counted them
          floor: summarize(s.floor),
          floorCpu: summarize(s.floorCpu),
          sync: summarize(s.sync),
          syncCpu: summarize(s.syncCpu),
          rooted: summarize(s.rooted),
          rootedCpu: summarize(s.rootedCpu),
          worker: summarize(s.worker),
          psList,
          processExporter: pe ? summarize(s.pe) : null,
          processExporterCpuMs: pe ? peCpu / s.pe.length : null, // from its /proc/PID/stat over all measured scrapes
          processExporterFirstMs: first, // it reads every new process once
          processExporterRssMiB: pe ? residentMiB(pe.pid).rss : null,
          // Longest event-loop stall, ms: 1 s of doing nothing (the machine's noise), the worker source polling, ps-list polling.
          stallIdleMs,
          stallWorkerMs,
          stallPsListMs,
          notes: [] as string[],
        };
      });
      rows.push({ ...result, notes });
    }
  } finally {
    agent.destroy();
    await pe?.stop();
  }
  return {
    rounds,
    perRound,
    psListPolls,
    rows,
    processExporterVersion: pe ? programVersion(PROCESS_EXPORTER) : null,
    processExporterStartMs: peStartMs,
  };
}

const LOOKS = [
  'processes',
  'candidates',
  'C floor',
  'procfs scan (sync)',
  'rooted scan (sync)',
  'procfs source (worker, rooted)',
  'ps-list source',
  'process-exporter GET /metrics',
];
const RATIOS = [
  'sync / C',
  'rooted / C',
  'worker / C',
  'ps-list / C',
  'process-exporter / procfs source',
  'process-exporter / C',
  'sync / C, CPU time',
  'rooted / C, CPU time',
];

function render(r: Result): string[] {
  const label = (row: Row): string => `${count(row.processes)}${row.size === 'host' ? ' (host)' : ''}`;
  const stalls = (row: Row): string => [row.stallIdleMs, row.stallWorkerMs, row.stallPsListMs].map(fmtMs).join(' / ');
  // The looks of each column, then the ratios of their medians, in the headers' order.
  const times = r.rows.map((row) => {
    const looks = [row.floor, row.sync, row.rooted, row.worker, row.psList, row.processExporter];
    const ratio = (a: Summary | null, b: Summary): string => fmtRatio(a?.median, b.median);
    const pe = [ratio(row.processExporter, row.worker), ratio(row.processExporter, row.floor)];
    const cpu = [ratio(row.syncCpu, row.floorCpu), ratio(row.rootedCpu, row.floorCpu)];
    const ratios = [...[row.sync, row.rooted, row.worker, row.psList].map((a) => ratio(a, row.floor)), ...pe, ...cpu];
    return [label(row), String(row.candidates), ...looks.map(medP90), ...ratios, stalls(row)];
  });
  const out = [
    `Milliseconds, median (p90) of ${r.rounds * r.perRound} looks per column (${r.rounds} rounds in which the columns take turns, ` +
      `${r.perRound} looks each)${r.psListPolls > 0 ? `; ps-list up to ${r.psListPolls} polls after them` : ''}.` +
      (r.processExporterVersion ? ` process-exporter: Debian's prometheus-process-exporter ${r.processExporterVersion}.` : ''),
    '',
    mdTable([...LOOKS, ...RATIOS, 'event loop stall, max: idle / worker / ps-list'], times),
  ];
  if (r.processExporterVersion) {
    const rows = r.rows.map((row) => {
      const [cpu, first, rss] = [row.processExporterCpuMs, row.processExporterFirstMs, row.processExporterRssMiB];
      return [label(row), `${fmtMs(row.syncCpu.mean)} / ${fmtMs(cpu)}`, fmtRatio(cpu, row.syncCpu.mean), fmtMs(first), fmtMiB(rss)];
    });
    const pe = 'process-exporter';
    const headers = [`CPU ms per look: procfs scan / ${pe}`, `${pe} / procfs, CPU`, `${pe} first scrape after the processes appeared (ms)`];
    out.push(
      '',
      mdTable(['processes', ...headers, `${pe} RSS (MiB)`], rows),
      '',
      `process-exporter took ${fmtMs(r.processExporterStartMs)} ms from its start to its first answer (it reads every process before it listens).`,
    );
  }
  out.push(...r.rows.flatMap((row) => row.notes.map((n) => `- ${label(row)}: ${n}`)));
  return out;
}

export const pollCost: Section<Result> = { name: 'poll-cost', title: () => 'Cost of one poll against the process count', run, render };
