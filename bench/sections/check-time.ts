/**
 * How long `check` takes on a healthy engine (the test rig, two containers, one publishing a port),
 * side by side with its floor: a Node process that forks a Node child and waits for its first message,
 * which is the least a command that looks in a child process can cost. Runs alternate between the two,
 * warm; then one of each after dropping the page cache (a monitoring agent's first check after a
 * quiet hour). The command must answer within 4 s on a busy host (src/cli/check.ts).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, startEngineRig } from '../../test/support/engine-rig.js';
import type { Context, Section } from '../harness.js';
import { fmtMs, mdTable } from '../lib/markdown.js';
import { deployedNodeFlags, sleep } from '../lib/programs.js';
import { summarize, type Summary } from '../lib/stats.js';

type Result = { runs: number; check: Summary; floor: Summary; checkCold: number; floorCold: number };

/** Wall time of one command, in ms; throws unless it exits 0 (a healthy engine's check). */
function timed(argv: readonly string[]): number {
  const started = performance.now();
  const res = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
  const ms = performance.now() - started;
  if (res.status !== 0) throw new Error(`${argv.join(' ')}: exit ${res.status}: ${res.stdout}${res.stderr}`);
  return ms;
}

function dropPageCache(): void {
  spawnSync('sh', ['-c', 'sync && echo 3 > /proc/sys/vm/drop_caches']);
}

async function run(ctx: Context): Promise<Result> {
  const child = path.join(ctx.workDir, 'floor-child.mjs');
  const parent = path.join(ctx.workDir, 'floor-parent.mjs');
  writeFileSync(child, `process.send({ ready: true }, () => process.disconnect());\n`);
  writeFileSync(parent, `import { fork } from 'node:child_process';\nfork(${JSON.stringify(child)}).once('message', () => {});\n`);
  const rig = await startEngineRig();
  try {
    await rig.docker(['run', '-d', 'rig/busybox', 'sleep', '1d']);
    await rig.docker(['run', '-d', '--init', '-p', `127.0.0.1:${await freePort()}:80`, 'rig/busybox', 'httpd', '-f', '-p', '80']);
    await sleep(2_000); // let the engine settle after the starts
    const node = [process.execPath, ...deployedNodeFlags(ctx.mainJs)];
    const check = [...node, ctx.mainJs, 'check', `--docker.host=${rig.dockerHost}`, `--docker.pidfile=${rig.pidfile}`];
    const floor = [...node, parent];
    const runs = ctx.opts.num['check-runs'];
    timed(check); // the first of each loads the files into the page cache
    timed(floor);
    const times = { check: [] as number[], floor: [] as number[] };
    for (let i = 0; i < runs; i++) {
      ctx.log(`check-time: run ${i + 1}/${runs}`);
      // Alternate which goes first, so a slow moment of the machine is shared.
      const order = i % 2 === 0 ? (['check', 'floor'] as const) : (['floor', 'check'] as const);
      for (const which of order) times[which].push(timed(which === 'check' ? check : floor));
    }
    dropPageCache();
    const checkCold = timed(check);
    dropPageCache();
    const floorCold = timed(floor);
    return { runs, check: summarize(times.check), floor: summarize(times.floor), checkCold, floorCold };
  } finally {
    await rig.stop();
  }
}

function render(r: Result): string[] {
  const row = (what: string, s: Summary, cold: number): string[] => [what, fmtMs(s.median), fmtMs(s.p90), fmtMs(s.max), fmtMs(cold)];
  return [
    `${r.runs} runs of each, alternating, warm; then one of each after dropping the page cache. The floor is a Node process that forks a Node child and waits for its first message:`,
    '',
    mdTable(
      ['command', 'median (ms)', 'p90 (ms)', 'max (ms)', 'cold (ms)'],
      [row('`check` (healthy engine, exit 0)', r.check, r.checkCold), row('floor: node forking node', r.floor, r.floorCold)],
    ),
    '',
    `\`check\` took ${(r.check.median / r.floor.median).toFixed(1)}x its floor (median), ${(r.checkCold / r.floorCold).toFixed(1)}x cold; its deadline is 4,000 ms.`,
  ];
}

export const checkTime: Section<Result> = { name: 'check-time', title: () => "`check`'s time on a healthy engine", run, render };
