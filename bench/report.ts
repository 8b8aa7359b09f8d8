/** Renders the benchmark's results: a plain-text table for the terminal, markdown for docs/benchmarks.md. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { LatencyResult } from './metrics-latency.js';
import type { Summary } from './stats.js';

export interface SizeResult {
  label: string;
  /** Processes in procfs when the measurements started. */
  processes: number;
  /** Of which idle processes the bench started (0 at the host's own count). */
  idleSpawned: number;
  /** Processes whose comm is a candidate (full reads), as the C floor counted them. */
  candidates: number | null;
  /** The C floor's scans, ms. */
  floor: Summary | null;
  /** CPU time (user + system) of the C floor's and the direct scan's scans, ms. */
  floorCpu: Summary | null;
  sync: Summary | null;
  syncCpu: Summary | null;
  worker: Summary | null;
  psList: Summary | null;
  /** Longest event-loop stall (ms) during 1 s of doing nothing (the machine's noise), and while the worker source / ps-list scanned in a loop. */
  idleLoopMaxMs: number | null;
  workerLoopMaxMs: number | null;
  psListLoopMaxMs: number | null;
  notes: string[];
}

export interface BenchReport {
  startedAt: Date;
  /** Share of the machine's CPU time (all CPUs) that other work used: the second before the run, the whole run, the /metrics part. */
  othersBefore: number | null;
  othersDuring: number | null;
  othersDuringLatency: number | null;
  durationS: number;
  machine: MachineInfo;
  sizes: SizeResult[];
  latency: LatencyResult[];
  latencyProcesses: number | null;
  notes: string[];
  command: string;
}

export interface MachineInfo {
  nproc: number;
  cpu: string;
  memGiB: number;
  kernel: string;
  node: string;
  distro: string;
}

export function machineInfo(): MachineInfo {
  let distro = '';
  try {
    distro = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    // not Linux-like; leave it empty
  }
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    distro,
  };
}

const ms = (v: number | null | undefined): string =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);

const cell = (s: Summary | null): string => (s === null ? 'n/a' : `${ms(s.median)} (${ms(s.p90)})`);

function ratio(a: Summary | null, f: Summary | null): string {
  if (a === null || f === null || !(f.median > 0)) return '–';
  return `${(a.median / f.median).toFixed(2)}x`;
}

const HEADERS = [
  'processes',
  'candidates',
  'C floor',
  'procfs scan (sync)',
  'procfs source (worker)',
  'ps-list source',
  'sync / C',
  'worker / C',
  'ps-list / C',
  'sync / C, CPU time',
  'event loop stall, max: idle / worker / ps-list',
];

function rows(report: BenchReport): string[][] {
  return report.sizes.map((s) => [
    `${s.processes.toLocaleString('en-US')}${s.label === 'host' ? ' (host)' : ''}`,
    s.candidates === null ? '–' : String(s.candidates),
    cell(s.floor),
    cell(s.sync),
    cell(s.worker),
    cell(s.psList),
    ratio(s.sync, s.floor),
    ratio(s.worker, s.floor),
    ratio(s.psList, s.floor),
    ratio(s.syncCpu, s.floorCpu),
    `${ms(s.idleLoopMaxMs)} / ${ms(s.workerLoopMaxMs)} / ${ms(s.psListLoopMaxMs)}`,
  ]);
}

const LATENCY_HEADERS = ['--poll.interval', 'polls during the run', 'mean poll (ms)', 'p50 (ms)', 'p90 (ms)', 'p99 (ms)', 'max (ms)', 'requests'];

function latencyRows(report: BenchReport): string[][] {
  return report.latency.map((l) => [
    l.variant,
    String(l.pollsDuring),
    ms(l.meanPollMs),
    ms(l.latencyMs.median),
    ms(l.latencyMs.p90),
    ms(l.latencyMs.p99),
    ms(l.latencyMs.max),
    String(l.latencyMs.n),
  ]);
}

function textTable(headers: string[], body: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function mdTable(headers: string[], body: string[][]): string {
  const line = (r: string[]): string => `| ${r.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...body.map(line)].join('\n');
}

const pct = (v: number | null): string => (v === null ? '?' : `${Math.round(v * 100)}%`);

function othersText(r: BenchReport): string {
  const latency = r.latency.length > 0 ? `, ${pct(r.othersDuringLatency)} during the /metrics runs` : '';
  return (
    `Other work on the machine used ${pct(r.othersBefore)} of its CPU time in the second before the run, ` +
    `${pct(r.othersDuring)} during it${latency}.`
  );
}

export function renderText(report: BenchReport): string {
  const out = [
    othersText(report),
    'Cost of one poll, ms: median (p90)',
    textTable(HEADERS, rows(report)),
  ];
  if (report.latency.length > 0) {
    out.push('', `GET /metrics latency at ${report.latencyProcesses?.toLocaleString('en-US') ?? '?'} processes`);
    out.push(textTable(LATENCY_HEADERS, latencyRows(report)));
  }
  const notes = [...report.notes, ...report.sizes.flatMap((s) => s.notes.map((n) => `${s.label}: ${n}`))];
  if (notes.length > 0) out.push('', ...notes.map((n) => `note: ${n}`));
  return out.join('\n');
}

export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const out = [
    `Measured ${report.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${m.nproc} CPUs (${m.cpu}), ` +
      `${m.memGiB} GiB, ${m.kernel}${m.distro ? `, ${m.distro}` : ''}, Node ${m.node}; the run took ${Math.round(report.durationS)} s ` +
      `(\`${report.command}\`). ${othersText(report)}`,
    '',
    '**Cost of one poll**, milliseconds, median (p90):',
    '',
    mdTable(HEADERS, rows(report)),
  ];
  if (report.latency.length > 0) {
    out.push(
      '',
      `**GET /metrics latency** of \`node dist/main.js\` at ${report.latencyProcesses?.toLocaleString('en-US') ?? '?'} processes, ` +
        'sequential requests over one keep-alive loopback connection:',
      '',
      mdTable(LATENCY_HEADERS, latencyRows(report)),
    );
  }
  const notes = [...report.notes, ...report.sizes.flatMap((s) => s.notes.map((n) => `${s.label}: ${n}`))];
  if (notes.length > 0) out.push('', ...notes.map((n) => `- ${n}`));
  return out.join('\n');
}

export const BEGIN_MARKER = '<!-- bench:results:begin (written by npm run bench; edits between the markers are lost) -->';
export const END_MARKER = '<!-- bench:results:end -->';

/** Replaces the text between `begin` and `end` in docsPath, appending a new section when they are absent. */
export function writeSection(docsPath: string, begin: string, end: string, markdown: string): void {
  const text = existsSync(docsPath) ? readFileSync(docsPath, 'utf8') : '';
  const b = text.indexOf(begin);
  const e = text.indexOf(end);
  const next =
    b >= 0 && e > b
      ? `${text.slice(0, b + begin.length)}\n${markdown}\n${text.slice(e)}`
      : `${text.trimEnd()}\n\n${begin}\n${markdown}\n${end}\n`;
  writeFileSync(docsPath, next);
}

/** Replaces the text between the markers of docsPath (the file must hold both). */
export function writeMarkdown(docsPath: string, markdown: string): void {
  if (!existsSync(docsPath)) throw new Error(`${docsPath} does not exist`);
  const text = readFileSync(docsPath, 'utf8');
  const begin = text.indexOf(BEGIN_MARKER);
  const end = text.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error(`${docsPath} lacks the markers ${BEGIN_MARKER} … ${END_MARKER}`);
  const next = `${text.slice(0, begin + BEGIN_MARKER.length)}\n${markdown}\n${text.slice(end)}`;
  writeFileSync(docsPath, next);
}
