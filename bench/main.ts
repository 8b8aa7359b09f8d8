/**
 * `npm run bench [-- options]`: runs the --sections (all by default), saves every figure to one JSON
 * file (--out), prints the markdown, and with --write puts each block into docs/benchmarks.md
 * (--render=<file> does that from a saved file). Options: bench/harness.ts; docs/benchmarks.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOptions, type Context, type RunRecord, type Section } from './harness.js';
import { buildCBinaries, type CBinaries } from './lib/c-tools.js';
import { fmtMs, pct, writeBlocks } from './lib/markdown.js';
import { checkoutCommit, machineInfo, sleep } from './lib/programs.js';
import { othersShare, sampleCpu } from './lib/stats.js';
import { authFlood } from './sections/auth-flood.js';
import { checkTime } from './sections/check-time.js';
import { detection } from './sections/detection.js';
import { exporterCpu } from './sections/exporter-cpu.js';
import { exporterRss } from './sections/exporter-rss.js';
import { memorySoak } from './sections/memory-soak.js';
import { metricsLatency } from './sections/metrics-latency.js';
import { pollCost } from './sections/poll-cost.js';
import { probes } from './sections/probes.js';
import { sweep } from './sections/sweep.js';

/** Every section, in the order a full run takes them (and the document shows them). */
export const SECTIONS: ReadonlyArray<Section<unknown>> = [
  pollCost,
  exporterCpu,
  metricsLatency,
  memorySoak,
  exporterRss,
  detection,
  probes,
  checkTime,
  sweep,
  authFlood,
];

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const docsPath = path.join(repoRoot, 'docs', 'benchmarks.md');

/** One section's block: heading, when and where it was measured, its body. */
export function renderBlock(record: RunRecord, name: string): string | null {
  const section = SECTIONS.find((s) => s.name === name);
  const r = record.sections[name];
  if (!section || !r) return null;
  const m = record.machine;
  const when = `${r.startedAt.slice(0, 16).replace('T', ' ')} UTC`;
  const where = `on ${m.nproc} CPUs (${m.cpu}), ${m.memGiB} GiB, ${m.kernel}${m.distro ? `, ${m.distro}` : ''}, Node ${m.node}`;
  const what = `${record.commit ? `the exporter built from commit ${record.commit}, ` : ''}\`${record.command}\`${record.quick ? ' (quick mode: not figures to publish)' : ''}`;
  const load = `Other work on the machine used ${pct(r.othersBefore)} of its CPU time in the second before this section and ${pct(r.othersDuring)} during it.`;
  const title = r.failed === undefined ? section.title(r.result) : name;
  const head = [`## ${title}`, '', `Measured ${when} (${fmtMs(r.durationS)} s) ${where}; ${what}. ${load}`, ''];
  return [...head, ...(r.failed === undefined ? section.render(r.result) : [`**Failed**: ${r.failed}`])].join('\n');
}

/** The blocks of every section a record holds that this bench knows. */
function blocksOf(record: RunRecord): Map<string, string> {
  const rendered = Object.keys(record.sections).map((n) => [n, renderBlock(record, n)] as const);
  return new Map(rendered.filter((b): b is readonly [string, string] => b[1] !== null));
}

async function main(): Promise<void> {
  const names = SECTIONS.map((s) => s.name);
  const opts = parseOptions(process.argv.slice(2), names);
  if (opts.render !== null) {
    const blocks = blocksOf(JSON.parse(readFileSync(opts.render, 'utf8')) as RunRecord);
    writeBlocks(docsPath, blocks);
    console.error(`[bench] ${[...blocks.keys()].join(', ')} from ${opts.render} written to docs/benchmarks.md`);
    return;
  }
  if (process.getuid?.() !== 0) throw new Error("run as root: the scan reads every process's /proc, and some sections start a Docker engine");
  const log = (line: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const workDir = path.join(repoRoot, 'build', 'bench', 'work');
  mkdirSync(workDir, { recursive: true });
  let bins: CBinaries | null = null;
  const ctx: Context = {
    opts,
    mainJs: path.join(repoRoot, 'dist', 'main.js'),
    workDir,
    bins: () => (bins ??= buildCBinaries(repoRoot, path.join(repoRoot, 'build', 'bench', 'c'))),
    log,
  };
  const record: RunRecord = {
    startedAt: new Date().toISOString(),
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    commit: checkoutCommit(repoRoot),
    machine: machineInfo(),
    quick: opts.quick,
    sections: {},
  };
  const out = path.resolve(repoRoot, opts.out);
  mkdirSync(path.dirname(out), { recursive: true });
  for (const section of SECTIONS.filter((s) => opts.sections.includes(s.name))) {
    const before = sampleCpu();
    await sleep(1_000);
    const start = sampleCpu();
    const startedAt = new Date().toISOString();
    log(`${section.name}: start`);
    let outcome: { result: unknown } | { failed: string };
    try {
      outcome = { result: await section.run(ctx) };
    } catch (err) {
      log(`${section.name}: FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      outcome = { failed: (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '' };
    }
    const durationS = (Date.now() - Date.parse(startedAt)) / 1000;
    record.sections[section.name] = {
      startedAt,
      durationS,
      othersBefore: othersShare(before, start),
      othersDuring: othersShare(start, sampleCpu()),
      ...outcome,
    };
    // Saved after every section: an interrupted run keeps what it measured.
    writeFileSync(out, `${JSON.stringify(record, null, 1)}\n`);
    log(`${section.name}: done in ${durationS.toFixed(0)} s; results in ${path.relative(repoRoot, out)}`);
  }
  const blocks = blocksOf(record);
  process.stdout.write(`${[...blocks.values()].join('\n\n')}\n`);
  if (opts.write) writeBlocks(docsPath, blocks);
  if (Object.values(record.sections).some((s) => s.failed !== undefined)) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
