/**
 * Small, synchronous /proc readers for the test harness. Deliberately independent of src/: the
 * harness is the ground truth the exporter is compared against, so it must not share its parser.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  /** Single-letter state: R, S, D, Z, T, t, X, I … */
  state: string;
  ppid: number;
  /** PF_* flags (stat field 9). */
  flags: number;
  /** Start time in clock ticks since boot (stat field 22). */
  startTicks: number;
}

const PF_KTHREAD = 0x00200000;

/** Parses one /proc/<pid>/stat line; the name may hold spaces and ')' so we split at the last ')'. */
export function parseStatLine(line: string): ProcStat | null {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(line.slice(0, open).trim());
  const comm = line.slice(open + 1, close);
  const rest = line.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3].
  const state = rest[0];
  const ppid = Number(rest[1]);
  const flags = Number(rest[6]);
  const startTicks = Number(rest[19]);
  if (state === undefined || !Number.isFinite(pid) || !Number.isFinite(ppid)) return null;
  return { pid, comm, state, ppid, flags, startTicks };
}

export function readProcStat(pid: number, procRoot = '/proc'): ProcStat | null {
  try {
    return parseStatLine(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Waits until `pid` runs `comm` and sleeps (state S): a child just spawned is the parent's copy or
 * in execve first, and on a loaded machine loading the binary can take long, in state D. A fixed
 * delay is a guess that fails there. Throws after `timeoutMs`.
 */
export async function untilAsleep(pid: number, comm: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stat = readProcStat(pid);
    if (stat?.comm === comm && stat.state === 'S') return;
    if (Date.now() > deadline) throw new Error(`pid ${pid} is not ${comm} asleep after ${timeoutMs} ms: ${JSON.stringify(stat)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The state letter of a process, or null when it does not exist (any more). */
export function readProcStatState(pid: number): string | null {
  return readProcStat(pid)?.state ?? null;
}

/** True while the pid exists and is not a zombie (or dead). */
export function isAlive(pid: number): boolean {
  const s = readProcStatState(pid);
  return s !== null && s !== 'Z' && s !== 'X';
}

export function isKernelThread(stat: ProcStat): boolean {
  return (stat.flags & PF_KTHREAD) !== 0 || stat.pid === 2 || stat.ppid === 2;
}

export function listPids(procRoot = '/proc'): number[] {
  const pids: number[] = [];
  for (const name of readdirSync(procRoot)) {
    if (/^[0-9]+$/.test(name)) pids.push(Number(name));
  }
  return pids.sort((a, b) => a - b);
}

/** argv of a process; [] for a zombie, a kernel thread, or a process that is gone. */
export function readCmdline(pid: number): string[] {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (raw === '') return [];
    const parts = raw.split('\0');
    if (parts[parts.length - 1] === '') parts.pop();
    return parts;
  } catch {
    return [];
  }
}

/** The resolved exe link with " (deleted)" removed, or null when unreadable. */
export function readExe(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    return null;
  }
}

/** ppid of every live process, read in one pass. */
export function processTable(): Map<number, ProcStat> {
  const table = new Map<number, ProcStat>();
  for (const pid of listPids()) {
    const st = readProcStat(pid);
    if (st) table.set(pid, st);
  }
  return table;
}

/** All descendants of pid (children, grandchildren, …), not pid itself, in breadth-first order. */
export function descendants(pid: number, table: Map<number, ProcStat> = processTable()): number[] {
  const children = new Map<number, number[]>();
  for (const st of table.values()) {
    const list = children.get(st.ppid);
    if (list) list.push(st.pid);
    else children.set(st.ppid, [st.pid]);
  }
  const out: number[] = [];
  const queue = [pid];
  const seen = new Set<number>([pid]);
  while (queue.length > 0) {
    const cur = queue.shift() as number;
    for (const child of children.get(cur) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** Direct children of pid. */
export function children(pid: number, table: Map<number, ProcStat> = processTable()): number[] {
  return [...table.values()].filter((st) => st.ppid === pid).map((st) => st.pid);
}

let cachedClkTck: number | null = null;
/** Clock ticks per second (getconf CLK_TCK; 100 on Linux). */
export function clkTck(): number {
  if (cachedClkTck === null) {
    try {
      cachedClkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim()) || 100;
    } catch {
      cachedClkTck = 100;
    }
  }
  return cachedClkTck;
}

/** Boot time in Unix seconds to the centisecond: now − /proc/uptime (btime in /proc/stat is whole seconds). */
export function bootTimeSeconds(): number {
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Date.now() / 1000 - uptime;
}

/** Unix time (seconds, fractional) at which pid started, or null when it is gone. */
export function processStartTimeSeconds(pid: number): number | null {
  const st = readProcStat(pid);
  if (!st) return null;
  return bootTimeSeconds() + st.startTicks / clkTck();
}

/** Value following `flag` in argv, accepting both `-flag value` and `-flag=value` (and `--flag`). */
export function argValue(argv: readonly string[], flag: string): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === flag) return argv[i + 1] ?? null;
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return null;
}

/** Blocks the thread for ms milliseconds (for the synchronous exit-time cleanup only). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
