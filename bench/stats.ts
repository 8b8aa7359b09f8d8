/** Small statistics helpers for the benchmark (nearest-rank percentiles, like bench/c/scan-floor.c). */

export interface Summary {
  n: number;
  median: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
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
  };
}

export interface RepeatOptions {
  /** Unmeasured runs first (worker start-up, dentry cache, JIT). */
  warmup: number;
  /** Upper bound on measured runs. */
  iterations: number;
  /** Stop early once this much time went into measured runs, if at least `minIterations` ran. */
  budgetMs: number;
  minIterations: number;
}

export interface Samples {
  /** Wall time of each measured run, ms. */
  wall: number[];
  /** CPU time (user + system, all threads of this process) of each measured run, ms. */
  cpu: number[];
}

/** Runs `fn` a bounded number of times and returns the duration of each measured run. */
export async function repeat(fn: () => unknown, opts: RepeatOptions): Promise<Samples> {
  for (let i = 0; i < opts.warmup; i++) await fn();
  const out: Samples = { wall: [], cpu: [] };
  const started = performance.now();
  for (let i = 0; i < opts.iterations; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    out.wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    out.cpu.push((c.user + c.system) / 1000);
    if (out.wall.length >= opts.minIterations && performance.now() - started > opts.budgetMs) break;
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
  if (n < 2) return Number.NaN;
  const mx = xs.slice(0, n).reduce((a, b) => a + b, 0) / n;
  const my = ys.slice(0, n).reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}
