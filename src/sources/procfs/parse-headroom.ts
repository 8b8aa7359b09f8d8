/**
 * Pure parsers for the files the headroom reads look at: /proc/<pid>/limits, a task's stat state,
 * /proc/<pid>/cgroup, a cgroup's pids.max and the kernel's single-number files. No I/O here.
 */
import { MalformedProcFileError } from './parse-proc.js';

/**
 * The soft "Max open files" of /proc/<pid>/limits (proc(5); columns are padded with spaces, the name
 * has spaces itself). Null for "unlimited"; throws when the line is missing or not a number.
 */
export function parseSoftNofile(text: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith('Max open files '));
  if (line === undefined) throw new MalformedProcFileError('limits', 'no "Max open files" line');
  const soft = line.slice('Max open files'.length).trim().split(/\s+/)[0] ?? '';
  if (soft === 'unlimited') return null;
  if (!/^\d{1,15}$/.test(soft)) throw new MalformedProcFileError('limits', `bad soft limit "${soft.slice(0, 20)}"`);
  return Number(soft);
}

/** The state letter of a /proc/<pid>/task/<tid>/stat, after the LAST ")" (the name may hold one). */
export function taskStatState(text: string): string | null {
  const close = text.lastIndexOf(')');
  const state = close < 0 ? '' : text.slice(close + 2, close + 3);
  return /^[A-Za-z]$/.test(state) ? state : null;
}

/**
 * Where the pids controller sees a process, from /proc/<pid>/cgroup: the v1 hierarchy that lists
 * `pids` (`4:pids:/system.slice/docker.service`) when there is one, else the v2 line (`0::/…`).
 * A path outside the reader's cgroup namespace (`/../…`) cannot be followed: null.
 */
export function pidsCgroupOf(text: string): { version: 1 | 2; path: string } | null {
  let v2: string | null = null;
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (!path.startsWith('/') || path.split('/').includes('..')) continue;
    if (controllers.split(',').includes('pids')) return { version: 1, path };
    if (line.slice(0, first) === '0' && controllers === '') v2 = path;
  }
  return v2 === null ? null : { version: 2, path: v2 };
}

/** The cgroups from `path` up to, not including, the root (which has no pids.max). */
export function cgroupAncestry(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  const out: string[] = [];
  for (let n = parts.length; n > 0; n--) out.push(`/${parts.slice(0, n).join('/')}`);
  return out;
}

/** pids.max: a number, or null for "max" (no limit at this level). */
export function parsePidsMax(text: string): number | null {
  const t = text.trim();
  if (t === 'max') return null;
  return parseCount(t, 'pids.max');
}

/** A file that holds one non-negative integer (pids.current, pid_max, threads-max). */
export function parseCount(text: string, file: string): number {
  const t = text.trim();
  if (!/^\d{1,15}$/.test(t)) throw new MalformedProcFileError(file, `not a count: "${t.slice(0, 20)}"`);
  return Number(t);
}
