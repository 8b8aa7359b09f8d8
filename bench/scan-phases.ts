/**
 * Where a procfs scan's time goes: the scan rebuilt from Node's primitives one step at a time, each
 * step timed on its own at the same process count, beside scanProcfs itself and the C floor.
 *
 *   node build/bench/scan-phases.js [--processes=10000] [--iterations=20]
 *
 * Diagnostic only (not part of `npm run bench`); it prints a table and writes nothing.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessSnapshot } from '../src/sources/process-source.js';
import { buildCBinaries, countProcesses, IdleProcesses, runScanFloor, waitGroupGone } from './c-tools.js';
import { repeat, summarize } from './stats.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const PROC = '/proc';
const CANDIDATES: ReadonlySet<string> = new Set(['dockerd', 'containerd', 'containerd-shim', 'runc', 'docker-proxy', 'docker-init']);

function arg(name: string, fallback: number): number {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.slice(name.length + 3)) : fallback;
}

const buf = Buffer.allocUnsafe(64 * 1024);
let sink = 0;

/** The steps, each a superset of the one before, ending with the comm part of the real scan. */
const phases: Array<[string, () => void]> = [
  ['readdirSync(/proc)', () => {
    sink += fs.readdirSync(PROC).length;
  }],
  ['+ filter numeric, build `${dir}/comm`', () => {
    for (const name of fs.readdirSync(PROC)) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const dir = `${PROC}/${name}`;
      sink += `${dir}/comm`.length;
    }
  }],
  ['+ openSync + closeSync', () => {
    for (const name of fs.readdirSync(PROC)) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      try {
        const fd = fs.openSync(`${PROC}/${name}/comm`, 'r');
        fs.closeSync(fd);
      } catch {
        // vanished
      }
    }
  }],
  ['+ one readSync(64 bytes)', () => {
    for (const name of fs.readdirSync(PROC)) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      try {
        const fd = fs.openSync(`${PROC}/${name}/comm`, 'r');
        sink += fs.readSync(fd, buf, 0, 64, null);
        fs.closeSync(fd);
      } catch {
        // vanished
      }
    }
  }],
  ['+ read until EOF (a 2nd readSync)', () => {
    for (const name of fs.readdirSync(PROC)) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      try {
        const fd = fs.openSync(`${PROC}/${name}/comm`, 'r');
        let len = 0;
        for (;;) {
          const n = fs.readSync(fd, buf, len, buf.length - len, null);
          if (n === 0) break;
          len += n;
        }
        sink += len;
        fs.closeSync(fd);
      } catch {
        // vanished
      }
    }
  }],
  ['+ toString + trimEnd + Set.has (comm pass complete)', () => {
    for (const name of fs.readdirSync(PROC)) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      try {
        const fd = fs.openSync(`${PROC}/${name}/comm`, 'r');
        let len = 0;
        for (;;) {
          const n = fs.readSync(fd, buf, len, buf.length - len, null);
          if (n === 0) break;
          len += n;
        }
        fs.closeSync(fd);
        if (CANDIDATES.has(buf.toString('utf8', 0, len).trimEnd())) sink++;
      } catch {
        // vanished
      }
    }
  }],
];

async function main(): Promise<void> {
  const target = arg('processes', 10_000);
  const iterations = arg('iterations', 20);
  const bins = buildCBinaries(repoRoot, path.join(repoRoot, 'build', 'bench', 'c'));
  const need = target - countProcesses();
  const idle = need > 0 ? await IdleProcesses.start(bins.spawnIdle, need, Math.round(need / 100)) : null;
  try {
    // name, wall median, CPU-time median (user + system), ms
    const rows: Array<[string, number, number]> = [];
    const floor = await runScanFloor(bins.scanFloor, { iterations, warmup: 3, procfsPath: PROC, pidfilePath: null });
    rows.push(['C floor (bench/c/scan-floor.c)', floor.median_us / 1000, floor.cpu_median_us / 1000]);
    const opts = { warmup: 2, iterations, budgetMs: 20_000, minIterations: 5 };
    for (const [name, fn] of phases) {
      const s = await repeat(fn, opts);
      rows.push([name, summarize(s.wall).median, summarize(s.cpu).median]);
    }
    const scanUrl = new URL('../src/sources/procfs/scan-procfs.js', import.meta.url);
    if (fs.existsSync(scanUrl)) {
      const mod = (await import(scanUrl.href)) as {
        createProcfsScratch(): unknown;
        scanProcfs(o: { procfsPath: string; pidfilePath: string | null }, s: unknown): ProcessSnapshot;
      };
      const scratch = mod.createProcfsScratch();
      const s = await repeat(() => mod.scanProcfs({ procfsPath: PROC, pidfilePath: null }, scratch), opts);
      rows.push(['scanProcfs (the real scan, candidates included)', summarize(s.wall).median, summarize(s.cpu).median]);
    }
    const [, baseWall = 1, baseCpu = 1] = rows[0] ?? [];
    console.log(`${countProcesses()} processes, ${floor.candidates} candidates; medians in ms, and x the C floor`);
    console.log(`${'step'.padEnd(52)} ${'wall'.padStart(7)} ${'x C'.padStart(6)} ${'CPU'.padStart(7)} ${'x C'.padStart(6)}`);
    for (const [name, wall, cpu] of rows) {
      console.log(
        `${name.padEnd(52)} ${wall.toFixed(1).padStart(7)} ${(wall / baseWall).toFixed(2).padStart(6)} ` +
          `${cpu.toFixed(1).padStart(7)} ${(cpu / baseCpu).toFixed(2).padStart(6)}`,
      );
    }
    if (sink < 0) console.log(sink);
  } finally {
    if (idle) {
      await idle.stop();
      const left = await waitGroupGone(idle.pid, 10_000);
      if (left > 0) console.error(`${left} idle processes left behind`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
