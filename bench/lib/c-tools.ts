/**
 * The bench's C helpers, compiled with gcc at run time into build/bench/c/ (never committed): the C
 * floor of the procfs scan, and the idle processes that raise the host's process count.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { listPids } from '../../test/support/proc.js';
import { sleep, statFields, track, untrack, withTimeout } from './programs.js';

export interface CBinaries {
  scanFloor: string;
  spawnIdle: string;
}

/** Compiles bench/c/*.c with gcc -O2 into outDir; throws with gcc's message when that fails. */
export function buildCBinaries(repoRoot: string, outDir: string): CBinaries {
  mkdirSync(outDir, { recursive: true });
  const build = (name: string): string => {
    const out = path.join(outDir, name);
    execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', out, path.join(repoRoot, 'bench', 'c', `${name}.c`)], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    return out;
  };
  return { scanFloor: build('scan-floor'), spawnIdle: build('spawn-idle') };
}

/** Processes (thread-group leaders) currently listed in /proc. */
export const countProcesses = (): number => listPids().length;

/** Every measured scan's wall time and CPU time (user + system), in the order they ran. */
type FloorResult = Record<'pids' | 'candidates', number> & Record<'samples_us' | 'cpu_samples_us', number[]>;

/** Runs the C floor for a bounded number of scans of /proc (after one unmeasured scan). */
export async function runScanFloor(binary: string, iterations: number): Promise<FloorResult> {
  const { stdout } = await promisify(execFile)(binary, [String(iterations), '1'], { timeout: 120_000 });
  return JSON.parse(stdout) as FloorResult;
}

/**
 * Starts spawn-idle: `count` children blocked in pause(), the first `candidates` named containerd-shim.
 * stop() makes it kill and reap them all (a line on its stdin); if it does not answer, it is SIGKILLed
 * by pid and its children die with it (PR_SET_PDEATHSIG).
 */
async function startIdle(binary: string, count: number, candidates: number) {
  const child = spawn(binary, [String(count), String(candidates)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const handle = { killNow: () => void (gone() || child.kill('SIGTERM')) };
  track(handle);
  const first = await withTimeout(lines.next(), 60_000, 'spawn-idle ready').catch(() => ({ done: true as const, value: '' }));
  const ready = first.done ? null : (JSON.parse(first.value) as { event: string; children: number });
  const stop = async (): Promise<void> => {
    untrack(handle);
    if (gone()) return;
    child.stdin?.end('stop\n');
    await withTimeout(lines.next(), 60_000, 'spawn-idle reap')
      .then(() => withTimeout(exited, 5_000, 'spawn-idle exit'))
      .catch(() => (child.kill('SIGKILL'), withTimeout(exited, 5_000, 'spawn-idle exit after SIGKILL').catch(() => undefined)));
  };
  if (ready?.event !== 'ready' || child.pid === undefined) {
    await stop();
    throw new Error(`spawn-idle failed to start ${count} processes`);
  }
  return { pid: child.pid, children: ready.children, stop };
}

/** Processes of process group `pgid` (spawn-idle leads its own group: it and its children, zombies included). */
function countGroup(pgid: number): number {
  const inGroup = (pid: number): boolean => {
    try {
      return Number(statFields(pid)[2]) === pgid;
    } catch {
      return false; // gone meanwhile
    }
  };
  return listPids().filter(inGroup).length;
}

/**
 * Runs `fn` with the host raised to `total` processes by idle children, `perMille` of them named
 * containerd-shim (the candidate path: five more reads each), then reaps them by pid and checks
 * that none is left. `total` 'host' adds none. The candidates have a parent of their own, as shims
 * share the process that adopted them: that parent becomes a root of the rooted scan, the parent of
 * the others does not. Returns fn's result and notes on what went amiss.
 */
export async function withProcesses<T>(
  bins: CBinaries,
  total: number | 'host',
  perMille: number,
  log: (line: string) => void,
  fn: (spawned: number) => Promise<T>,
): Promise<{ result: T; notes: string[] }> {
  const notes: string[] = [];
  const need = total === 'host' ? 0 : total - countProcesses();
  if (total !== 'host' && need <= 0) notes.push(`the host already ran ${countProcesses()} processes; measured as it was`);
  const candidates = Math.round((need * perMille) / 1000);
  if (need > 0) log(`starting ${need} idle processes (${candidates} named containerd-shim)`);
  // Each group is one spawn-idle: [count, of which named containerd-shim].
  const groups = [
    [candidates, candidates],
    [need - candidates, 0],
  ];
  const idle: Array<Awaited<ReturnType<typeof startIdle>>> = [];
  try {
    for (const [count, named] of groups) if (count! > 0) idle.push(await startIdle(bins.spawnIdle, count!, named!));
    return { result: await fn(idle.reduce((a, g) => a + g.children, 0)), notes };
  } finally {
    for (const group of idle) {
      await group.stop();
      let left = countGroup(group.pid);
      for (let i = 0; i < 100 && left > 0; i++, left = countGroup(group.pid)) await sleep(100);
      if (left > 0) notes.push(`${left} idle processes left behind after the reap`);
    }
  }
}
