/**
 * What every section of the bench shares: its options (util.parseArgs), the context it runs in, and
 * the shape of the results file. A section is a module exporting a `Section`; bench/main.ts lists them.
 */
import { parseArgs } from 'node:util';
import type { CBinaries } from './lib/c-tools.js';
import type { MachineInfo } from './lib/programs.js';

/** Numeric options: [full run, --quick, min, max]. */
const NUMBERS = {
  rounds: [10, 2, 1, 100],
  'per-round': [3, 2, 1, 100],
  'pslist-polls': [3, 2, 0, 100],
  'candidates-per-mille': [0, 0, 0, 1000],
  'latency-processes': [10_000, 500, 1, 30_000],
  requests: [500, 40, 2, 100_000],
  clients: [50, 5, 1, 500],
  'requests-per-client': [40, 4, 2, 10_000],
  polls: [100_000, 600, 100, 10_000_000],
  warmup: [2_000, 100, 0, 1_000_000],
  'sample-every': [1_000, 50, 10, 1_000_000],
  'scrape-every': [100, 20, 1, 1_000_000],
  'churn-workers': [2, 1, 0, 8],
  'budget-s': [840, 60, 10, 86_400],
  'process-duration-s': [600, 30, 30, 86_400],
  kills: [20, 2, 1, 200],
  'scrape-interval': [15, 2, 1, 120],
  'settle-ms': [2_000, 500, 0, 60_000],
  'probe-calls': [200, 20, 1, 10_000],
  'check-runs': [20, 4, 1, 1_000],
  'flood-s': [15, 3, 1, 600],
  'denial-rounds': [20, 4, 1, 1_000],
  'window-s': [60, 10, 5, 3_600],
  'cpu-window-s': [120, 15, 5, 3_600],
} as const satisfies Record<string, readonly [number, number, number, number]>;

type NumberOption = keyof typeof NUMBERS;

export interface Options {
  sections: string[];
  quick: boolean;
  /** Process counts to reach for poll-cost; 'host' adds none. */
  sizes: Array<number | 'host'>;
  /** Running containers for exporter-cpu. */
  containers: number[];
  num: Record<NumberOption, number>;
  out: string;
  write: boolean;
  /** Render a results file into docs/benchmarks.md instead of measuring. */
  render: string | null;
}

/** Parses the bench's command line; a bad value is a one-line error naming the option. */
export function parseOptions(argv: readonly string[], known: readonly string[]): Options {
  const numeric = Object.fromEntries(Object.keys(NUMBERS).map((k) => [k, { type: 'string' as const }]));
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...numeric,
      sections: { type: 'string' },
      sizes: { type: 'string' },
      containers: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: 'build/bench/results.json' },
      write: { type: 'boolean', default: false },
      render: { type: 'string' },
    },
  });
  const v = values as Record<string, string | boolean | undefined>;
  const quick = v['quick'] === true;
  const int = (name: string, text: string, min: number, max: number): number => {
    // Digits only: Number() would also take "1e5", "0x10" and " 5".
    const n = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
    if (!(n >= min && n <= max)) throw new Error(`--${name}: expected an integer in ${min}..${max}, got "${text}"`);
    return n;
  };
  const num = {} as Record<NumberOption, number>;
  for (const [name, [full, short, min, max]] of Object.entries(NUMBERS) as Array<[NumberOption, readonly [number, number, number, number]]>) {
    const given = v[name];
    num[name] = typeof given === 'string' ? int(name, given, min, max) : quick ? short : full;
  }
  const sections = typeof v['sections'] === 'string' ? v['sections'].split(',').filter(Boolean) : [...known];
  for (const s of sections) if (!known.includes(s)) throw new Error(`--sections: unknown section "${s}" (${known.join(', ')})`);
  if (sections.length === 0) throw new Error('--sections: name at least one section');
  const sizeText = typeof v['sizes'] === 'string' ? v['sizes'] : quick ? 'host,500' : 'host,1000,10000,20000';
  const sizes = sizeText.split(',').map((s) => (s === 'host' ? ('host' as const) : int('sizes', s, 1, 30_000)));
  const containerText = typeof v['containers'] === 'string' ? v['containers'] : quick ? '0,10' : '0,10,100,500';
  const containers = containerText.split(',').map((s) => int('containers', s, 0, 1_000));
  if (containers.some((n, i) => i > 0 && n <= containers[i - 1]!))
    throw new Error(`--containers: expected ascending counts, got "${containerText}"`);
  if (num.warmup >= num.polls) throw new Error(`--warmup: must be below --polls (${num.polls})`);
  const render = typeof v['render'] === 'string' ? v['render'] : null;
  return { sections, quick, sizes, containers, num, out: v['out'] as string, write: v['write'] === true, render };
}

export interface Context {
  opts: Options;
  mainJs: string;
  /** A folder for logs and configuration files of the programs a section starts. */
  workDir: string;
  /** The C helpers, compiled on first use. */
  bins(): CBinaries;
  log(line: string): void;
}

export interface Section<R = unknown> {
  name: string;
  /** The heading of its block in docs/benchmarks.md. */
  title(result: R): string;
  run(ctx: Context): Promise<R>;
  /** The block's body, from the saved result alone (it may come from an older run's file). */
  render(result: R): string[];
}

interface SectionRecord {
  startedAt: string;
  durationS: number;
  /** Share of all CPUs' time other work used in the second before the section and during it. */
  othersBefore: number | null;
  othersDuring: number | null;
  result?: unknown;
  failed?: string;
}

/** The results file: one run, every figure, enough to render the document again without measuring. */
export interface RunRecord {
  startedAt: string;
  command: string;
  commit: string | null;
  machine: MachineInfo;
  quick: boolean;
  sections: Record<string, SectionRecord>;
}
