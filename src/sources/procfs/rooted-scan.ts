/**
 * The scan that follows the engine instead of the host (docs/architecture.md, "Finding the engine's
 * processes"). Everything the exporter watches hangs off a few processes: dockerd, containerd, the
 * shims, and the daemons' ancestors (a supervisor that restarts a daemon, the process that adopts a
 * shim once it daemonizes). Between full scans only those roots' children are read, from
 * /proc/<pid>/task/<tid>/children (one file per thread: a child is listed under the thread that forked
 * it), so a poll costs what the engine has, not what the host has.
 *
 * Most polls do not even read those files: the kernel says the last pid it handed out
 * (/proc/loadavg), so a pass reads only the pids handed out since the last one, in the order they
 * were, and keeps those whose parent is a root; a process that existed before cannot have become a
 * root's new child except by being re-parented, and the engine's own are re-read by pid anyway.
 * The children files are read instead when that cannot be trusted or would cost more: the first
 * pass after a full scan (it learns which young children to watch), a pid namespace other than the
 * exporter's (the kernel counts pids per namespace), more new pids than the children files cost,
 * or a gap between polls long enough for the pid space to have turned over.
 *
 * A full scan (every pid's comm, scan-procfs.ts) runs instead at start, on any surprise (the pidfile
 * changed, a long-lived daemon of the last scan is gone, a children file missing or unreadable,
 * no engine daemon seen) and every `fullIntervalMs` as an audit: the audit also runs the rooted pass
 * and reports each candidate the full scan found that the rooted pass missed and that still lives.
 * After every scan the roots are learnt again from what it found, so what an audit found is followed
 * from then on.
 */
import * as fs from 'node:fs';
import type { ProcessInfo, ProcessSnapshot, ScanReport, FullScanReason } from '../../engine/process-model.js';
import { CANDIDATE_COMMS } from '../candidate-comms.js';
import { parseProcStat, type ProcStat } from './parse-proc.js';
import { isGone } from './read-errors.js';
import {
  addCandidateAt,
  beginScan,
  finishScan,
  readSmall,
  readStat,
  scanProcfs,
  visitChild,
  visitPid,
  VANISHED,
  type ProcfsScanOptions,
  type ProcfsScratch,
  type ScanPass,
} from './scan-procfs.js';

export interface EngineScanOptions extends ProcfsScanOptions {
  /** A full scan at least this often, as an audit of the rooted one; 0: every scan is full. */
  fullIntervalMs: number;
  /**
   * The last pid the kernel handed out in the pid namespace of `procfsPath`, or null when it cannot
   * be known. Default: /proc/loadavg's last field, when the exporter is in that namespace (the kernel
   * counts in the reader's). Tests of a private namespace pass their own.
   */
  lastPid?: () => number | null;
}

/** What the rooted scan carries from one poll to the next (the worker keeps one). */
export interface EngineScanState {
  /** null until probed: does this procfs have children files (Linux CONFIG_PROC_CHILDREN)? */
  childrenFiles: boolean | null;
  lastFullMs: number | null;
  /** The pidfile as the last scan read it; a change is a surprise. */
  pidfile: string;
  /** pid 1 and the ancestors of the last scan's engine daemons: their children are read. */
  parents: Set<number>;
  /** Candidates of the last scan that hang off the roots: each read again by pid, wherever it was re-parented to. */
  candidates: Set<number>;
  /**
   * dockerd and containerd of the last scan that can be the engine's (pid@start), each with whether it was older than
   * YOUNG_SECONDS: an old one gone is a surprise. A young one gone is not (look-alikes that come and
   * go would make every poll a full scan); a daemon that dies young is simply not found again.
   */
  daemons: Map<string, boolean>;
  /**
   * Parents ever seen of root's (or the exporter's own uid's) dockerd and containerd, kept while they
   * live: the supervisor that restarts a killed daemon is still read after the daemon is gone.
   */
  supervisors: Set<number>;
  /**
   * Children of roots that were no candidate and older than YOUNG_SECONDS when read, by pid, with
   * their start time: not read again while their parent still lists them. Dropped for any pid a full
   * scan finds to be a candidate.
   */
  settled: Map<number, number>;
  /**
   * A full scan owed to the next poll: a long-lived daemon went missing in a rooted pass. That pass
   * is reported as it is (the daemon down at once, not one full scan of the host later) and the next
   * poll looks for where the daemon's children went.
   */
  fullOwed: FullScanReason | null;
  /** The last pid handed out when the last rooted pass began, and when; null after a full scan. */
  lastPid: { pid: number; atMs: number } | null;
  /** /proc/sys/kernel/pid_max, read once; null when it cannot be. */
  pidMax: number | null;
  /** The default lastPid reader's verdict on the namespace, decided once. */
  ownPidNs: boolean | null;
  /**
   * Children of roots that were no candidate and younger than YOUNG_SECONDS when read, by pid, with
   * their start time: read again by pid on every pass until they are old (exec changes comm).
   */
  young: Map<number, number>;
  /** Files the last pass that read children files read: what reading new pids instead must beat. */
  childrenCost: number;
}

export function createEngineScanState(): EngineScanState {
  return {
    fullOwed: null,
    childrenFiles: null,
    lastFullMs: null,
    pidfile: '',
    parents: new Set(),
    candidates: new Set(),
    daemons: new Map(),
    supervisors: new Set(),
    settled: new Map(),
    lastPid: null,
    pidMax: null,
    ownPidNs: null,
    young: new Map(),
    childrenCost: 0,
  };
}

/** Candidates whose children are read: where engine processes are born. docker-proxy never forks. */
const FOLLOWED_COMMS: ReadonlySet<string> = new Set(['dockerd', 'containerd', 'containerd-shim', 'runc', 'docker-init']);
/** Linux's USER_HZ (as in scan-procfs.ts). */
const TICKS_PER_SECOND = 100;
const DAEMON_COMMS: ReadonlySet<string> = new Set(['dockerd', 'containerd']);
const OWN_UID = process.getuid?.() ?? 0;
/**
 * With no engine daemon found, a full scan at most this often: a host whose engine is stopped pays
 * the host-sized scan every 5 s, not every poll. A daemon started meanwhile under pid 1 or a known
 * supervisor is found at once by the rooted passes in between.
 */
const NO_ENGINE_FULL_EVERY_MS = 5000;
/**
 * exec changes a process's comm without changing its pid: a child is read again on every poll until
 * it is this old. A process that execs an engine binary later than this is seen by the next audit.
 */
export const YOUNG_SECONDS = 30;
/** New pids worth reading one by one even when the children files would cost fewer reads. */
const MIN_NEW_PIDS = 256;
/**
 * More forks a second than any host makes: a gap between two passes in which this many could have
 * turned the whole pid space over (pid_max 32768: 3.2 s; 4194304: 7 min) makes the next pass read
 * children files, since the last pid alone could then not tell 100 new pids from 100 + pid_max.
 */
const MAX_FORKS_PER_MS = 10;
/** Where the kernel starts again when pids wrap (RESERVED_PIDS, kernel/pid.c). */
const FIRST_PID_AFTER_WRAP = 300;

/** Thrown inside a rooted pass: it cannot be trusted, a full scan replaces it. */
class Surprise extends Error {
  constructor(readonly reason: FullScanReason) {
    super(reason);
  }
}

/** One poll's scan: rooted when nothing says otherwise, full (and maybe an audit) when something does. */
export function scanEngine(opts: EngineScanOptions, scratch: ProcfsScratch, state: EngineScanState, nowMs = Date.now()): ProcessSnapshot {
  state.childrenFiles ??= fs.existsSync(`${opts.procfsPath}/1/task/1/children`);
  const lastPid = (opts.lastPid ?? (() => lastPidOfOwnNs(opts.procfsPath, scratch, state)))();
  const fresh = newPids(opts.procfsPath, scratch, state, lastPid, nowMs);
  let reason = fullScanDue(opts, state, nowMs);
  if (reason === null) {
    try {
      const pass = rootedPass(opts, scratch, state, true, nowMs, fresh);
      const snapshot = finishScan(pass);
      learn(state, snapshot, pass, nowMs);
      state.settled = pass.settled;
      state.young = pass.young;
      state.lastPid = lastPid === null ? null : { pid: lastPid, atMs: nowMs };
      return withReport(snapshot, { kind: 'rooted', reason: fresh === null ? 'children' : 'new-pids', missed: [] });
    } catch (err) {
      if (!(err instanceof Surprise)) throw err;
      reason = err.reason;
    }
  }
  const full = scanProcfs(opts, scratch);
  const auditPass = reason === 'audit' ? rootedPassFromBefore(opts, scratch, state, nowMs, fresh) : null;
  state.lastFullMs = nowMs;
  state.fullOwed = null;
  state.lastPid = null; // the next pass reads children files: it learns the young children to watch
  for (const pid of state.supervisors) if (!fs.existsSync(`${opts.procfsPath}/${pid}`)) state.supervisors.delete(pid);
  learn(state, full, null, nowMs);
  const missed = auditPass === null ? [] : auditMissed(opts.procfsPath, scratch, auditPass, full, state.candidates);
  for (const p of full.processes) state.settled.delete(p.pid);
  return withReport(full, { kind: 'full', reason, missed });
}

function withReport(snapshot: ProcessSnapshot, scan: ScanReport): ProcessSnapshot {
  snapshot.scan = scan;
  return snapshot;
}

function fullScanDue(opts: EngineScanOptions, state: EngineScanState, nowMs: number): FullScanReason | null {
  if (state.lastFullMs === null) return 'start';
  if (!state.childrenFiles || opts.fullIntervalMs <= 0) return 'unsupported';
  if (state.fullOwed !== null) return state.fullOwed;
  if (state.daemons.size === 0 && nowMs - state.lastFullMs >= Math.min(NO_ENGINE_FULL_EVERY_MS, opts.fullIntervalMs)) return 'no-engine';
  if (nowMs - state.lastFullMs >= opts.fullIntervalMs) return 'audit';
  return null;
}

/**
 * Reads the roots' new children, and the comm (and, for candidates, the rest) of every one of them,
 * and the new children of every followed candidate found, until nothing new turns up: from `fresh`
 * (the pids handed out since the last pass) when given, else from the roots' children files.
 * `strict`: a daemon of the last scan that is not found again is a surprise (off for the audit's
 * pass, which only compares).
 */
function rootedPass(
  opts: ProcfsScanOptions,
  scratch: ProcfsScratch,
  state: EngineScanState,
  strict: boolean,
  nowMs: number,
  fresh: readonly number[] | null,
): ScanPass & { settled: Map<number, number>; young: Map<number, number> } {
  const pass = beginScan(opts, scratch);
  if (pidfileKey(pass) !== state.pidfile) throw new Surprise('pidfile');
  // pid 1's stat, whatever else is read: a pass on a host with no engine and nothing new may read
  // no other pid, and a scan that saw no process at all means an unreadable procfs (verdict.ts).
  readStat(pass, '1');
  const visited = new Set<number>();
  const followed: number[] = [];
  const bootTime = scratch.bootTimeSeconds;
  const oldBefore = bootTime === null ? -1 : (nowMs / 1000 - YOUNG_SECONDS - bootTime) * TICKS_PER_SECOND;
  // Every candidate of the last scan first, by pid: one whose parent died was re-parented out of sight.
  for (const pid of state.candidates) {
    visited.add(pid);
    const info = visitPid(pass, String(pid));
    if (info !== null && FOLLOWED_COMMS.has(info.comm)) followed.push(pid);
  }
  const found =
    fresh === null
      ? childrenFromFiles(opts.procfsPath, scratch, state, pass, visited, followed, oldBefore)
      : childrenFromNewPids(pass, state, visited, followed, fresh, oldBefore);
  if (strict) {
    const daemons = new Set(pass.processes.filter((p) => DAEMON_COMMS.has(p.comm)).map(identity));
    for (const [key, old] of state.daemons) if (old && !daemons.has(key)) state.fullOwed = 'daemon-gone';
  }
  return { ...pass, ...found };
}

/** What a pass learnt of the roots' children that were no candidate, for the next pass. */
interface ChildrenFound {
  settled: Map<number, number>;
  young: Map<number, number>;
}

/**
 * The roots' children from their children files: pid 1 always (it adopts what daemonizes, such as
 * the first shim of a host that had none: its parent, `containerd-shim-runc-v2 start`, exits at
 * once), the daemons' ancestors, the supervisors, the followed candidates found. Old children that
 * are no candidate are known by (pid, start) and not read again.
 */
function childrenFromFiles(
  root: string,
  scratch: ProcfsScratch,
  state: EngineScanState,
  pass: ScanPass,
  visited: Set<number>,
  followed: number[],
  oldBefore: number,
): ChildrenFound {
  const settled = new Map<number, number>();
  const young = new Map<number, number>();
  const toRead = [...followed, 1, ...state.parents, ...state.supervisors];
  const visit = (pid: number): void => {
    if (visited.has(pid)) return;
    visited.add(pid);
    const start = state.settled.get(pid);
    if (start !== undefined) {
      settled.set(pid, start);
      return;
    }
    const seen = visitChild(pass, String(pid));
    if (seen === null) return;
    if (seen.info === null) (seen.startTicks < oldBefore ? settled : young).set(pid, seen.startTicks);
    else if (FOLLOWED_COMMS.has(seen.info.comm)) toRead.push(pid);
  };
  const read = new Set<number>();
  let files = 0;
  while (toRead.length > 0) {
    const pid = toRead.pop() as number;
    if (read.has(pid)) continue;
    read.add(pid);
    const children = readChildren(root, pid, scratch);
    if (children === null) {
      // Gone. Whatever it left to be re-parented is found anyway: the candidates among its children
      // are read by pid above, and their new parent is a root from the next poll on.
      state.supervisors.delete(pid);
      continue;
    }
    files += children.files;
    for (const child of children.pids) visit(child);
  }
  state.childrenCost = files;
  return { settled, young };
}

/**
 * The roots' new children from the pids handed out since the last pass, oldest first (a parent is
 * met before the children it forked), and the young children of roots of earlier passes, by pid. A
 * thread's id answers like a pid: its exit signal tells it apart. A pid whose parent is no root is
 * not the engine's new child; one that was re-parented to a root was a candidate read by pid, or a
 * young child read by pid, or an old one that the children files would not have read either.
 */
function childrenFromNewPids(
  pass: ScanPass,
  state: EngineScanState,
  visited: Set<number>,
  followed: number[],
  fresh: readonly number[],
  oldBefore: number,
): ChildrenFound {
  const roots = new Set<number>([1, ...state.parents, ...state.supervisors, ...followed]);
  const young = new Map<number, number>();
  const take = (pid: number, stat: ProcStat): void => {
    if (!CANDIDATE_COMMS.has(stat.comm.trimEnd())) {
      if (stat.startTicks >= oldBefore) young.set(pid, stat.startTicks);
      return;
    }
    const info = addCandidateAt(pass, String(pid));
    if (info !== null && FOLLOWED_COMMS.has(info.comm)) roots.add(pid);
  };
  for (const [pid, start] of state.young) {
    if (visited.has(pid)) continue;
    visited.add(pid);
    const stat = readStat(pass, String(pid));
    if (stat !== null && stat.startTicks === start && roots.has(stat.ppid)) take(pid, stat);
  }
  for (const pid of fresh) {
    if (visited.has(pid)) continue;
    visited.add(pid);
    const stat = readStat(pass, String(pid));
    if (stat !== null && stat.exitSignal !== -1 && roots.has(stat.ppid)) take(pid, stat);
  }
  return { settled: new Map(), young };
}

/**
 * The pids handed out since the last rooted pass, in the order the kernel hands them out; null when
 * the children files are to be read instead: no last pid (or none kept: the first pass after a full
 * scan), a gap in which the pid space could have turned over, or more new pids than the children
 * files of the last pass that read them (and MIN_NEW_PIDS).
 */
function newPids(root: string, scratch: ProcfsScratch, state: EngineScanState, lastPid: number | null, nowMs: number): number[] | null {
  const before = state.lastPid;
  if (lastPid === null || before === null || !state.childrenFiles) return null;
  state.pidMax ??= readPidMax(root, scratch);
  const pidMax = state.pidMax;
  if (pidMax === null || (nowMs - before.atMs) * MAX_FORKS_PER_MS >= pidMax || lastPid >= pidMax || before.pid >= pidMax) return null;
  const wrapped = lastPid < before.pid;
  const count = wrapped ? pidMax - 1 - before.pid + Math.max(0, lastPid - FIRST_PID_AFTER_WRAP + 1) : lastPid - before.pid;
  if (count > Math.max(MIN_NEW_PIDS, state.childrenCost)) return null;
  const pids: number[] = [];
  for (let pid = before.pid + 1; pids.length < count; pid++) pids.push(pid >= pidMax ? (pid = FIRST_PID_AFTER_WRAP) : pid);
  return pids;
}

/**
 * /proc/loadavg's last pid, when the exporter is in the pid namespace of `root` (else null): its own
 * status there lists one pid in NSpid (one per namespace from the procfs's down to its own), and
 * `self` does not resolve at all from a namespace the exporter is not in.
 */
function lastPidOfOwnNs(root: string, scratch: ProcfsScratch, state: EngineScanState): number | null {
  state.ownPidNs ??= (() => {
    try {
      const status = readSmall(`${root}/self/status`, scratch);
      const nspid = status === VANISHED ? null : /^NSpid:\s*(.*)$/m.exec(status);
      return nspid?.[1] !== undefined && nspid[1].trim().split(/\s+/).length === 1;
    } catch {
      return false;
    }
  })();
  if (!state.ownPidNs) return null;
  try {
    const text = readSmall(`${root}/loadavg`, scratch);
    const last = text === VANISHED ? NaN : Number(text.trim().split(' ').at(-1));
    return Number.isSafeInteger(last) && last > 0 ? last : null;
  } catch {
    return null;
  }
}

function readPidMax(root: string, scratch: ProcfsScratch): number | null {
  try {
    const text = readSmall(`${root}/sys/kernel/pid_max`, scratch);
    const max = text === VANISHED ? NaN : Number(text.trim());
    return Number.isSafeInteger(max) && max > FIRST_PID_AFTER_WRAP ? max : null;
  } catch {
    return null;
  }
}

/**
 * The pids listed in every thread's children file; null when the process is gone. A thread that ended
 * between the listing and its read may have handed its children to another thread already read: a
 * surprise, as is any error other than the process being gone.
 */
function readChildren(root: string, pid: number, scratch: ProcfsScratch): { pids: number[]; files: number } | null {
  const taskDir = `${root}/${pid}/task`;
  let tids: string[];
  try {
    tids = fs.readdirSync(taskDir);
  } catch (err) {
    if (isGone(err)) return null;
    throw new Surprise('children-error');
  }
  const pids: number[] = [];
  for (const tid of tids) {
    let text: string | typeof VANISHED;
    try {
      text = readSmall(`${taskDir}/${tid}/children`, scratch);
    } catch {
      throw new Surprise('children-error');
    }
    if (text === VANISHED) {
      if (!fs.existsSync(taskDir)) return null; // the whole process ended meanwhile: gone, not a race
      throw new Surprise('children-race');
    }
    for (const word of text.split(' ')) {
      const child = Number(word);
      if (word !== '' && Number.isSafeInteger(child) && child > 0) pids.push(child);
      else if (word.trim() !== '') throw new Surprise('children-error');
    }
  }
  return { pids, files: tids.length + 1 };
}

/** The audit's rooted pass, from the roots as they were before the full scan; null when it hit a surprise. */
function rootedPassFromBefore(
  opts: ProcfsScanOptions,
  scratch: ProcfsScratch,
  state: EngineScanState,
  nowMs: number,
  fresh: readonly number[] | null,
): ScanPass | null {
  try {
    return rootedPass(opts, scratch, state, false, nowMs, fresh);
  } catch (err) {
    if (err instanceof Surprise) return null; // the roots were stale anyway: nothing to compare
    throw err;
  }
}

/**
 * Candidates of the full scan that hang where the engine's processes hang (`inTree`: a look-alike
 * under some other program is no miss, it is not the engine's), that the audit's rooted pass did not
 * find, and that still live with the same start time (one that exited in between was not missed).
 */
function auditMissed(
  root: string,
  scratch: ProcfsScratch,
  pass: ScanPass,
  full: ProcessSnapshot,
  inTree: ReadonlySet<number>,
): ScanReport['missed'] {
  const found = new Set(pass.processes.map(identity));
  const missed: ScanReport['missed'] = [];
  for (const p of full.processes) {
    if (!inTree.has(p.pid) || found.has(identity(p)) || !stillLives(root, p, scratch)) continue;
    missed.push({ pid: p.pid, ppid: p.ppid, comm: p.comm });
  }
  return missed;
}

function stillLives(root: string, p: ProcessInfo, scratch: ProcfsScratch): boolean {
  try {
    const text = readSmall(`${root}/${p.pid}/stat`, scratch);
    return text !== VANISHED && parseProcStat(text).startTicks === p.startTicks;
  } catch {
    return false;
  }
}

/**
 * The roots for the next rooted pass, from what this scan found: pid 1, the engine's daemons' ancestors
 * (whoever started them, and whoever adopts their shims: an orphan goes to its nearest subreaper
 * ancestor or to init) and every parent ever seen of one of them. Look-alikes elsewhere (another
 * user's, one in a container, one under some program) add no root and are not read again by pid: a
 * decoy costs the full scans' reads of it, no more.
 */
function learn(state: EngineScanState, snapshot: ProcessSnapshot, pass: ScanPass | null, nowMs: number): void {
  state.pidfile =
    pass === null
      ? pidfileKey({ pidfile: { pid: snapshot.dockerdPidfilePid, failed: snapshot.dockerdPidfileFailed === true } })
      : pidfileKey(pass);
  state.parents = new Set([1]);
  state.daemons = new Map();
  const youngAfter = nowMs / 1000 - YOUNG_SECONDS;
  const hostNs = snapshot.hostMountNs ?? null;
  for (const p of snapshot.processes) {
    if (!mayBeEngineDaemon(p, hostNs)) continue;
    state.daemons.set(identity(p), p.startTimeSeconds === null || p.startTimeSeconds < youngAfter);
    for (const pid of p.ancestors ?? [p.ppid]) if (pid > 0) state.parents.add(pid);
    if (p.ppid > 0) state.supervisors.add(p.ppid);
  }
  // A rooted pass found only what hangs off the roots; of a full scan, keep what would have been found.
  state.candidates = new Set((pass === null ? inTree(snapshot.processes, hostNs, state) : snapshot.processes).map((p) => p.pid));
}

/** dockerd or containerd that can be the engine's: root's (or the exporter's own uid's), not in a container. */
function mayBeEngineDaemon(p: ProcessInfo, hostNs: string | null): boolean {
  return DAEMON_COMMS.has(p.comm) && (p.uid === 0 || p.uid === OWN_UID) && (hostNs === null || p.mountNs == null || p.mountNs === hostNs);
}

/**
 * The candidates of a full scan that a rooted pass from these roots reaches: the engine's daemons,
 * children of a root, and children of those of them that are followed, transitively.
 */
function inTree(processes: readonly ProcessInfo[], hostNs: string | null, state: EngineScanState): ProcessInfo[] {
  const reached = new Set<number>();
  const followed = new Set<number>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of processes) {
      if (reached.has(p.pid)) continue;
      if (!mayBeEngineDaemon(p, hostNs) && !state.parents.has(p.ppid) && !state.supervisors.has(p.ppid) && !followed.has(p.ppid)) continue;
      reached.add(p.pid);
      if (FOLLOWED_COMMS.has(p.comm)) followed.add(p.pid);
      grew = true;
    }
  }
  return processes.filter((p) => reached.has(p.pid));
}

function pidfileKey(pass: Pick<ScanPass, 'pidfile'>): string {
  return `${pass.pidfile.pid ?? ''}/${pass.pidfile.failed}`;
}

function identity(p: ProcessInfo): string {
  return `${p.pid}@${p.startTicks ?? ''}`;
}
