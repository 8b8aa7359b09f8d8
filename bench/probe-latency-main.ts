/**
 * Prints the probe latencies (bench/probe-latency.ts) as a markdown table. Needs root and the real
 * engine (it starts the test rig). Usage: node build/bench/probe-latency-main.js [--iterations=200]
 */
import { measureProbeLatency, renderProbeLatencyMarkdown } from './probe-latency.js';

let iterations = 200;
for (const arg of process.argv.slice(2)) {
  const m = /^--iterations=(\d+)$/.exec(arg);
  if (m) iterations = Number(m[1]);
  else {
    process.stderr.write(`probe-latency: unknown argument ${arg} (usage: [--iterations=N])\n`);
    process.exit(2);
  }
}
const result = await measureProbeLatency(undefined, { iterations });
process.stdout.write(`${renderProbeLatencyMarkdown(result)}\n`);
