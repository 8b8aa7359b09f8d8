/**
 * Probe latencies (bench/probe-latency.ts): each probe through the exporter's real clients against the
 * test rig's real dockerd and containerd. Prints a markdown table; with --write also puts it into
 * docs/benchmarks.md. Needs root and the engine packages (it starts the test rig).
 * Usage: node build/bench/probe-latency-main.js [--iterations=200] [--write]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureProbeLatency, renderProbeLatencyMarkdown } from './probe-latency.js';
import { writeSection } from './report.js';

let iterations = 200;
let write = false;
for (const arg of process.argv.slice(2)) {
  const m = /^--iterations=(\d+)$/.exec(arg);
  if (m) iterations = Number(m[1]);
  else if (arg === '--write') write = true;
  else {
    process.stderr.write(`probe-latency: unknown argument ${arg} (usage: [--iterations=N] [--write])\n`);
    process.exit(2);
  }
}
const result = await measureProbeLatency(undefined, { iterations });
const table = renderProbeLatencyMarkdown(result);
process.stdout.write(`${table}\n`);
if (write) {
  const docs = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'benchmarks.md');
  const heading = `### Probe latency (${new Date().toISOString().slice(0, 10)}, ${iterations} calls each, \`npm run bench\`)\n\n`;
  writeSection(docs, '<!-- probes:begin (written by npm run bench) -->', '<!-- probes:end -->', heading + table);
}
