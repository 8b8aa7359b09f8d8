/**
 * The headroom reads of the engine's processes (src/engine/headroom.ts says what they are for),
 * synchronous, for the scan worker: they run in the same thread as the procfs scan, behind the same
 * blocked-read guard (procfs-source.ts). Only the processes the request names are read: the attributed
 * engine's, never the whole host. The statfs of its places runs elsewhere (storage-statfs.ts): a hung
 * filesystem would block this thread, and every scan behind it, until it answered.
 */
import * as fs from 'node:fs';
import type { CgroupPids, HeadroomReadings, HeadroomRequest, HeadroomTarget, ProcessHeadroom } from '../../engine/headroom.js';
import type { ReadError } from '../../engine/process-model.js';
import { MalformedProcFileError, parseProcStat } from './parse-proc.js';
import { errnoReadError, isGone } from './read-errors.js';
import { cgroupAncestry, parseCount, parsePidsMax, parseSoftNofile, pidsCgroupOf, taskStatState } from './parse-headroom.js';

export interface HeadroomPaths {
  procfsPath: string;
  /** The host's root (--path.rootfs): its /sys/fs/cgroup and the engine's places are reached under it. */
  rootfsPath: string;
}

/** Returned when the process (or thread) went away under us: normal churn, not an error. */
const GONE = Symbol('gone');

const buffer = Buffer.allocUnsafe(16 * 1024);

/** What the scan's thread reads; the places' statfs is storage-statfs.ts's. */
export type ProcessHeadroomReadings = Omit<HeadroomReadings, 'storage'>;

export function readHeadroom(paths: HeadroomPaths, request: Pick<HeadroomRequest, 'processes'>): ProcessHeadroomReadings {
  const errors: ReadError[] = [];
  const processes: ProcessHeadroom[] = [];
  const root = paths.rootfsPath === '/' ? '' : paths.rootfsPath.replace(/\/+$/, '');
  for (const target of request.processes) {
    try {
      const read = readProcess(`${paths.procfsPath}/${target.pid}`, target, `${root}/sys/fs/cgroup`, errors);
      if (read !== GONE) processes.push(read);
    } catch (err) {
      errors.push(toReadError(err, 'limits'));
    }
  }
  const kernelCount = (name: string): number | null => {
    try {
      const text = readText(`${paths.procfsPath}/sys/kernel/${name}`);
      return text === GONE ? null : parseCount(text, name);
    } catch (err) {
      errors.push(toReadError(err, name));
      return null;
    }
  };
  const pidMax = kernelCount('pid_max');
  const threadsMax = kernelCount('threads-max');
  return { processes, pidMax, threadsMax, errors };
}

function readProcess(dir: string, target: HeadroomTarget, cgroupRoot: string, errors: ReadError[]): ProcessHeadroom | typeof GONE {
  // The pid must still be the process the scan saw (same start time), else nothing of it is counted.
  const statText = readText(`${dir}/stat`);
  if (statText === GONE) return GONE;
  if (target.startTicks !== null && parseProcStat(statText).startTicks !== target.startTicks) return GONE;
  const limits = readText(`${dir}/limits`);
  if (limits === GONE) return GONE;
  const maxFds = parseSoftNofile(limits);
  return {
    pid: target.pid,
    maxFds,
    uninterruptibleThreads: countUninterruptible(dir),
    cgroupPids: target.cgroup ? readCgroupPids(dir, cgroupRoot, errors) : null,
  };
}

/**
 * Threads in state D: each thread's own stat (the process's stat shows only its main thread). Reading
 * a task's stat does not wait for the task, even one stuck in the kernel. Null when the list is denied.
 */
function countUninterruptible(dir: string): number | null {
  let tids: string[];
  try {
    tids = fs.readdirSync(`${dir}/task`);
  } catch {
    return null;
  }
  let stuck = 0;
  for (const tid of tids) {
    try {
      const text = readText(`${dir}/task/${tid}/stat`);
      if (text !== GONE && taskStatState(text) === 'D') stuck++;
    } catch {
      // a thread that cannot be read is not counted as stuck
    }
  }
  return stuck;
}

/** The tightest pids.max on the way from the process's cgroup to the root, with that cgroup's pids.current. */
function readCgroupPids(dir: string, cgroupRoot: string, errors: ReadError[]): CgroupPids | null {
  try {
    const text = readText(`${dir}/cgroup`);
    if (text === GONE) return null;
    const where = pidsCgroupOf(text);
    if (where === null) return null;
    const base = where.version === 1 ? `${cgroupRoot}/pids` : cgroupRoot;
    let tightest: CgroupPids | null = null;
    for (const cgroup of cgroupAncestry(where.path)) {
      const maxText = readText(`${base}${cgroup}/pids.max`);
      if (maxText === GONE) continue; // v2 without the pids controller enabled at this level
      const max = parsePidsMax(maxText);
      if (max === null) continue;
      const currentText = readText(`${base}${cgroup}/pids.current`);
      if (currentText === GONE) continue;
      const current = parseCount(currentText, 'pids.current');
      if (tightest === null || current / Math.max(max, 1) > tightest.current / Math.max(tightest.max, 1)) tightest = { max, current };
    }
    return tightest;
  } catch (err) {
    errors.push(toReadError(err, 'cgroup'));
    return null;
  }
}

/** Reads a small file whole into the shared buffer; GONE when it does not exist (any more). */
function readText(path: string): string | typeof GONE {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    if (isGone(err)) return GONE;
    throw err;
  }
  try {
    let length = 0;
    while (length < buffer.length) {
      const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return buffer.toString('utf8', 0, length);
  } catch (err) {
    if (isGone(err)) return GONE;
    throw err;
  } finally {
    fs.closeSync(fd);
  }
}

function toReadError(err: unknown, file: string): ReadError {
  if (err instanceof MalformedProcFileError) return { file: err.file, reason: 'malformed', message: err.message };
  return errnoReadError(file, err);
}
