/**
 * Reads a file whose path another process named (a containerd --config, dockerd's pidfile): the
 * exporter runs as root, so a path taken from someone else's argv must not make it block on a FIFO,
 * swallow /dev/zero, follow a symlink to /etc/shadow or read a file a stranger wrote. Only a regular
 * file, owned by root or by the daemon's own uid, at most `maxBytes`, opened without following a final
 * symlink and without blocking, is read. Everything else is a ReadRefused with a one-line reason.
 */
import * as fs from 'node:fs';
import { isGone } from './read-errors.js';

/** containerd's config.toml and dockerd's pidfile are a few KiB at most. */
export const TRUSTED_FILE_MAX_BYTES = 1024 * 1024;

export class ReadRefused extends Error {
  constructor(
    readonly path: string,
    readonly why: 'type' | 'owner' | 'size' | 'symlink' | 'permission' | 'io',
    detail: string,
  ) {
    super(`${path}: refused (${why}): ${detail}`.replace(/[\r\n]+/g, ' '));
    this.name = 'ReadRefused';
  }
}

export interface TrustedFileOptions {
  /** uids allowed to own the file (root is always allowed). */
  owners: readonly number[];
  maxBytes?: number;
}

/** The file's text; null when it does not exist (ENOENT); throws ReadRefused otherwise. */
export function readTrustedFile(path: string, opts: TrustedFileOptions): string | null {
  const maxBytes = opts.maxBytes ?? TRUSTED_FILE_MAX_BYTES;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer.
    // O_NOFOLLOW: a final symlink fails with ELOOP instead of being followed.
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  } catch (err) {
    if (isGone(err)) return null;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new ReadRefused(path, 'symlink', 'is a symbolic link');
    if (code === 'EACCES' || code === 'EPERM') throw new ReadRefused(path, 'permission', code);
    throw new ReadRefused(path, 'io', code ?? String(err));
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new ReadRefused(path, 'type', 'not a regular file');
    if (st.uid !== 0 && !opts.owners.includes(st.uid)) throw new ReadRefused(path, 'owner', `owned by uid ${st.uid}`);
    if (st.size > maxBytes) throw new ReadRefused(path, 'size', `${st.size} bytes, more than ${maxBytes}`);
    // Read at most maxBytes + 1 whatever fstat said: a file that grows meanwhile is refused, not followed.
    const buffer = Buffer.allocUnsafe(Math.min(st.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) throw new ReadRefused(path, 'size', `grew past ${maxBytes} bytes while read`);
      const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) throw new ReadRefused(path, 'size', `more than ${maxBytes} bytes`);
    return buffer.toString('utf8', 0, length);
  } catch (err) {
    if (err instanceof ReadRefused) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ReadRefused(path, 'io', code ?? String(err));
  } finally {
    fs.closeSync(fd);
  }
}
