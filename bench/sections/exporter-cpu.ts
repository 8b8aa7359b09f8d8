/**
 * The shipped exporter's CPU against the number of running containers on the test rig (`--containers`,
 * real `docker run -d --network=none rig/busybox sleep`, started in parallel and left running): one exporter as
 * deployed (bench/lib/exporter-cpu.ts) watches the rig from the start; after each step a window of
 * `--cpu-window-s` (half of it above 10 containers) measures its CPU per poll, all threads, its share of
 * a core, its mean poll and the split by thread, while process-exporter and node_exporter are looked at
 * once a second beside it. The points at 0 and 10 containers are the engine-only figure.
 */
import { startEngineRig } from '../../test/support/engine-rig.js';
import type { Context, Section } from '../harness.js';
import { countProcesses } from '../lib/c-tools.js';
import { PARALLEL_RUNS, startContainers } from '../lib/churn.js';
import { measureWindow, SCRAPE_EVERY_S, startNeighbours, startShipped, type Neighbour, type WindowResult } from '../lib/exporter-cpu.js';
import { corePct, count, fmtMs, fmtRatio, mdTable, medP90 } from '../lib/markdown.js';
import { deployedNodeFlags, sleep } from '../lib/programs.js';

const TARGET_MS_PER_POLL = 10;

interface Step {
  containers: number;
  processes: number;
  /** Seconds the last containers took to start. */
  startS: number;
  window: WindowResult;
}
type Result = { nodeFlags: string[]; steps: Step[]; failedRuns: number; stopped: string | null };

async function run(ctx: Context): Promise<Result> {
  const log = (line: string): void => ctx.log(`exporter-cpu: ${line}`);
  const rig = await startEngineRig();
  let neighbours: Neighbour[] = [];
  const steps: Step[] = [];
  let failedRuns = 0;
  let stopped: string | null = null;
  try {
    neighbours = await startNeighbours(ctx.workDir, log);
    const exporter = await startShipped(ctx.mainJs, rig);
    try {
      await sleep(ctx.opts.quick ? 3_000 : 15_000); // JIT, the first sweep and probes
      let running = 0;
      for (const target of ctx.opts.containers) {
        const t0 = performance.now();
        // A step that fails ends the curve there; the steps before it stay measured.
        const failed = await (async () => {
          if (target > running) {
            log(`starting ${target - running} containers`);
            for (let attempt = 0; attempt < 3 && running < target; attempt++) {
              failedRuns += await startContainers(rig, target - running, ['--network=none']);
              running = (await rig.docker(['ps', '-q'])).stdout.split('\n').filter(Boolean).length;
            }
            if (running < target) throw new Error(`${running} containers running, not ${target} (${failedRuns} docker runs failed)`);
          }
          const startS = (performance.now() - t0) / 1000;
          await sleep(ctx.opts.quick ? 2_000 : 10_000); // the starts' exits and events die down
          const seconds = target <= 10 ? ctx.opts.num['cpu-window-s'] : Math.ceil(ctx.opts.num['cpu-window-s'] / 2);
          log(`${target} containers, ${countProcesses()} processes: ${seconds} s`);
          steps.push({ containers: target, processes: countProcesses(), startS, window: await measureWindow(exporter, neighbours, seconds) });
        })().then(
          () => null,
          (err: unknown) => `at ${target} containers: ${err instanceof Error ? err.message : String(err)}`,
        );
        if (failed !== null) {
          log(failed);
          stopped = failed;
          break;
        }
      }
    } finally {
      await exporter.stop();
    }
  } finally {
    for (const n of neighbours) await n.stop();
    await rig.stop();
  }
  return { nodeFlags: deployedNodeFlags(ctx.mainJs), steps, failedRuns, stopped };
}

const HEADS = [
  'containers|processes|window, polls|CPU per poll (ms)|share of a core|poll, wall (ms)|by thread: main / scan worker / rest (ms per poll)|scans',
  'process-exporter: CPU per look, look (ms)|node_exporter: CPU per look, look (ms)|process-exporter / exporter, CPU|start of the added containers (s)',
].flatMap((h) => h.split('|'));

function render(r: Result): string[] {
  const nb = (s: Step, name: string) => s.window.neighbours.find((n) => n.name === name);
  const rows = r.steps.map((s) => {
    const w = s.window;
    const [pe, ne] = [nb(s, 'process-exporter'), nb(s, 'node_exporter')];
    return [
      String(s.containers),
      count(s.processes),
      `${w.seconds.toFixed(0)} s, ${w.polls}`,
      `**${fmtMs(w.cpuMsPerPoll)}**`,
      `**${corePct(w.coreShare)}**`,
      fmtMs(w.pollMs),
      [w.split.main, w.split.reader, w.split.others].map((ms) => fmtMs(ms / w.polls)).join(' / '),
      Object.entries(w.scans)
        .map(([k, v]) => `${v} ${k}`)
        .join(', '),
      pe ? `${fmtMs(pe.cpuMsPerLook)}, ${medP90(pe.lookMs)}` : '–',
      ne ? `${fmtMs(ne.cpuMsPerLook)}, ${medP90(ne.lookMs)}` : '–',
      fmtRatio(pe?.cpuMsPerLook, w.cpuMsPerPoll),
      s.startS > 0 ? s.startS.toFixed(0) : '–',
    ];
  });
  const engineOnly = r.steps.filter((s) => s.containers <= 10);
  const stopped = r.stopped === null ? [] : [`The curve stopped ${r.stopped}.`, ''];
  return [
    `\`node ${r.nodeFlags.map((f) => `${f} `).join('')}dist/main.js --poll.interval=1s\` with \`MALLOC_ARENA_MAX=2\` against the test rig (Debian's dockerd and its containerd), ` +
      `every other flag at its default (probes on, the sweep every 15 s, the audit every 60 s), GET /metrics every ${SCRAPE_EVERY_S} s; one process for the whole run, ` +
      `containers added between the windows (\`docker run -d --network=none rig/busybox sleep 1d\`, ${PARALLEL_RUNS} at a time: the rig's bridge holds ~250 containers${r.failedRuns ? `; ${r.failedRuns} runs failed and were retried` : ''}). ` +
      `CPU: utime + stime of all its threads (/proc/PID/stat) over the window. By thread: time on a CPU (/proc/PID/task/*/schedstat) per poll of the main thread, ` +
      `of the thread with the most read syscalls besides it (the scan worker), and of the rest (V8's platform threads, libuv's pool). ` +
      `process-exporter (six comm matchers) and node_exporter (default collectors) are looked at once a second beside it, its polling cadence: CPU ms per look, and the look's wall ms, median (p90).`,
    '',
    mdTable(HEADS, rows),
    '',
    ...stopped,
    ...engineOnly.map(
      (s) =>
        `Target, engine-only with ${s.containers} containers: ≤ ${TARGET_MS_PER_POLL} ms of CPU per poll and ≤ 1 % of a core: **${fmtMs(s.window.cpuMsPerPoll)} ms, ${corePct(s.window.coreShare)}** ` +
        `(${s.window.cpuMsPerPoll <= TARGET_MS_PER_POLL && s.window.coreShare <= 0.01 ? 'met' : 'not met'}).`,
    ),
  ];
}

export const exporterCpu: Section<Result> = {
  name: 'exporter-cpu',
  title: () => "The shipped exporter's CPU: engine-only, and against running containers",
  run,
  render,
};
