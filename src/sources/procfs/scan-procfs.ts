/**
 * The procfs scan: synchronous reads into a reused buffer (ENGINE-FACTS: ~2x faster than
 * readFileSync, 6-7x faster than fs.promises). Every pid costs one read of `comm`; only pids whose comm
 * names an engine binary get the rest read. Run it off the scrape's event loop (procfs-source.ts).
 */
import * as fs from 'node:fs';
import type { ProcessInfo, ProcessSnapshot, ReadError } from '../process-source.js';
import { CANDIDATE_COMMS } from '../candidate-comms.js';
import {
  MalformedProcFileError,
  cleanExeLink,
  containerdAddressFromArgv,
  flagValue,
  parseCmdline,
  parseContainerdConfigAddress,
  parsePidfile,
  parseProcStat,
  parseProcStatus,
  parseUptime,
} from './parse-proc.js';

export interface ProcfsScanOptions {
  /** Where procfs is mounted: /proc, or the host's /proc mounted into a container. */
  procfsPath: string;
  /** dockerd's pidfile on the filesystem the exporter sees; null to not read one. */
  pidfilePath: string | null;
}

/** Linux's USER_HZ; the same on every architecture Docker ships for. */
const TICKS_PER_SECOND = 100;

/** Per-source scratch space: a buffer reused across reads, the boot time measured once, cached addresses. */
export interface ProcfsScratch {
  buffer: Buffer;
  bootTimeSeconds: number | null;
  /**
   * containerd's gRPC address by process identity (pid@start): its config file is read once per
   * containerd process, not on every poll. Holds only the containerds of the latest scan.
   */
  containerdAddresses: Map<string, string | null>;
}

export function createProcfsScratch(): ProcfsScratch {
  return { buffer: Buffer.allocUnsafe(64 * 1024), bootTimeSeconds: null, containerdAddresses: new Map() };
}

/** Thrown for a read that must be recorded (not a vanished pid). */
class ReadFailure extends Error {
  constructor(readonly error: ReadError) {
    super(error.message);
  }
}

/** Returned (not thrown) when the pid went away under us: normal churn. */
const VANISHED = Symbol('vanished');

export function scanProcfs(opts: ProcfsScanOptions, scratch: ProcfsScratch): ProcessSnapshot {
  const errors: ReadError[] = [];
  const root = opts.procfsPath;
  if (scratch.bootTimeSeconds === null) scratch.bootTimeSeconds = readBootTime(root, scratch, errors);

  // Not being able to list /proc (EMFILE, a vanished mount) is a failed poll, never an empty host:
  // an empty snapshot would report every component down.
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`cannot list ${root}: ${e.code ?? e.message}`);
  }

  const processes: ProcessInfo[] = [];
  const seenContainerds = new Map<string, string | null>();
  let scannedPids = 0;
  let vanished = 0;
  for (const name of names) {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue; // not a pid directory
    scannedPids++;
    const dir = `${root}/${name}`;
    try {
      const comm = readSmall(`${dir}/comm`, scratch);
      if (comm === VANISHED) {
        vanished++;
        continue;
      }
      if (!CANDIDATE_COMMS.has(comm.trimEnd())) continue;
      const info = readCandidate(dir, scratch.bootTimeSeconds, scratch, seenContainerds);
      if (info === VANISHED) vanished++;
      else processes.push(info);
    } catch (err) {
      if (err instanceof ReadFailure) errors.push(err.error);
      else throw err;
    }
  }

  scratch.containerdAddresses = seenContainerds;
  const pidfile = readPidfile(opts.pidfilePath, scratch, errors);
  return {
    takenAtMs: Date.now(),
    bootTimeSeconds: scratch.bootTimeSeconds,
    ticksPerSecond: TICKS_PER_SECOND,
    processes,
    scannedPids,
    vanished,
    errors,
    dockerdPidfilePid: pidfile.pid,
    dockerdPidfileFailed: pidfile.failed,
  };
}

function readCandidate(
  dir: string,
  bootTimeSeconds: number | null,
  scratch: ProcfsScratch,
  seenContainerds: Map<string, string | null>,
): ProcessInfo | typeof VANISHED {
  const statText = readSmall(`${dir}/stat`, scratch);
  if (statText === VANISHED) return VANISHED;
  const stat = parseOrFail(() => parseProcStat(statText));
  const base: ProcessInfo = {
    pid: stat.pid,
    ppid: stat.ppid,
    comm: stat.comm,
    state: stat.state,
    startTicks: stat.startTicks,
    startTimeSeconds:
      bootTimeSeconds === null ? null : Math.round((bootTimeSeconds + stat.startTicks / TICKS_PER_SECOND) * 100) / 100,
    exe: null,
    argv: [],
    cpuSeconds: stat.cpuTicks / TICKS_PER_SECOND,
    residentBytes: null,
    threads: stat.numThreads,
    openFds: null,
  };
  // A zombie has nothing more to read, and reading an exiting process's cmdline can block.
  if (stat.state === 'Z' || stat.state === 'X') return base;

  const statusText = readSmall(`${dir}/status`, scratch);
  if (statusText === VANISHED) return VANISHED;
  const status = parseOrFail(() => parseProcStatus(statusText));
  const cmdline = readSmall(`${dir}/cmdline`, scratch);
  if (cmdline === VANISHED) return VANISHED;
  const argv = parseCmdline(cmdline);
  const info: ProcessInfo = {
    ...base,
    argv,
    residentBytes: status.residentBytes,
    threads: status.threads ?? stat.numThreads,
    exe: readExe(dir),
    openFds: countFds(dir),
  };
  if (stat.comm === 'containerd') {
    const key = `${stat.pid}@${stat.startTicks}`;
    const known = scratch.containerdAddresses.get(key);
    info.containerdAddress = known !== undefined ? known : containerdAddress(dir, argv, scratch);
    seenContainerds.set(key, info.containerdAddress);
  }
  return info;
}

/** The exe link; null when denied (another user's process without CAP_SYS_PTRACE) or gone. */
function readExe(dir: string): string | null {
  try {
    return cleanExeLink(fs.readlinkSync(`${dir}/exe`));
  } catch {
    return null;
  }
}

/** Open fds; null when /proc/<pid>/fd is denied or the process went away. */
function countFds(dir: string): number | null {
  try {
    return fs.readdirSync(`${dir}/fd`).length;
  } catch {
    return null;
  }
}

/**
 * containerd's gRPC address: its --address flag, else the `[grpc] address` of its --config file
 * (read through /proc/<pid>/root so a host path resolves from inside a container), else null.
 */
function containerdAddress(dir: string, argv: string[], scratch: ProcfsScratch): string | null {
  const fromFlag = containerdAddressFromArgv(argv);
  if (fromFlag !== null) return fromFlag;
  const config = flagValue(argv, ['--config', '-c']);
  if (config === null) return null;
  for (const path of config.startsWith('/') ? [`${dir}/root${config}`, config] : [`${dir}/cwd/${config}`]) {
    try {
      const text = readSmall(path, scratch);
      if (text === VANISHED) continue;
      return parseContainerdConfigAddress(text);
    } catch {
      // unreadable through this path; try the next
    }
  }
  return null;
}

function readBootTime(root: string, scratch: ProcfsScratch, errors: ReadError[]): number | null {
  try {
    const text = readSmall(`${root}/uptime`, scratch);
    if (text === VANISHED) return null;
    // now - uptime is exact to the centisecond; /proc/stat's btime is whole seconds only.
    return Math.round((Date.now() / 1000 - parseUptime(text)) * 100) / 100;
  } catch (err) {
    errors.push(err instanceof ReadFailure ? err.error : toReadError('uptime', err));
    return null;
  }
}

/** The pidfile's pid; `failed` when it exists but could not be read or parsed (not the same as absent). */
function readPidfile(
  path: string | null,
  scratch: ProcfsScratch,
  errors: ReadError[],
): { pid: number | null; failed: boolean } {
  if (path === null) return { pid: null, failed: false };
  try {
    const text = readSmall(path, scratch);
    return { pid: text === VANISHED ? null : parseOrFail(() => parsePidfile(text)), failed: false };
  } catch (err) {
    errors.push(err instanceof ReadFailure ? { ...err.error, file: 'pidfile' } : toReadError('pidfile', err));
    return { pid: null, failed: true };
  }
}

function parseOrFail<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof MalformedProcFileError) {
      throw new ReadFailure({ file: err.file, reason: 'malformed', message: err.message });
    }
    throw err;
  }
}

/**
 * Reads a whole file into the scratch buffer (growing it for a long cmdline) and decodes it.
 * ENOENT/ESRCH mean the process exited: VANISHED. Other errors throw a ReadFailure.
 */
function readSmall(path: string, scratch: ProcfsScratch): string | typeof VANISHED {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    if (isGone(err)) return VANISHED;
    throw new ReadFailure(toReadError(fileKind(path), err));
  }
  try {
    let length = 0;
    for (;;) {
      if (length === scratch.buffer.length) {
        const bigger = Buffer.allocUnsafe(scratch.buffer.length * 2);
        scratch.buffer.copy(bigger, 0, 0, length);
        scratch.buffer = bigger;
      }
      const n = fs.readSync(fd, scratch.buffer, length, scratch.buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return scratch.buffer.toString('utf8', 0, length);
  } catch (err) {
    if (isGone(err)) return VANISHED;
    throw new ReadFailure(toReadError(fileKind(path), err));
  } finally {
    fs.closeSync(fd);
  }
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

function fileKind(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function toReadError(file: string, err: unknown): ReadError {
  const e = err as NodeJS.ErrnoException;
  const reason = e.code === 'EACCES' || e.code === 'EPERM' ? 'permission' : 'io';
  return { file, reason, message: `${file}: ${e.code ?? ''} ${e.message}`.trim() };
}
