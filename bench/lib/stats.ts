/** Statistics for the bench: nearest-rank percentiles (as bench/c/scan-floor.c), timed repeats, trends, CPU share. */
import { readFileSync } from 'node:fs';
import { statFields } from './programs.js';

export interface Summary {
  n: number;
  median: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array; NaN for an empty one. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.length === 0 ? Number.NaN : sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

/** Wall time and CPU time (user + system, all threads of this process) of each run, ms. */
export type Samples = Record<'wall' | 'cpu', number[]>;

/** Runs `fn` `iterations` times, stopping early past `budgetMs` once 3 runs are in; each run's wall and CPU time. */
export async function repeat(fn: () => unknown, iterations: number, budgetMs = 60_000): Promise<Samples> {
  const out: Samples = { wall: [], cpu: [] };
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    out.wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    out.cpu.push((c.user + c.system) / 1000);
    if (out.wall.length >= Math.min(3, iterations) && performance.now() - started > budgetMs) break;
  }
  return out;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median of the last tenth of the values against the median of the first tenth, (last − first) / first. */
export function windowGrowth(values: readonly number[]): number {
  const k = Math.max(3, Math.floor(values.length / 10));
  if (values.length < 2 * k) return Number.NaN;
  const first = median(values.slice(0, k));
  return (median(values.slice(-k)) - first) / first;
}

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  const [mx, my] = [xs, ys].map((v) => v.slice(0, n).reduce((a, b) => a + b, 0) / n) as [number, number];
  let [num, den] = [0, 0];
  for (let i = 0; i < n; i++) [num, den] = [num + (xs[i]! - mx) * (ys[i]! - my), den + (xs[i]! - mx) ** 2];
  return n < 2 || den === 0 ? Number.NaN : num / den;
}

export type CpuSample = Record<'total' | 'busy' | 'own', number>;

/**
 * All CPUs' busy time (/proc/stat) and this process's plus its reaped children's (/proc/self/stat), in
 * clock ticks. Children still running count as other work until reaped: sample after stopping them.
 */
export function sampleCpu(): CpuSample | null {
  try {
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    // after ") ": state=0 ... utime=11 stime=12 cutime=13 cstime=14
    const own = statFields('self')
      .slice(11, 15)
      .reduce((a, b) => a + Number(b), 0);
    return { total, busy: total - (f[3] ?? 0) - (f[4] ?? 0), own };
  } catch {
    return null;
  }
}

/** Share (0..1) of all CPUs' time between two samples that other work used; null when unknown. */
export function othersShare(a: CpuSample | null, b: CpuSample | null): number | null {
  if (a === null || b === null || b.total <= a.total) return null;
  return Math.min(1, Math.max(0, (b.busy - a.busy - (b.own - a.own)) / (b.total - a.total)));
}
