/**
 * The benchmark's C helpers: compiled with gcc at run time into build/bench/c/ (never committed),
 * the C scan floor, and the idle processes that raise the host's process count.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

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

/** Processes (thread-group leaders) currently listed in procfs. */
export function countProcesses(procfsPath = '/proc'): number {
  let n = 0;
  for (const name of readdirSync(procfsPath)) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

export interface FloorResult {
  iterations: number;
  median_us: number;
  p90_us: number;
  min_us: number;
  max_us: number;
  pids: number;
  candidates: number;
  /** Every measured scan's wall time, in the order they ran. */
  samples_us: number[];
  cpu_median_us: number;
  /** Every measured scan's CPU time (user + system), in the order they ran. */
  cpu_samples_us: number[];
}

/** Runs the C floor (a bounded number of scans) and returns its summary. */
export function runScanFloor(
  binary: string,
  opts: { iterations: number; warmup: number; procfsPath: string; pidfilePath: string | null },
): Promise<FloorResult> {
  const args = ['--iterations', String(opts.iterations), '--warmup', String(opts.warmup), '--procfs', opts.procfsPath];
  if (opts.pidfilePath !== null) args.push('--pidfile', opts.pidfilePath);
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 120_000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout) as FloorResult);
    });
  });
}

/**
 * A running spawn-idle: COUNT children blocked in pause(). stop() makes it kill and reap them all;
 * if it does not answer, it is SIGKILLed by pid and its children die with it (PR_SET_PDEATHSIG).
 */
export class IdleProcesses {
  private constructor(
    readonly pid: number,
    readonly children: number,
    private readonly child: ChildProcess,
    private readonly lines: AsyncIterator<string>,
  ) {}

  static async start(binary: string, count: number, candidates: number, timeoutMs = 60_000): Promise<IdleProcesses> {
    const child = spawn(binary, [String(count), String(candidates)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const pid = child.pid;
    if (pid === undefined) throw new Error('spawn-idle did not start');
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await withTimeout(lines.next(), timeoutMs, 'spawn-idle ready');
    const ready = first.done ? null : (JSON.parse(first.value) as { event: string; children: number });
    if (ready?.event !== 'ready') {
      child.kill('SIGKILL');
      throw new Error(`spawn-idle failed to start ${count} processes (exit before ready)`);
    }
    return new IdleProcesses(pid, ready.children, child, lines);
  }

  /** Asks for the reap (stdin), waits for the confirmation, falls back to SIGKILL by pid. */
  async stop(timeoutMs = 60_000): Promise<{ reaped: number | null; forced: boolean }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return { reaped: null, forced: false };
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin?.end('stop\n');
    try {
      const line = await withTimeout(this.lines.next(), timeoutMs, 'spawn-idle reap');
      await withTimeout(exited, 5_000, 'spawn-idle exit');
      const reaped = line.done ? null : (JSON.parse(line.value) as { children: number }).children;
      return { reaped, forced: false };
    } catch {
      process.kill(this.pid, 'SIGKILL');
      await withTimeout(exited, 5_000, 'spawn-idle exit after SIGKILL').catch(() => undefined);
      return { reaped: null, forced: true };
    }
  }

  /** Last-resort, synchronous: for process exit handlers. */
  killNow(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(this.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Processes whose process group is `pgid` (spawn-idle makes itself a group leader, so these are it and
 * its children, zombies included). Waits up to `timeoutMs` for none to be left; returns how many are.
 */
export async function waitGroupGone(pgid: number, timeoutMs: number, procfsPath = '/proc'): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = countGroup(pgid, procfsPath);
    if (left === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function countGroup(pgid: number, procfsPath: string): number {
  let n = 0;
  for (const name of readdirSync(procfsPath)) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`${procfsPath}/${name}/stat`, 'latin1');
    } catch {
      continue;
    }
    // After the last ')': state ppid pgrp ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) n++;
  }
  return n;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
