/**
 * The procfs scan: synchronous reads into a reused buffer (~2x faster than readFileSync, 6-7x faster
 * than fs.promises: docs/architecture.md, "Engine behaviour the code relies on"). Every pid costs one read of `comm`; only pids whose comm
 * names an engine binary get the rest read. Run it off the scrape's event loop (procfs-source.ts).
 */
import * as fs from 'node:fs';
import type { ProcessInfo, ProcessSnapshot, ReadError } from '../../engine/process-model.js';
import { CANDIDATE_COMMS } from '../candidate-comms.js';
import {
  MalformedProcFileError,
  cleanExeLink,
  grpcAddressAmong,
  parseCmdline,
  parseContainerdConfigAddress,
  parsePidfile,
  parseProcStat,
  parseProcStatus,
  parseStatusUid,
  parseUnixListeners,
  parseUptime,
  socketInode,
  type ProcStat,
} from './parse-proc.js';
import { containerdAddressFromArgv, flagValue } from '../../engine/argv.js';
import { errnoReadError, isGone } from './read-errors.js';
import { ReadRefused, readTrustedFile } from './trusted-file.js';

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
   * What dockerd's containerd's config file said, by process identity (pid@start): the file is read
   * once per containerd process, not on every poll; a refusal is kept too and counted every poll.
   * Holds only the containerds of the latest scan.
   */
  containerdConfigs: Map<string, ConfigRead>;
  /**
   * The socket paths each daemon (pid@start) was found listening on: a daemon binds its sockets at
   * start, so once found they are not looked up again (dockerd may hold thousands of fds, net/unix
   * thousands of lines); only their files are stat'ed again each poll. Latest scan's daemons only.
   */
  daemonSockets: Map<string, string[]>;
}

interface ConfigRead {
  address: string | null;
  error: ReadError | null;
}

export function createProcfsScratch(): ProcfsScratch {
  return { buffer: Buffer.allocUnsafe(64 * 1024), bootTimeSeconds: null, containerdConfigs: new Map(), daemonSockets: new Map() };
}

/** The exporter's own uid: a rootless engine is watched by its own user. */
const OWN_UID = process.getuid?.() ?? 0;

/** A pidfile holds a pid and a newline. */
const PIDFILE_MAX_BYTES = 4096;

/** Thrown for a read that must be recorded (not a vanished pid). */
class ReadFailure extends Error {
  constructor(readonly error: ReadError) {
    super(error.message);
  }
}

/** Returned (not thrown) when the pid went away under us: normal churn. */
export const VANISHED = Symbol('vanished');

/** One scan in progress: what every pid's read shares, and what it has found so far. */
export interface ScanPass {
  root: string;
  scratch: ProcfsScratch;
  pidfile: { pid: number | null; failed: boolean };
  hostMountNs: string | null;
  processes: ProcessInfo[];
  errors: ReadError[];
  seenSockets: Map<string, string[]>;
  scannedPids: number;
  vanished: number;
}

/** Starts a scan: the boot time (once per scratch), the pidfile and the host's mount namespace. */
export function beginScan(opts: ProcfsScanOptions, scratch: ProcfsScratch): ScanPass {
  const errors: ReadError[] = [];
  const root = opts.procfsPath;
  if (scratch.bootTimeSeconds === null) scratch.bootTimeSeconds = readBootTime(root, scratch, errors);
  const pidfile = readPidfile(opts.pidfilePath, errors);
  const hostMountNs = readLink(`${root}/1/ns/mnt`);
  return { root, scratch, pidfile, hostMountNs, processes: [], errors, seenSockets: new Map(), scannedPids: 0, vanished: 0 };
}

/**
 * Reads one pid's `comm`, and the rest when that names an engine binary. Returns the candidate it
 * added, `null` for a process that is no candidate (or gone, or unreadable: counted in the pass).
 */
export function visitPid(pass: ScanPass, name: string): ProcessInfo | null {
  pass.scannedPids++;
  const dir = `${pass.root}/${name}`;
  try {
    const comm = readSmall(`${dir}/comm`, pass.scratch);
    if (comm === VANISHED) {
      pass.vanished++;
      return null;
    }
    return CANDIDATE_COMMS.has(comm.trimEnd()) ? addCandidate(pass, dir) : null;
  } catch (err) {
    if (err instanceof ReadFailure) pass.errors.push(err.error);
    else throw err;
    return null;
  }
}

/**
 * visitPid reading `stat` instead of `comm` first: the same name, with the start time that lets the
 * rooted scan know the process again on the next poll without reading it. Null when gone or unreadable.
 */
export function visitChild(pass: ScanPass, name: string): { startTicks: number; info: ProcessInfo | null } | null {
  const stat = readStat(pass, name);
  if (stat === null) return null;
  if (!CANDIDATE_COMMS.has(stat.comm.trimEnd())) return { startTicks: stat.startTicks, info: null };
  const info = addCandidateAt(pass, name);
  return info === null ? null : { startTicks: stat.startTicks, info };
}

/** One pid's `stat`, counted as a pid read; null when gone or unreadable (counted in the pass). */
export function readStat(pass: ScanPass, name: string): ProcStat | null {
  pass.scannedPids++;
  try {
    const text = readSmall(`${pass.root}/${name}/stat`, pass.scratch);
    if (text === VANISHED) {
      pass.vanished++;
      return null;
    }
    return parseOrFail(() => parseProcStat(text));
  } catch (err) {
    if (err instanceof ReadFailure) pass.errors.push(err.error);
    else throw err;
    return null;
  }
}

/** Reads a pid whose comm names an engine binary as a candidate; null when gone or unreadable. */
export function addCandidateAt(pass: ScanPass, name: string): ProcessInfo | null {
  try {
    return addCandidate(pass, `${pass.root}/${name}`);
  } catch (err) {
    if (err instanceof ReadFailure) pass.errors.push(err.error);
    else throw err;
    return null;
  }
}

function addCandidate(pass: ScanPass, dir: string): ProcessInfo | null {
  const info = readCandidate(dir, pass.scratch.bootTimeSeconds, pass.scratch, pass.seenSockets, {
    pidfileNamed: pass.pidfile.pid !== null,
    hostMountNs: pass.hostMountNs,
  });
  if (info === VANISHED) {
    pass.vanished++;
    return null;
  }
  pass.processes.push(info);
  return info;
}

/** Ends a scan: keeps the sockets of this scan's daemons, reads dockerd's containerd's config. */
export function finishScan(pass: ScanPass): ProcessSnapshot {
  const { scratch } = pass;
  scratch.daemonSockets = pass.seenSockets;
  addManagedContainerdConfig(pass.root, pass.processes, pass.pidfile.pid, scratch, pass.errors);
  addDaemonAncestry(pass);
  return {
    takenAtMs: Date.now(),
    bootTimeSeconds: scratch.bootTimeSeconds,
    ticksPerSecond: TICKS_PER_SECOND,
    processes: pass.processes,
    scannedPids: pass.scannedPids,
    vanished: pass.vanished,
    errors: pass.errors,
    dockerdPidfilePid: pass.pidfile.pid,
    dockerdPidfileFailed: pass.pidfile.failed,
    hostMountNs: pass.hostMountNs,
  };
}

/** The full scan: every pid directory of procfs. */
export function scanProcfs(opts: ProcfsScanOptions, scratch: ProcfsScratch): ProcessSnapshot {
  // Not being able to list /proc (EMFILE, a vanished mount) is a failed poll, never an empty host:
  // an empty snapshot would report every component down.
  let names: string[];
  try {
    names = fs.readdirSync(opts.procfsPath);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`cannot list ${opts.procfsPath}: ${e.code ?? e.message}`, { cause: err });
  }
  const pass = beginScan(opts, scratch);
  for (const name of names) {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue; // not a pid directory
    visitPid(pass, name);
  }
  return finishScan(pass);
}

function readCandidate(
  dir: string,
  bootTimeSeconds: number | null,
  scratch: ProcfsScratch,
  seenSockets: Map<string, string[]>,
  scan: { pidfileNamed: boolean; hostMountNs: string | null },
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
    startTimeSeconds: bootTimeSeconds === null ? null : Math.round((bootTimeSeconds + stat.startTicks / TICKS_PER_SECOND) * 100) / 100,
    exe: null,
    argv: [],
    cpuSeconds: stat.cpuTicks / TICKS_PER_SECOND,
    residentBytes: null,
    threads: stat.numThreads,
    openFds: null,
    uid: null,
    mountNs: null,
  };
  const statusText = readSmall(`${dir}/status`, scratch);
  if (statusText === VANISHED) return VANISHED;
  // A zombie's status still says whose it was (attribution needs that); its cmdline, exe and fds are
  // gone, and reading an exiting process's cmdline can block.
  if (stat.state === 'Z' || stat.state === 'X') return { ...base, uid: parseStatusUid(statusText) };

  const status = parseOrFail(() => parseProcStatus(statusText));
  const cmdline = readSmall(`${dir}/cmdline`, scratch);
  if (cmdline === VANISHED) return VANISHED;
  const argv = parseCmdline(cmdline);
  const uid = parseStatusUid(statusText);
  const mountNs = readLink(`${dir}/ns/mnt`);
  // Sockets are looked up only for daemons that can be the engine's: root's (or the exporter's own
  // uid, a rootless engine) outside containers. Anyone can name a process containerd, and its net/unix
  // can be made huge. dockerd's sockets only matter without a pidfile (to pick the one serving
  // --docker.host).
  const mayBeEngine = (uid === 0 || uid === OWN_UID) && (scan.hostMountNs === null || mountNs === null || mountNs === scan.hostMountNs);
  const isDaemon = mayBeEngine && (stat.comm === 'containerd' || (stat.comm === 'dockerd' && !scan.pidfileNamed));
  const key = `${stat.pid}@${stat.startTicks}`;
  const knownSockets = isDaemon ? scratch.daemonSockets.get(key) : undefined;
  const fds = readFds(dir, isDaemon && knownSockets === undefined);
  const info: ProcessInfo = {
    ...base,
    argv,
    residentBytes: status.residentBytes,
    threads: status.threads ?? stat.numThreads,
    exe: readExe(dir),
    openFds: fds === null ? null : fds.count,
    uid,
    mountNs,
  };
  if (isDaemon) {
    const paths = knownSockets ?? (fds === null ? null : listeningPaths(dir, fds.sockets, scratch));
    info.listening = paths === null ? null : paths.map((path) => ({ path, fileId: socketFileId(`${dir}/root${path}`) }));
    // containerd binds its ttrpc socket just before its gRPC one: keep looking until both are there.
    if (paths !== null && paths.length > 0 && (stat.comm !== 'containerd' || grpcAddressAmong(paths) !== null)) seenSockets.set(key, paths);
  }
  if (stat.comm === 'containerd') {
    // What containerd itself listens on first; its --address flag next. The config file it names is
    // read later, and only for dockerd's own containerd (addManagedContainerdConfig).
    const fromSockets = info.listening ? grpcAddressAmong(info.listening.map((l) => l.path)) : null;
    info.containerdAddress = fromSockets ?? containerdAddressFromArgv(argv);
  }
  return info;
}

/**
 * The fds: their count, and for a daemon the inodes of its sockets (from the `socket:[N]` links).
 * Null when /proc/<pid>/fd is denied (another user's process without CAP_SYS_PTRACE) or gone.
 */
function readFds(dir: string, wantSockets: boolean): { count: number; sockets: Set<number> } | null {
  let names: string[];
  try {
    names = fs.readdirSync(`${dir}/fd`);
  } catch {
    return null;
  }
  const sockets = new Set<number>();
  if (wantSockets) {
    for (const name of names) {
      const inode = socketInode(readLink(`${dir}/fd/${name}`) ?? '');
      if (inode !== null) sockets.add(inode);
    }
  }
  return { count: names.length, sockets };
}

/**
 * The unix socket paths this process listens on: its socket inodes looked up in its own network
 * namespace's net/unix. Each is stat'ed by the caller through /proc/<pid>/root (the daemon's own view,
 * so the host path resolves from inside a container too) for the file's identity. Null when net/unix
 * cannot be read.
 */
function listeningPaths(dir: string, inodes: ReadonlySet<number>, scratch: ProcfsScratch): string[] | null {
  if (inodes.size === 0) return [];
  let text: string | typeof VANISHED;
  try {
    text = readSmall(`${dir}/net/unix`, scratch);
  } catch {
    return null;
  }
  if (text === VANISHED) return null;
  return [...new Set(parseUnixListeners(text, inodes).values())].sort();
}

/** A pid's state letter from its `stat`; null when it is gone, unreadable or malformed. */
export function pidState(procfsPath: string, pid: number, scratch: ProcfsScratch): string | null {
  try {
    const text = readSmall(`${procfsPath}/${pid}/stat`, scratch);
    return text === VANISHED ? null : parseProcStat(text).state;
  } catch {
    return null;
  }
}

/** `dev:ino` of a socket file; null when it is not there, is not a socket, or cannot be stat'ed. */
export function socketFileId(path: string): string | null {
  try {
    const st = fs.statSync(path);
    return st.isSocket() ? `${st.dev}:${st.ino}` : null;
  } catch {
    return null;
  }
}

function readLink(path: string): string | null {
  try {
    return fs.readlinkSync(path);
  } catch {
    return null;
  }
}

/**
 * The config file of dockerd's own containerd, when neither its sockets nor its flags said where it
 * listens (an exporter without CAP_SYS_PTRACE cannot read its fds). dockerd writes that file itself
 * (`<exec-root>/containerd/containerd.toml`). Read only for the child of the pidfile's dockerd that
 * runs as the same uid in the same mount namespace; any other process that calls itself containerd
 * never has a path it names opened. The read refuses anything but a small regular file owned by root,
 * containerd's uid or the exporter's own (trusted-file.ts), and a refusal is a counted read error.
 */
function addManagedContainerdConfig(
  root: string,
  processes: ProcessInfo[],
  pidfilePid: number | null,
  scratch: ProcfsScratch,
  errors: ReadError[],
): void {
  const seen = new Map<string, ConfigRead>();
  const dockerd = pidfilePid === null ? undefined : processes.find((p) => p.pid === pidfilePid && p.comm === 'dockerd');
  for (const c of processes) {
    if (c.comm !== 'containerd' || c.containerdAddress !== null || c.argv.length === 0) continue;
    const config = flagValue(c.argv, ['--config', '-c']);
    if (config === null || dockerd === undefined || !sameDaemonIdentity(c, dockerd)) continue;
    const key = `${c.pid}@${c.startTicks}`;
    const read = scratch.containerdConfigs.get(key) ?? readContainerdConfig(`${root}/${c.pid}`, config, c.uid as number);
    seen.set(key, read);
    if (read.error) errors.push(read.error);
    c.containerdAddress = read.address;
  }
  scratch.containerdConfigs = seen;
}

/** Longer parent chains than this are not followed (Linux's pid trees are shallow; a loop is a race). */
const MAX_ANCESTRY = 64;

/**
 * Each dockerd and containerd of root (or of the exporter's own uid) gets its chain of parents up to
 * pid 1: a shim of the engine hangs off containerd or off one of these (the process that adopted it
 * when it daemonized), and the rooted scan reads their children. A few `stat` reads per daemon, shared
 * by daemons with common ancestors; none for another user's look-alikes.
 */
function addDaemonAncestry(pass: ScanPass): void {
  const parentOf = new Map<number, number>();
  for (const p of pass.processes) parentOf.set(p.pid, p.ppid);
  for (const p of pass.processes) {
    if ((p.comm !== 'dockerd' && p.comm !== 'containerd') || (p.uid !== 0 && p.uid !== OWN_UID)) continue;
    const chain = ancestry(pass, p.ppid, parentOf);
    if (chain !== null) p.ancestors = chain;
  }
}

/** Pids from `first` up its parents to the top (a pid whose parent is 0); null when a link cannot be read. */
function ancestry(pass: ScanPass, first: number, parentOf: Map<number, number>): number[] | null {
  const chain: number[] = [];
  for (let pid = first; pid > 0;) {
    if (chain.length === MAX_ANCESTRY || chain.includes(pid)) return null;
    chain.push(pid);
    let ppid = parentOf.get(pid);
    if (ppid === undefined) {
      let text: string | typeof VANISHED;
      try {
        text = readSmall(`${pass.root}/${pid}/stat`, pass.scratch);
      } catch {
        return null;
      }
      if (text === VANISHED) return null; // it exited: its children are being re-parented
      try {
        ppid = parseProcStat(text).ppid;
      } catch {
        return null;
      }
      parentOf.set(pid, ppid);
    }
    pid = ppid;
  }
  return chain;
}

/** A child of `dockerd` with its uid and mount namespace (both known and equal). */
function sameDaemonIdentity(c: ProcessInfo, dockerd: ProcessInfo): boolean {
  return c.ppid === dockerd.pid && c.uid != null && c.uid === dockerd.uid && (c.mountNs ?? null) === (dockerd.mountNs ?? null);
}

function readContainerdConfig(dir: string, config: string, uid: number): ConfigRead {
  const path = config.startsWith('/') ? `${dir}/root${config}` : `${dir}/cwd/${config}`;
  try {
    // containerd's uid, or the exporter's own: a file of the user the exporter runs as is no stranger's.
    const text = readTrustedFile(path, { owners: [uid, OWN_UID] });
    return { address: text === null ? null : parseContainerdConfigAddress(text), error: null };
  } catch (err) {
    const why = err instanceof ReadRefused ? err.why : 'io';
    const reason = why === 'permission' ? 'permission' : why === 'io' ? 'io' : 'refused';
    return { address: null, error: { file: 'config', reason, message: err instanceof Error ? err.message : String(err) } };
  }
}

/** The exe link; null when denied (another user's process without CAP_SYS_PTRACE) or gone. */
function readExe(dir: string): string | null {
  try {
    return cleanExeLink(fs.readlinkSync(`${dir}/exe`));
  } catch {
    return null;
  }
}

function readBootTime(root: string, scratch: ProcfsScratch, errors: ReadError[]): number | null {
  try {
    const text = readSmall(`${root}/uptime`, scratch);
    if (text === VANISHED) return null;
    // now - uptime is exact to the centisecond; /proc/stat's btime is whole seconds only.
    return Math.round((Date.now() / 1000 - parseUptime(text)) * 100) / 100;
  } catch (err) {
    errors.push(err instanceof ReadFailure ? err.error : errnoReadError('uptime', err));
    return null;
  }
}

/**
 * The pidfile's pid; `failed` when it exists but could not be read or parsed (not the same as absent).
 * Read the careful way (trusted-file.ts): it picks the watched dockerd, so only a small regular file
 * owned by root (or by the exporter's own uid, for a rootless engine) counts.
 */
function readPidfile(path: string | null, errors: ReadError[]): { pid: number | null; failed: boolean } {
  if (path === null) return { pid: null, failed: false };
  try {
    const text = readTrustedFile(path, { owners: [process.getuid?.() ?? 0], maxBytes: PIDFILE_MAX_BYTES });
    return { pid: text === null ? null : parseOrFail(() => parsePidfile(text)), failed: false };
  } catch (err) {
    if (err instanceof ReadRefused) {
      const reason = err.why === 'permission' ? 'permission' : err.why === 'io' ? 'io' : 'refused';
      errors.push({ file: 'pidfile', reason, message: err.message });
    } else {
      errors.push(err instanceof ReadFailure ? { ...err.error, file: 'pidfile' } : errnoReadError('pidfile', err));
    }
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
export function readSmall(path: string, scratch: ProcfsScratch): string | typeof VANISHED {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    if (isGone(err)) return VANISHED;
    throw new ReadFailure(errnoReadError(fileKind(path), err));
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
    throw new ReadFailure(errnoReadError(fileKind(path), err));
  } finally {
    fs.closeSync(fd);
  }
}

function fileKind(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
