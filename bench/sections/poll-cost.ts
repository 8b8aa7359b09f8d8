/**
 * One look at the engine's processes against the host's process count, a test rig's engine (no
 * containers) on the host: the C floor (bench/c/scan-floor.c), the full scan and the rooted scan on
 * this thread, the audit poll (full scan plus the rooted pass it checks), the procfs source (the
 * rooted scan in its worker, with the round trip), Debian's process-exporter and node_exporter (one
 * GET /metrics each), then the ps-list source. They take turns in rounds, each column pooling its
 * rounds, so that load coming and going weighs on all alike. Before the rounds, the shipped exporter
 * watches the rig for a window at 1 s polling: its CPU per poll, all threads, at that process count.
 */
import http from 'node:http';
import { createProcfsScratch, scanProcfs } from '../../src/sources/procfs/scan-procfs.js';
import { createProcfsSource } from '../../src/sources/procfs/procfs-source.js';
import { createEngineScanState, scanEngine, YOUNG_SECONDS } from '../../src/sources/procfs/rooted-scan.js';
import { createPsListSource } from '../../src/sources/ps-list/ps-list-source.js';
import { startEngineRig } from '../../test/support/engine-rig.js';
import type { Context, Section } from '../harness.js';
import { countProcesses, runScanFloor, withProcesses } from '../lib/c-tools.js';
import { look, measureWindow, startNeighbours, startShipped, type Neighbour, type WindowResult } from '../lib/exporter-cpu.js';
import { corePct, count, fmtMs, fmtRatio, mdTable, medP90 } from '../lib/markdown.js';
import { processCpuMs, programVersion, NODE_EXPORTER, PROCESS_EXPORTER, sleep } from '../lib/programs.js';
import { repeat, summarize, type Summary } from '../lib/stats.js';

type Result = Awaited<ReturnType<typeof run>>;
type Row = Result['rows'][number];

/** At 1 s polling and the default --scan.full-interval of 60 s, one poll in 60 is the audit. */
const AUDIT_EVERY = 60;
const HOUR_MS = 3_600_000;

async function run(ctx: Context) {
  const { rounds, 'per-round': perRound, 'pslist-polls': psListPolls, 'candidates-per-mille': perMille, 'window-s': windowS } = ctx.opts.num;
  const bins = ctx.bins();
  const rig = await startEngineRig({ noImage: true });
  const scanOpts = { procfsPath: '/proc', pidfilePath: rig.pidfile };
  // The audit off: these looks are rooted unless something surprises them.
  const rootedOpts = { ...scanOpts, fullIntervalMs: HOUR_MS };
  const scratch = createProcfsScratch();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const rows = [];
  let neighbours: Neighbour[] = [];
  let stopped = null as string | null; // set in a callback: not narrowed to null
  try {
    neighbours = await startNeighbours(ctx.workDir, (line) => ctx.log(`poll-cost: ${line}`));
    for (const size of ctx.opts.sizes) {
      const log = (line: string): void => ctx.log(`poll-cost ${size}: ${line}`);
      const measure = async (spawned: number) => {
        const spawnedAt = performance.now();
        const pe = neighbours.find((n) => n.name === 'process-exporter');
        // process-exporter reads every new process once; the shipped exporter's JIT warms meanwhile.
        const exporter = await startShipped(ctx.mainJs, rig);
        let window: WindowResult;
        let peFirstMs: number | null = null;
        try {
          if (pe && spawned > 0) peFirstMs = await look(`${pe.url}/metrics`);
          // Looks start once the new processes are no longer young (a young child of a root is read every poll).
          await sleep(Math.max(ctx.opts.quick ? 3_000 : 10_000, spawned > 0 ? spawnedAt + (YOUNG_SECONDS + 1) * 1000 - performance.now() : 0));
          log(`the shipped exporter for ${windowS} s`);
          window = await measureWindow(exporter, [], windowS);
        } finally {
          await exporter.stop();
        }
        // A first full scan of 20,000 pids on a saturated machine can take longer than the exporter's 10 s.
        const worker = createProcfsSource({ ...scanOpts, fullIntervalMs: HOUR_MS, scanTimeoutMs: 120_000 });
        const [rootedState, auditState] = [createEngineScanState(), createEngineScanState()];
        // A daemon of another engine on the host that goes away makes a rooted look full: left out, counted.
        let rootedKinds: boolean[] = [];
        const rooted = (): void => void rootedKinds.push(scanEngine(rootedOpts, scratch, rootedState).scan?.kind === 'rooted');
        const audit = (): void => {
          auditState.lastFullMs = Date.now() - HOUR_MS;
          expectScan(scanEngine(rootedOpts, scratch, auditState).scan, 'full', 'audit');
        };
        try {
          [rootedState, auditState].forEach((s) => scanEngine(rootedOpts, scratch, s)); // the first scan is full
          // Unmeasured: the worker's start, the JIT, the dentry cache, the neighbours' first pass.
          for (let i = 0; i < 3; i++) {
            [() => scanProcfs(scanOpts, scratch), rooted, audit].forEach((f) => f());
            await worker.scan();
            for (const n of neighbours) await look(`${n.url}/metrics`, agent);
          }
          const s = Object.fromEntries(COLUMNS.map((c) => [c, { wall: [] as number[], cpu: [] as number[] }])) as Record<Column, Looks>;
          const nb = neighbours.map(() => ({ wall: [] as number[], cpuMs: 0 }));
          let [candidates, surprises] = [0, 0];
          const processes = countProcesses();
          log(`${processes} processes: ${rounds} rounds of ${perRound} looks per column`);
          for (let round = 0; round < rounds; round++) {
            const f = await runScanFloor(bins.scanFloor, perRound);
            s.floor.wall.push(...f.samples_us.map((us) => us / 1000));
            s.floor.cpu.push(...f.cpu_samples_us.map((us) => us / 1000));
            candidates = f.candidates;
            const fns: Record<Exclude<Column, 'floor'>, () => unknown> = {
              full: () => scanProcfs(scanOpts, scratch),
              rooted,
              audit,
              worker: () => worker.scan(),
            };
            for (const [c, fn] of Object.entries(fns) as Array<[Exclude<Column, 'floor'>, () => unknown]>) {
              rootedKinds = [];
              const r = await repeat(fn, perRound);
              const kept = (_: number, i: number): boolean => c !== 'rooted' || rootedKinds[i] === true;
              s[c].wall.push(...r.wall.filter(kept));
              s[c].cpu.push(...r.cpu.filter(kept));
              if (c === 'rooted') surprises += rootedKinds.filter((k) => !k).length;
            }
            for (const [i, n] of neighbours.entries()) {
              const c0 = processCpuMs(n.pid);
              for (let k = 0; k < perRound; k++) nb[i]!.wall.push(await look(`${n.url}/metrics`, agent));
              nb[i]!.cpuMs += processCpuMs(n.pid) - c0;
            }
          }
          let psList: Summary | null = null;
          if (psListPolls > 0) {
            const source = createPsListSource({ pidfilePath: rig.pidfile });
            try {
              await source.scan();
              psList = summarize((await repeat(() => source.scan(), psListPolls, 20_000)).wall);
            } finally {
              await source.close();
            }
          }
          const summaries = Object.fromEntries(COLUMNS.map((c) => [c, { wall: summarize(s[c].wall), cpu: summarize(s[c].cpu) }]));
          return {
            size,
            processes,
            candidates, // processes with a candidate comm (read in full), as the C floor counted them
            ...(summaries as Record<Column, Record<'wall' | 'cpu', Summary>>),
            psList,
            neighbours: neighbours.map((n, i) => ({
              name: n.name,
              wall: summarize(nb[i]!.wall),
              cpuMsPerLook: nb[i]!.cpuMs / nb[i]!.wall.length,
            })),
            peFirstMs,
            surprises,
            exporter: window,
          };
        } finally {
          await worker.close();
        }
      };
      // A size that fails ends the curve there; the sizes before it stay measured.
      const done = await withProcesses(bins, size, perMille, log, measure).catch((err: unknown) => {
        stopped = `at ${size} processes: ${err instanceof Error ? err.message : String(err)}`;
        log(stopped);
        return null;
      });
      if (done === null) break;
      rows.push({ ...done.result, notes: done.notes });
    }
  } finally {
    agent.destroy();
    for (const n of neighbours) await n.stop();
    await rig.stop();
  }
  const versions = Object.fromEntries(
    neighbours.map((n) => [n.name, programVersion(n.name === 'node_exporter' ? NODE_EXPORTER : PROCESS_EXPORTER)]),
  );
  if (rows.length === 0 && stopped !== null) throw new Error(stopped);
  return { rounds, perRound, psListPolls, windowS, perMille, rows, versions, stopped };
}

const COLUMNS = ['floor', 'full', 'rooted', 'audit', 'worker'] as const;
type Column = (typeof COLUMNS)[number];
type Looks = Record<'wall' | 'cpu', number[]>;

/** A look that was not the scan it measures would measure the wrong thing: the section fails instead. */
function expectScan(scan: { kind: string; reason: string | null } | undefined, kind: string, reason: string | null = null): void {
  if (scan?.kind !== kind || scan.reason !== reason)
    throw new Error(`expected a ${kind} scan${reason ? ` (${reason})` : ''}, got ${JSON.stringify(scan)}`);
}

const LOOK_HEADS = 'C floor|full scan|rooted scan|audit poll|procfs source (worker)|rooted + audit'.split('|');
const CPU_HEADS =
  'process-exporter|node_exporter|rooted + audit / C|shipped exporter, CPU per poll|against the host row|its poll, wall|its scans'.split('|');

/** Median of the rooted scan with the audit's poll every AUDIT_EVERY polls. */
const amortised = (row: Row, k: 'wall' | 'cpu'): number => ((AUDIT_EVERY - 1) * row.rooted[k].median + row.audit[k].median) / AUDIT_EVERY;

function render(r: Result): string[] {
  const label = (row: Row): string => `${count(row.processes)}${row.size === 'host' ? ' (host)' : ''}`;
  const nb = (row: Row, name: string) => row.neighbours.find((n) => n.name === name) ?? null;
  const host = r.rows.find((row) => row.size === 'host') ?? r.rows[0];
  const wall = r.rows.map((row) => [
    label(row),
    String(row.candidates),
    ...COLUMNS.map((c) => medP90(row[c].wall)),
    fmtMs(amortised(row, 'wall')),
    medP90(nb(row, 'process-exporter')?.wall),
    medP90(nb(row, 'node_exporter')?.wall),
    medP90(row.psList),
    fmtRatio(row.full.wall.median, row.floor.wall.median),
    fmtRatio(amortised(row, 'wall'), row.floor.wall.median),
  ]);
  const cpu = r.rows.map((row) => [
    label(row),
    ...COLUMNS.map((c) => fmtMs(row[c].cpu.median)),
    fmtMs(amortised(row, 'cpu')),
    fmtMs(nb(row, 'process-exporter')?.cpuMsPerLook),
    fmtMs(nb(row, 'node_exporter')?.cpuMsPerLook),
    fmtRatio(amortised(row, 'cpu'), row.floor.cpu.median),
    `${fmtMs(row.exporter.cpuMsPerPoll)} (${corePct(row.exporter.coreShare)})`,
    fmtRatio(row.exporter.cpuMsPerPoll, host?.exporter.cpuMsPerPoll),
    fmtMs(row.exporter.pollMs),
    Object.entries(row.exporter.scans)
      .map(([k, v]) => `${v} ${k}`)
      .join(', '),
  ]);
  const target = r.rows.find((row) => row.size === 10_000);
  const looks = r.rounds * r.perRound;
  const v = (name: string): string => (r.versions[name] ? ` ${r.versions[name]}` : ' (not installed)');
  return [
    `A test rig's engine (dockerd and its containerd, no containers) runs on the host throughout. Idle processes raise the count, ` +
      (r.perMille > 0
        ? `${r.perMille / 10}% of them named containerd-shim (candidates, read in full) under a parent of their own. `
        : 'none of them a candidate: the engine stays the same while the host grows. ') +
      `Per column ${looks} looks (${r.rounds} rounds of ${r.perRound}, the columns taking turns)${r.psListPolls > 0 ? `, ps-list up to ${r.psListPolls} polls after them` : ''}. ` +
      `**rooted + audit** is the rooted scan with the audit's poll once in ${AUDIT_EVERY} (1 s polling, \`--scan.full-interval=60s\`): (59 × rooted + audit) / 60, of medians. ` +
      `process-exporter${v('process-exporter')} (six comm matchers) and node_exporter${v('node_exporter')} (default collectors): one GET /metrics each.`,
    '',
    'Wall time, ms, median (p90):',
    '',
    mdTable(
      ['processes', 'candidates', ...LOOK_HEADS, ...'process-exporter|node_exporter|ps-list|full / C|rooted + audit / C'.split('|')],
      wall,
    ),
    '',
    `CPU time (user + system), ms per look, median; the procfs source's counts all this process's threads. ` +
      `**Shipped exporter**: \`node dist/main.js --poll.interval=1s\` (main.js's node flags) watching the rig for ${r.windowS} s, probes and the sweep on, ` +
      `GET /metrics every 15 s: CPU of all its threads per poll (share of one core), against the host row, its mean poll, and its scans:`,
    '',
    mdTable(['processes', ...LOOK_HEADS, ...CPU_HEADS], cpu),
    '',
    ...(target
      ? [
          `Targets at ${count(target.processes)} processes: poll (rooted + audit, wall) ≤ 0.25x the C floor: **${fmtRatio(amortised(target, 'wall'), target.floor.wall.median)}**; ` +
            `the shipped exporter's CPU per poll ≤ 2x the host row's: **${fmtRatio(target.exporter.cpuMsPerPoll, host?.exporter.cpuMsPerPoll)}**.`,
          '',
        ]
      : []),
    ...r.rows
      .filter((row) => row.peFirstMs !== null)
      .map(
        (row) =>
          `- ${label(row)}: process-exporter's first scrape after the processes appeared took ${fmtMs(row.peFirstMs)} ms (it reads each new process once).`,
      ),
    ...r.rows
      .filter((row) => row.surprises > 0)
      .map(
        (row) =>
          `- ${label(row)}: ${row.surprises} rooted looks were full scans (a surprise: an engine daemon elsewhere on the host went away) and are left out.`,
      ),
    ...r.rows.flatMap((row) => row.notes.map((n) => `- ${label(row)}: ${n}`)),
    ...(r.stopped ? [`- The curve stopped ${r.stopped}.`] : []),
  ];
}

export const pollCost: Section<Result> = { name: 'poll-cost', title: () => 'Cost of one poll against the process count', run, render };
