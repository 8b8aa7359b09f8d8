/**
 * How many connections the server accepts at once: at most 1,024, and never more than half of the
 * process's file descriptor limit, so that a connection flood cannot take the descriptors the /proc
 * scan and the probes need (running out would make every read fail).
 */
import { readFileSync } from 'node:fs';

export const MAX_CONNECTIONS = 1024;

/** Pure: the soft "Max open files" from /proc/self/limits text; null when absent or unlimited. */
export function parseOpenFilesLimit(text: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const m = line ? /^Max open files\s+(\d+|unlimited)\s/.exec(line) : null;
  return m && m[1] !== 'unlimited' ? Number(m[1]) : null;
}

export function connectionLimit(limitsText: string | null = readOwnLimits()): number {
  const fds = limitsText === null ? null : parseOpenFilesLimit(limitsText);
  return fds === null ? MAX_CONNECTIONS : Math.max(16, Math.min(MAX_CONNECTIONS, Math.floor(fds / 2)));
}

function readOwnLimits(): string | null {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return null;
  }
}
