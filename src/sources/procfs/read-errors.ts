/**
 * How a failed read of /proc or of the engine's file systems becomes what the exporter reports: one
 * rule for the scan, the headroom reads and statfs, so the same errno is the same reason everywhere.
 */
import type { ReadError } from '../../engine/process-model.js';

/**
 * ENOENT or ESRCH on a /proc path: the process or thread exited between listing and reading (the
 * kernel answers ESRCH for a task that is being reaped). Not an error, just gone.
 */
export function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/** A failed read as a counted error of `file`: EACCES and EPERM are `permission`, the rest `io`. */
export function errnoReadError(file: string, err: unknown): ReadError {
  const e = err as NodeJS.ErrnoException;
  const reason = e.code === 'EACCES' || e.code === 'EPERM' ? 'permission' : 'io';
  return { file, reason, message: `${file}: ${e.code ?? ''} ${e.message}`.trim() };
}
