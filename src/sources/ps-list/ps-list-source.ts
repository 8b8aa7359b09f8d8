/**
 * The portable fallback source (--process.source=ps-list): runs `ps` through the ps-list package.
 * It cannot see CPU seconds, memory, threads or fds, so those stay null (never estimated), and its
 * start times have one-second resolution. With busybox `ps` it returns nothing: an empty scan of a
 * host that surely has processes is reported as an error rather than as "everything is down".
 *
 * For attribution it gives each process's uid but not its mount namespace nor its listening sockets:
 * with this source a root process inside a container (with the host's pid namespace) that names the
 * engine's socket cannot be told from the engine's own, and containerd's socket is taken from its
 * --address flag or the default, never from a config file.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import psList from 'ps-list';
import type { ProcessSource } from '../process-source.js';
import type { ProcessInfo, ProcessSnapshot, ReadError } from '../../engine/process-model.js';
import { CANDIDATE_COMMS } from '../candidate-comms.js';
import { parsePidfile } from '../procfs/parse-proc.js';
import { containerdAddressFromArgv } from '../../engine/argv.js';

export interface PsListSourceOptions {
  pidfilePath: string | null;
}

/** The slice of ps-list's ProcessDescriptor that this source uses. */
export interface PsListEntry {
  pid: number;
  ppid: number;
  name: string;
  cmd?: string;
  path?: string;
  startTime?: Date;
  /** Absent when ps could not say (never taken for root). */
  uid?: number;
}

export function createPsListSource(opts: PsListSourceOptions): ProcessSource {
  return {
    name: 'ps-list',
    async scan(): Promise<ProcessSnapshot> {
      const errors: ReadError[] = [];
      // A failed or empty listing is a failed poll, never an empty host (everything would look down).
      const entries: PsListEntry[] = await psList({ all: true });
      if (entries.length === 0) throw new Error('ps listed no processes (busybox ps is not supported)');
      const snapshot = psListSnapshot(entries, Date.now());
      const pidfile = await readPidfile(opts.pidfilePath);
      if (pidfile.error) errors.push(pidfile.error);
      return {
        ...snapshot,
        errors: [...errors, ...snapshot.errors],
        dockerdPidfilePid: pidfile.pid,
        dockerdPidfileFailed: pidfile.error !== undefined,
      };
    },
    async close(): Promise<void> {},
  };
}

/** Pure: ps-list entries to a snapshot of the candidate processes. */
export function psListSnapshot(entries: readonly PsListEntry[], takenAtMs: number): ProcessSnapshot {
  const processes: ProcessInfo[] = [];
  const parentOf = new Map<number, number>();
  for (const entry of entries) {
    parentOf.set(entry.pid, entry.ppid);
    const info = toProcessInfo(entry);
    if (info) processes.push(info);
  }
  for (const p of processes) {
    if (p.comm === 'dockerd' || p.comm === 'containerd') {
      const chain = ancestry(p.ppid, parentOf);
      if (chain !== null) p.ancestors = chain;
    }
  }
  return {
    takenAtMs,
    bootTimeSeconds: null,
    ticksPerSecond: 100,
    processes,
    scannedPids: entries.length,
    vanished: 0,
    errors: [],
    dockerdPidfilePid: null,
  };
}

/** The daemon's parents up to the top of the listing (as scan-procfs.ts); null when a link is missing. */
function ancestry(first: number, parentOf: ReadonlyMap<number, number>): number[] | null {
  const chain: number[] = [];
  for (let pid = first; pid > 0;) {
    if (chain.includes(pid)) return null;
    chain.push(pid);
    const ppid = parentOf.get(pid);
    if (ppid === undefined) return null;
    pid = ppid;
  }
  return chain;
}

function toProcessInfo(entry: PsListEntry): ProcessInfo | null {
  const cmd = entry.cmd ?? '';
  const defunct = cmd.endsWith('<defunct>');
  // ps's args column joins argv with spaces; an argument holding a space cannot be recovered.
  const argv = defunct || cmd === '' ? [] : cmd.split(' ');
  const exe = entry.path ? entry.path : null;
  const comm = (exe ? basename(exe) : basename(argv[0] ?? entry.name)).slice(0, 15);
  if (!CANDIDATE_COMMS.has(comm) && !CANDIDATE_COMMS.has(entry.name.slice(0, 15))) return null;
  const info: ProcessInfo = {
    pid: entry.pid,
    ppid: entry.ppid,
    comm,
    state: defunct ? 'Z' : null,
    startTicks: null,
    startTimeSeconds: entry.startTime ? Math.floor(entry.startTime.getTime() / 1000) : null,
    exe,
    argv,
    cpuSeconds: null,
    residentBytes: null,
    threads: null,
    openFds: null,
    uid: entry.uid ?? null,
    mountNs: null,
  };
  if (comm === 'containerd') info.containerdAddress = containerdAddressFromArgv(argv);
  return info;
}

async function readPidfile(path: string | null): Promise<{ pid: number | null; error?: ReadError }> {
  if (path === null) return { pid: null };
  try {
    return { pid: parsePidfile(await readFile(path, 'utf8')) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return { pid: null };
    const reason = e.code === 'EACCES' || e.code === 'EPERM' ? 'permission' : e.code ? 'io' : 'malformed';
    return { pid: null, error: { file: 'pidfile', reason, message: `pidfile ${path}: ${e.message}` } };
  }
}
