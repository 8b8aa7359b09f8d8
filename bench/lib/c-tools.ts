/**
 * The bench's C helpers, compiled with gcc at run time into build/bench/c/ (never committed): the C
 * floor of the procfs scan, and the idle processes that raise the host's process count.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { sleep, track, untrack, withTimeout } from './programs.js';

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

const isPid = (name: string): boolean => name.charCodeAt(0) >= 48 && name.charCodeAt(0) <= 57;

/** Processes (thread-group leaders) currently listed in /proc. */
export function countProcesses(): number {
  return readdirSync('/proc').filter(isPid).length;
}

export interface FloorResult {
  pids: number;
  candidates: number;
  /** Every measured scan's wall time and CPU time (user + system), in the order they ran. */
  samples_us: number[];
  cpu_samples_us: number[];
}

/** Runs the C floor for a bounded number of scans of /proc. */
export function runScanFloor(binary: string, iterations: number): Promise<FloorResult> {
  const args = ['--iterations', String(iterations), '--warmup', '1', '--procfs', '/proc'];
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 120_000 }, (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as FloorResult)));
  });
}

/**
 * A running spawn-idle: children blocked in pause(). stop() makes it kill and reap them all; if it
 * does not answer, it is SIGKILLed by pid and its children die with it (PR_SET_PDEATHSIG).
 */
class IdleProcesses {
  private constructor(
    readonly pid: number,
    readonly children: number,
    private readonly child: ChildProcess,
    private readonly lines: AsyncIterator<string>,
  ) {}

  static async start(binary: string, count: number, candidates: number): Promise<IdleProcesses> {
    const child = spawn(binary, [String(count), String(candidates)], { stdio: ['pipe', 'pipe', 'inherit'] });
    if (child.pid === undefined) throw new Error('spawn-idle did not start');
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await withTimeout(lines.next(), 60_000, 'spawn-idle ready');
    const ready = first.done ? null : (JSON.parse(first.value) as { event: string; children: number });
    if (ready?.event !== 'ready') {
      child.kill('SIGKILL');
      throw new Error(`spawn-idle failed to start ${count} processes (exit before ready)`);
    }
    return new IdleProcesses(child.pid, ready.children, child, lines);
  }

  /** Asks for the reap (stdin), waits for the confirmation, falls back to SIGKILL by pid. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin?.end('stop\n');
    try {
      await withTimeout(this.lines.next(), 60_000, 'spawn-idle reap');
      await withTimeout(exited, 5_000, 'spawn-idle exit');
    } catch {
      process.kill(this.pid, 'SIGKILL');
      await withTimeout(exited, 5_000, 'spawn-idle exit after SIGKILL').catch(() => undefined);
    }
  }

  killNow(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }
}

/** Processes of process group `pgid` (spawn-idle leads its own group: it and its children, zombies included). */
function countGroup(pgid: number): number {
  let n = 0;
  for (const name of readdirSync('/proc').filter(isPid)) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      // After the last ')': state ppid pgrp ...
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

/**
 * Runs `fn` with the host raised to `total` processes by idle children, `perMille` of them named
 * containerd-shim (the candidate path: five more reads each), then reaps them by pid and checks
 * that none is left. `total` 'host' adds none. Returns fn's result and notes on what went amiss.
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
  let idle: IdleProcesses | null = null;
  try {
    if (need > 0) {
      const candidates = Math.round((need * perMille) / 1000);
      log(`starting ${need} idle processes (${candidates} named containerd-shim)`);
      idle = await IdleProcesses.start(bins.spawnIdle, need, candidates);
      track(idle);
    }
    return { result: await fn(idle?.children ?? 0), notes };
  } finally {
    if (idle) {
      await idle.stop();
      untrack(idle);
      let left = countGroup(idle.pid);
      for (let i = 0; i < 100 && left > 0; i++, left = countGroup(idle.pid)) await sleep(100);
      if (left > 0) notes.push(`${left} idle processes left behind after the reap`);
    }
  }
}
