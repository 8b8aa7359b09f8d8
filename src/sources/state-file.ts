/**
 * Reading and atomically writing the --state.file. Atomic: the new content goes to a temporary file
 * in the same directory, is fsynced, then renamed over the old one, so a crash leaves either the old or
 * the new file, never a torn one. Failures are returned, not thrown: restart memory is a convenience,
 * and its loss must never stop the exporter.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { InvalidStateError, parsePersisted, type PersistedState } from '../engine/persisted-state.js';

export type StateReadResult = { state: PersistedState | null; error: string | null };

export function readStateFile(path: string): StateReadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return { state: null, error: null }; // first start
    return { state: null, error: `cannot read ${path}: ${e.code ?? e.message}` };
  }
  try {
    return { state: parsePersisted(JSON.parse(text)), error: null };
  } catch (err) {
    const reason = err instanceof InvalidStateError ? err.message : `not JSON (${(err as Error).message})`;
    return { state: null, error: `${path}: ${reason}` };
  }
}

/** Returns null on success, else a one-line reason. */
export function writeStateFile(path: string, state: PersistedState): string | null {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(state) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    syncDirectory(dirname(path));
    return null;
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the directory itself is the problem
    }
    const e = err as NodeJS.ErrnoException;
    return `cannot write ${path}: ${e.code ?? ''} ${e.message}`.trim();
  }
}

/** The rename is durable only once the directory entry is. Some filesystems refuse: that is fine. */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}
