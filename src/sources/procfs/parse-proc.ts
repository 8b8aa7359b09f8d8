import { oneLine } from '../../one-line.js';

/**
 * Pure parsers for the /proc files the procfs source reads. Each takes the file's text (or bytes) and
 * returns plain data or throws a MalformedProcFileError with a one-line reason; none does I/O.
 */

export class MalformedProcFileError extends Error {
  /** Which kind of file: `stat`, `status`, `uptime`, `pidfile` (the read-error metric's `file` label). */
  readonly file: string;
  constructor(file: string, reason: string) {
    super(oneLine(`malformed ${file}: ${reason}`));
    this.name = 'MalformedProcFileError';
    this.file = file;
  }
}

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  numThreads: number;
  startTicks: number;
  /**
   * Field 38: the signal the parent gets when it ends; -1 for a thread that is not its group's leader
   * (the kernel sets it so for CLONE_THREAD). /proc/<tid>/stat answers for a thread's id too, so this
   * is how a pid read by number is told from a thread. Null on a line too short to hold it.
   */
  exitSignal: number | null;
}

/**
 * /proc/<pid>/stat. The name sits in parentheses and may itself hold spaces and ")", so it is cut at
 * the LAST ")" (as prometheus/procfs does). Field numbers below are proc(5)'s, counted from 1.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new MalformedProcFileError('stat', 'no "(name)"');
  const pid = toInt(text.slice(0, open).trim(), 'pid');
  const comm = text.slice(open + 1, close);
  // After ") " come fields 3.. : state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
  // cmajflt utime(14) stime(15) cutime cstime priority nice num_threads(20) itrealvalue starttime(22)
  const rest = text
    .slice(close + 2)
    .trim()
    .split(' ');
  if (rest.length < 20) throw new MalformedProcFileError('stat', `only ${rest.length + 2} fields`);
  const field = (n: number): string => rest[n - 3] ?? '';
  const state = field(3);
  if (!/^[A-Za-z]$/.test(state)) throw new MalformedProcFileError('stat', `bad state "${state}"`);
  return {
    pid,
    comm,
    state,
    ppid: toInt(field(4), 'ppid'),
    cpuTicks: toInt(field(14), 'utime') + toInt(field(15), 'stime'),
    numThreads: toInt(field(20), 'num_threads'),
    startTicks: toInt(field(22), 'starttime'),
    exitSignal: rest.length >= 36 ? toInt(field(38), 'exit_signal') : null,
  };
}

export interface ProcStatus {
  /** VmRSS in bytes; absent for zombies and kernel threads. */
  residentBytes: number | null;
  threads: number | null;
}

/** /proc/<pid>/status: only VmRSS (reported in kB whatever the page size) and Threads. */
export function parseProcStatus(text: string): ProcStatus {
  let residentBytes: number | null = null;
  let threads: number | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('VmRSS:')) {
      const m = /^VmRSS:\s+(\d+)\s+kB$/.exec(line.trim());
      if (!m) throw new MalformedProcFileError('status', `bad VmRSS line "${line}"`);
      residentBytes = Number(m[1]) * 1024;
    } else if (line.startsWith('Threads:')) {
      threads = toInt(line.slice('Threads:'.length).trim(), 'Threads', 'status');
    }
  }
  return { residentBytes, threads };
}

/** /proc/<pid>/cmdline: NUL-separated argv, usually NUL-terminated. Empty for zombies and kernel threads. */
export function parseCmdline(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** /proc/uptime: "<uptime seconds> <idle seconds>". */
export function parseUptime(text: string): number {
  const first = text.trim().split(/\s+/)[0] ?? '';
  const value = Number(first);
  if (first === '' || !Number.isFinite(value) || value < 0) {
    throw new MalformedProcFileError('uptime', `bad uptime "${first}"`);
  }
  return value;
}

/** The kernel appends " (deleted)" to an exe link whose binary was replaced (a package upgrade). */
export function cleanExeLink(target: string): string {
  return target.endsWith(' (deleted)') ? target.slice(0, -' (deleted)'.length) : target;
}

/** A pidfile holds a decimal pid and maybe a newline; empty means "no pid". */
export function parsePidfile(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (!/^\d+$/.test(trimmed)) throw new MalformedProcFileError('pidfile', `not a pid: "${trimmed.slice(0, 40)}"`);
  const pid = Number(trimmed);
  if (pid <= 0 || !Number.isSafeInteger(pid)) throw new MalformedProcFileError('pidfile', `not a pid: "${trimmed}"`);
  return pid;
}

/**
 * The gRPC address from a containerd config.toml: `address` under the `[grpc]` table. A small
 * line scanner, not a TOML parser: containerd writes this key as a plain quoted string.
 */
export function parseContainerdConfigAddress(text: string): string | null {
  let inGrpc = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      inGrpc = line === '[grpc]';
      continue;
    }
    if (!inGrpc) continue;
    const m = /^address\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(line);
    if (m) return (m[1] ?? m[2] ?? '') || null;
  }
  return null;
}

function toInt(s: string, what: string, file = 'stat'): number {
  if (!/^-?\d+$/.test(s)) throw new MalformedProcFileError(file, `bad ${what} "${s.slice(0, 20)}"`);
  return Number(s);
}

/** __SO_ACCEPTCON in /proc/net/unix's Flags column: the socket is listening. */
const UNIX_LISTENING_FLAG = 0x10000;

/**
 * /proc/<pid>/net/unix: the paths of listening unix sockets by socket inode, for the inodes in
 * `wanted` (the sockets a daemon holds open). Columns: Num RefCount Protocol Flags Type St Inode Path.
 * A path is chosen by whoever binds the socket and may hold a newline, which can forge a line: an
 * inode that appears on two lines is ambiguous and dropped, never guessed. Abstract sockets (@name)
 * and unnamed ones are skipped: neither is a file a client can dial.
 */
export function parseUnixListeners(text: string, wanted: ReadonlySet<number>): Map<number, string> {
  const found = new Map<number, string | null>();
  for (const line of text.split('\n')) {
    const m = /^[0-9a-fA-F]+: [0-9a-fA-F]+ [0-9a-fA-F]+ ([0-9a-fA-F]+) [0-9a-fA-F]+ [0-9a-fA-F]+\s+(\d+)(?: (.*))?$/.exec(line);
    if (!m) continue;
    const inode = Number(m[2]);
    if (!wanted.has(inode)) continue;
    if (found.has(inode)) {
      found.set(inode, null);
      continue;
    }
    const listening = (parseInt(m[1] ?? '0', 16) & UNIX_LISTENING_FLAG) !== 0;
    const path = m[3] ?? '';
    found.set(inode, listening && path.startsWith('/') ? path : null);
  }
  const out = new Map<number, string>();
  for (const [inode, path] of found) if (path !== null) out.set(inode, path);
  return out;
}

/** An fd link `socket:[12345]` → 12345; null for anything else. */
export function socketInode(link: string): number | null {
  const m = /^socket:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : null;
}

/** The real uid from /proc/<pid>/status's `Uid:` line (real, effective, saved, fs); null when absent. */
export function parseStatusUid(text: string): number | null {
  const m = /^Uid:\s+(\d+)\s/m.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * containerd's gRPC socket among the paths it listens on: containerd always opens its ttrpc socket at
 * the gRPC address + ".ttrpc", so the gRPC socket is the path whose ".ttrpc" twin also listens. With
 * no such pair (an older or patched containerd), the only non-ttrpc path, else null.
 */
export function grpcAddressAmong(paths: readonly string[]): string | null {
  const set = new Set(paths);
  const paired = paths.filter((p) => set.has(`${p}.ttrpc`));
  if (paired.length === 1) return paired[0] ?? null;
  if (paired.length > 1) return null;
  const plain = paths.filter((p) => !p.endsWith('.ttrpc'));
  return plain.length === 1 ? (plain[0] ?? null) : null;
}
