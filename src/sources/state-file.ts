/**
 * Reading and atomically writing the --state.file. The exporter runs as root, so the file and its
 * directory are treated as an attacker's way in: a symlink planted at the path or at the temporary
 * name would have root write (or read) wherever it points, a FIFO would block the start for good, a
 * huge file would fill memory, and a file someone else may write would feed the tracker any numbers.
 *
 * Read: the directory must be a real directory owned by root or by the exporter's own uid and not
 * writable by group or others; the file is opened with O_NOFOLLOW|O_NONBLOCK, and fstat must say a
 * regular file with the same owner and mode rules, at most 1 MiB. Write: the same directory rules, a
 * random temporary name created with O_CREAT|O_EXCL|O_NOFOLLOW (mode 0600) so nothing planted there is
 * followed or reused, write, fsync, rename over the path, fsync the directory: a crash leaves the old
 * or the new file, never a torn one. Failures are returned, not thrown: restart memory is a
 * convenience, and its loss must never stop the exporter.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname } from 'node:path';
import { oneLine } from '../one-line.js';
import { InvalidStateError, parsePersisted, type PersistedState } from '../engine/persisted-state.js';

export type StateReadResult = { state: PersistedState | null; error: string | null };

/** No state file of this exporter comes near this; a larger one is not read. */
export const MAX_STATE_FILE_BYTES = 1024 * 1024;

class Refused extends Error {}

/** Owned by root or by the exporter's own uid, and writable by neither group nor others. */
function checkOwnerAndMode(st: Stats, what: string): void {
  const own = process.getuid?.() ?? 0;
  if (st.uid !== 0 && st.uid !== own) throw new Refused(`${what} is owned by uid ${st.uid}, not by root or the exporter (uid ${own})`);
  if ((st.mode & 0o022) !== 0) throw new Refused(`${what} is writable by group or others (mode ${(st.mode & 0o7777).toString(8)})`);
}

/** The directory of the state file, by the rules above; its lstat says what it is, never its target's. */
function checkDirectory(path: string): void {
  const dir = dirname(path);
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) throw new Refused(`directory ${dir} is a symlink`);
  if (!st.isDirectory()) throw new Refused(`${dir} is not a directory`);
  checkOwnerAndMode(st, `directory ${dir}`);
}

function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message;
}

export function readStateFile(path: string): StateReadResult {
  let text: string;
  try {
    checkDirectory(path);
    text = readBounded(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return { state: null, error: null }; // first start
    if (err instanceof Refused) return { state: null, error: `${path} refused: ${err.message}` };
    if (e.code === 'ELOOP') return { state: null, error: `${path} refused: it is a symlink` };
    return { state: null, error: `cannot read ${path}: ${errnoText(err)}` };
  }
  try {
    return { state: parsePersisted(JSON.parse(text)), error: null };
  } catch (err) {
    const reason = err instanceof InvalidStateError ? err.message : `not JSON (${(err as Error).message})`;
    // The reason may quote the file's own text (an unknown key): one line, whatever it holds.
    return { state: null, error: `${path}: ${oneLine(reason)}` };
  }
}

/** The file's text, opened without following a symlink or waiting on a FIFO, and never more than the cap. */
function readBounded(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Refused('it is not a regular file');
    checkOwnerAndMode(st, 'it');
    if (st.size > MAX_STATE_FILE_BYTES) throw new Refused(`it is larger than ${MAX_STATE_FILE_BYTES} bytes`);
    // The size may change under us: read at most one byte past the cap to see whether it did.
    const buffer = Buffer.alloc(MAX_STATE_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_STATE_FILE_BYTES) throw new Refused(`it is larger than ${MAX_STATE_FILE_BYTES} bytes`);
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Returns null on success, else a one-line reason. `randomSuffix` names the temporary file; tests
 * pass a fixed one to plant a symlink exactly there.
 */
export function writeStateFile(path: string, state: PersistedState, randomSuffix = () => randomBytes(8).toString('hex')): string | null {
  let tmp: string | null = null;
  try {
    checkDirectory(path);
    // Replacing a symlink or a special file at the path would not write through it, but whoever
    // put it there meant something: leave it and say so.
    const existing = lstatOrNull(path);
    if (existing && existing.isSymbolicLink()) throw new Refused('it is a symlink');
    if (existing && !existing.isFile()) throw new Refused('it is not a regular file');
    const name = `${dirname(path)}/.${basename(path)}.${randomSuffix()}.tmp`;
    const fd = openSync(name, constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_WRONLY, 0o600);
    tmp = name;
    try {
      const data = Buffer.from(JSON.stringify(state) + '\n', 'utf8');
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(name, path);
    tmp = null;
    syncDirectory(dirname(path));
    return null;
  } catch (err) {
    if (tmp !== null) {
      try {
        unlinkSync(tmp); // ours: created with O_EXCL a moment ago
      } catch {
        // the directory itself is the problem
      }
    }
    if (err instanceof Refused) return `cannot write ${path}: refused: ${err.message}`;
    const e = err as NodeJS.ErrnoException;
    return `cannot write ${path}: ${e.code ?? ''} ${e.message}`.trim();
  }
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The rename is durable only once the directory entry is. Some filesystems refuse: that is fine. */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}
