/**
 * The per-container sweep (src/sources/probes/sweep.ts) against the test rig with 10 and 200 running
 * containers: wall time and this process's CPU per sweep, and per container. Each sweep inspects every
 * container and asks containerd for every shim's task state, four containers at a time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { EngineView } from '../../src/engine/attribute.js';
import { createContainerdClient, loadContainerdServices } from '../../src/sources/containerd/containerd-client.js';
import { createSweepProbes } from '../../src/sources/probes/sweep.js';
import { startEngineRig, type EngineRig } from '../../test/support/engine-rig.js';
import type { Context, Section } from '../harness.js';
import { fmtMs, mdTable } from '../lib/markdown.js';
import { startContainers } from '../lib/churn.js';
import { sleep } from '../lib/programs.js';

const TIMEOUT_MS = 2_000;
const SWEEPS = 10;

interface Row {
  containers: number;
  sweeps: number;
  wallMsMedian: number;
  cpuMsPerSweep: number;
}
type Result = { rows: Row[] };

/** The rig's shims as the sweep reads them from a view: pid and argv. */
function shimsOf(rig: EngineRig): { pid: number; argv: string[] }[] {
  const out: { pid: number; argv: string[] }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv[0]?.endsWith('containerd-shim-runc-v2') && argv.includes(rig.containerdSocket)) out.push({ pid: Number(name), argv });
    } catch {
      /* gone */
    }
  }
  return out;
}

async function run(ctx: Context): Promise<Result> {
  const sizes = ctx.opts.quick ? [10, 40] : [10, 200];
  const rig = await startEngineRig();
  const containerd = createContainerdClient(rig.containerdSocket, loadContainerdServices());
  const rows: Row[] = [];
  try {
    let running = 0;
    for (const size of sizes) {
      const failed = await startContainers(rig, size - running);
      if (failed > 0) throw new Error(`${failed} of ${size - running} docker runs failed`);
      running = size;
      await sleep(2_000); // let the engine settle after the starts
      const sweep = createSweepProbes({
        dockerSocket: rig.dockerSocket,
        namespaces: ['moby'],
        deadlineMs: TIMEOUT_MS,
        intervalMs: 0,
        procfsPath: '/proc',
        containerd: () => containerd,
        containerdAnswering: () => true,
        dockerdAnswering: () => true,
      });
      const view = { members: { 'containerd-shim': shimsOf(rig) } } as unknown as EngineView;
      const probe = sweep.probes[0]!;
      const walls: number[] = [];
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < SWEEPS + 2; i++) {
        if (i === 2) Object.assign(cpu0, process.cpuUsage()); // two unmeasured sweeps first
        sweep.prepare(view, Date.now());
        const t0 = performance.now();
        await probe.run();
        if (i >= 2) walls.push(performance.now() - t0);
      }
      const cpu = process.cpuUsage(cpu0);
      const found = sweep.findings();
      if (found.containers !== size) throw new Error(`the sweep went through ${found.containers} containers, not ${size}`);
      if (found.unresponsiveContainers?.length !== 0 || found.unresponsiveShims?.length !== 0)
        throw new Error('a healthy rig swept as unresponsive');
      walls.sort((a, b) => a - b);
      rows.push({
        containers: size,
        sweeps: SWEEPS,
        wallMsMedian: walls[Math.floor(walls.length / 2)]!,
        cpuMsPerSweep: (cpu.user + cpu.system) / 1000 / SWEEPS,
      });
      ctx.log(`sweep: ${size} containers, median ${walls[Math.floor(walls.length / 2)]!.toFixed(1)} ms`);
    }
    return { rows };
  } finally {
    containerd.close();
    await rig.stop();
  }
}

function render(r: Result): string[] {
  const rows = r.rows.map((x) => [
    String(x.containers),
    String(x.sweeps),
    fmtMs(x.wallMsMedian),
    fmtMs(x.wallMsMedian / x.containers),
    fmtMs(x.cpuMsPerSweep),
    fmtMs(x.cpuMsPerSweep / x.containers),
  ]);
  return [
    'One sweep = an inspect and a Tasks/Get per running container, four containers at a time, through the',
    "exporter's own clients; the CPU is the exporter side's (this process), not dockerd's or containerd's:",
    '',
    mdTable(['containers', 'sweeps', 'wall median (ms)', 'per container (ms)', 'CPU per sweep (ms)', 'CPU per container (ms)'], rows),
  ];
}

export const sweep: Section<Result> = { name: 'sweep', title: () => 'Per-container sweep', run, render };
