/**
 * Issue 6, benchmark 1: the cost of one poll against the host's process count, ours beside Debian's
 * prometheus-process-exporter configured for the same six names. process-exporter reads /proc on every
 * scrape (it has no poller of its own), so its cost of one look is the time of one GET /metrics.
 *
 * At each size (the host's own count, then idle processes of bench/c/spawn-idle.c up to 2,000 and
 * 10,000) the C floor (bench/c/scan-floor.c), scanProcfs() on this thread, the exporter's procfs
 * source (the same scan in its worker) and a GET /metrics of process-exporter take turns in rounds,
 * and each column pools its rounds: load from elsewhere that comes and goes weighs on all alike.
 * CPU time: ours from process.cpuUsage() around each direct scan, process-exporter's from its
 * /proc/PID/stat (utime + stime) over all its measured scrapes, divided by their number.
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createProcfsScratch, scanProcfs } from '../src/sources/procfs/scan-procfs.js';
import { createProcfsSource } from '../src/sources/procfs/procfs-source.js';
import { countProcesses, IdleProcesses, runScanFloor, waitGroupGone, type CBinaries } from './c-tools.js';
import { ExternalProgram, PROCESS_EXPORTER, httpGet, programVersion, seriesCount, trackForExit, untrack, waitHttpOk } from './issue6-common.js';
import { repeat, summarize, type Summary } from './stats.js';

/** The six components, as process-exporter's comm matchers (comm is cut to 15 bytes: containerd-shim). */
export const SIX_COMMS = ['dockerd', 'containerd', 'containerd-shim', 'runc', 'docker-proxy', 'docker-init'] as const;

export function processExporterConfig(): string {
  const lines = ['# The six components of the Docker engine, by comm (bench/compare-process-exporter.ts).', 'process_names:'];
  for (const comm of SIX_COMMS) lines.push(`  - name: "${comm}"`, '    comm:', `      - "${comm}"`);
  return `${lines.join('\n')}\n`;
}

export interface PollCostRow {
  label: string;
  processes: number;
  idleSpawned: number;
  floor: Summary;
  sync: Summary;
  worker: Summary;
  processExporter: Summary;
  /** Mean CPU time (user + system) per look, ms. */
  floorCpuMs: number;
  syncCpuMs: number;
  processExporterCpuMs: number;
  /** process-exporter's first scrape after the idle processes appeared (it reads every new process once). */
  processExporterFirstMs: number | null;
  processExporterSeries: number;
  processExporterRssMiB: number;
}

export interface PollCostResult {
  rows: PollCostRow[];
  rounds: number;
  perRound: number;
  processExporterStartMs: number;
  processExporterVersion: string;
  notes: string[];
}

export interface PollCostOptions {
  sizes: Array<number | 'host'>;
  rounds: number;
  /** Measured looks per round and per column. */
  perRound: number;
  bins: CBinaries;
  workDir: string;
  candidatesPerMille: number;
  log: (line: string) => void;
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

export async function measurePollCost(opts: PollCostOptions): Promise<PollCostResult> {
  const scanOpts = { procfsPath: '/proc', pidfilePath: null };
  const configPath = path.join(opts.workDir, 'process-exporter.yml');
  writeFileSync(configPath, processExporterConfig());
  const notes: string[] = [];
  const t0 = performance.now();
  const pe = await ExternalProgram.start(
    'process-exporter',
    PROCESS_EXPORTER,
    (port) => ['-config.path', configPath, '-web.listen-address', `127.0.0.1:${port}`],
    path.join(opts.workDir, 'process-exporter.log'),
  );
  const rows: PollCostRow[] = [];
  const worker = createProcfsSource(scanOpts);
  const scratch = createProcfsScratch();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let version = '';
  try {
    await waitHttpOk(`${pe.baseUrl}/metrics`, 60_000, () => pe.exited(), 'process-exporter');
    const startMs = performance.now() - t0;
    version = programVersion(PROCESS_EXPORTER);
    for (const size of opts.sizes) {
      const label = size === 'host' ? 'host' : size.toLocaleString('en-US');
      let idle: IdleProcesses | null = null;
      try {
        if (size !== 'host') {
          const need = size - countProcesses();
          if (need <= 0) notes.push(`${label}: the host already ran ${countProcesses()} processes; measured as it was`);
          else {
            const candidates = Math.round((need * opts.candidatesPerMille) / 1000);
            opts.log(`poll cost ${label}: starting ${need} idle processes (${candidates} named containerd-shim)`);
            idle = await IdleProcesses.start(opts.bins.spawnIdle, need, candidates);
            trackForExit(idle);
          }
        }
        const metricsUrl = `${pe.baseUrl}/metrics`;
        const first = size === 'host' ? null : (await httpGet(metricsUrl, agent, 120_000)).ms;
        // Unmeasured: JIT, dentry cache, the worker's start, process-exporter's pass over new pids.
        for (let i = 0; i < 3; i++) {
          scanProcfs(scanOpts, scratch);
          await worker.scan();
          await httpGet(metricsUrl, agent, 60_000);
        }
        const floor: number[] = [];
        const floorCpu: number[] = [];
        const sync: number[] = [];
        const syncCpu: number[] = [];
        const work: number[] = [];
        const peMs: number[] = [];
        let peCpuMs = 0;
        let peScrapes = 0;
        let lastBody = '';
        const processes = countProcesses();
        opts.log(`poll cost ${label} (${processes} processes): ${opts.rounds} rounds of ${opts.perRound} looks per column`);
        const r = { warmup: 0, iterations: opts.perRound, budgetMs: 60_000, minIterations: opts.perRound };
        for (let round = 0; round < opts.rounds; round++) {
          const f = await runScanFloor(opts.bins.scanFloor, { ...scanOpts, iterations: opts.perRound, warmup: 1 });
          floor.push(...f.samples_us.map((us) => us / 1000));
          floorCpu.push(...f.cpu_samples_us.map((us) => us / 1000));
          const s = await repeat(() => scanProcfs(scanOpts, scratch), r);
          sync.push(...s.wall);
          syncCpu.push(...s.cpu);
          work.push(...(await repeat(() => worker.scan(), r)).wall);
          const c0 = pe.cpuMs();
          for (let i = 0; i < opts.perRound; i++) {
            const res = await httpGet(metricsUrl, agent, 60_000);
            if (res.status !== 200) throw new Error(`process-exporter answered ${res.status}`);
            peMs.push(res.ms);
            lastBody = res.body;
          }
          peCpuMs += pe.cpuMs() - c0;
          peScrapes += opts.perRound;
        }
        rows.push({
          label,
          processes,
          idleSpawned: idle?.children ?? 0,
          floor: summarize(floor),
          sync: summarize(sync),
          worker: summarize(work),
          processExporter: summarize(peMs),
          floorCpuMs: mean(floorCpu),
          syncCpuMs: mean(syncCpu),
          processExporterCpuMs: peCpuMs / peScrapes,
          processExporterFirstMs: first,
          processExporterSeries: seriesCount(lastBody),
          processExporterRssMiB: pe.rssBytes() / 2 ** 20,
        });
      } finally {
        if (idle) {
          await idle.stop();
          untrack(idle);
          const left = await waitGroupGone(idle.pid, 10_000);
          if (left > 0) notes.push(`${label}: ${left} idle processes left behind after the reap`);
        }
      }
    }
    return { rows, rounds: opts.rounds, perRound: opts.perRound, processExporterStartMs: startMs, processExporterVersion: version, notes };
  } finally {
    agent.destroy();
    await worker.close();
    await pe.stop();
  }
}
