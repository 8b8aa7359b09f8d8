/**
 * statfs of the engine's places (the headroom's storage readings), off the scan's thread.
 *
 * A statfs of a hung filesystem (an NFS data root whose server went away, a FUSE daemon that stopped
 * answering, a dead iSCSI disk) waits in the kernel until the filesystem answers, which may be never.
 * In the scan's thread it blocked that thread, and with it every scan after it: the exporter went
 * blind to the whole engine exactly when its storage hung, the moment an operator most needs to see
 * dockerd hanging and why. So each statfs runs in libuv's thread pool (fs.promises.statfs), beside
 * the scan, one path at a time: one that has not returned within `timeoutMs` is a read error of its
 * volume, and nothing on that filesystem is stat'ed again until it returns (a path on the same mount,
 * by the exporter's own /proc/self/mountinfo, read only while a call is blocked, is reported blocked
 * with it). At most MAX_BLOCKED calls are ever outstanding, whatever the number of volumes and polls:
 * libuv's pool has four threads, and gzip of /metrics and the rest of the exporter's file I/O need
 * the others. A volume that is not read is absent from the readings, never shown with its last value.
 */
import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import type { StorageReading, StorageVolume } from '../../engine/headroom.js';
import type { ReadError } from '../../engine/process-model.js';
import { errnoReadError } from './read-errors.js';

/** Blocked statfs calls at most, over all filesystems: two of the pool's four threads. */
const MAX_BLOCKED = 2;

/** The exporter's own mount table: the paths it stats resolve in its own mount namespace. */
const OWN_MOUNTINFO = '/proc/self/mountinfo';

export interface StorageStatfs {
  read(storage: readonly { volume: StorageVolume; path: string }[]): Promise<{ storage: StorageReading[]; errors: ReadError[] }>;
  /** statfs calls still blocked in the kernel: each holds a pool thread, and process.exit() would wait for them. */
  blocked(): number;
}

interface Pending {
  sinceMs: number;
  /** Past the timeout: its read reported it blocked. */
  blocked: boolean;
}

/** `rootfsPath`: the host's root (--path.rootfs); every path is reached under it. */
export function createStorageStatfs(rootfsPath: string, timeoutMs: number): StorageStatfs {
  const root = rootfsPath === '/' ? '' : rootfsPath.replace(/\/+$/, '');
  /** statfs calls in flight by full path: a path with one is not stat'ed again until it returns. */
  const pending = new Map<string, Pending>();
  let blockedCount = 0;

  const readOne = async (volume: StorageVolume, full: string): Promise<StorageReading | ReadError> => {
    const earlier = pending.get(full) ?? (blockedCount > 0 ? blockedOnSameMount(full, pending) : undefined);
    if (earlier) return blockedError(full, earlier.sinceMs);
    if (blockedCount >= MAX_BLOCKED) {
      return { file: 'statfs', reason: 'io', message: `statfs ${full}: not tried, ${blockedCount} statfs calls are blocked in the kernel` };
    }
    const sinceMs = Date.now();
    const call = statfs(full);
    const entry: Pending = { sinceMs, blocked: false };
    pending.set(full, entry);
    const returned = (): void => {
      pending.delete(full);
      if (entry.blocked) blockedCount--;
    };
    call.then(returned, returned);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
    try {
      const st = await Promise.race([call, late]);
      if (st === 'late') {
        entry.blocked = true;
        blockedCount++;
        return blockedError(full, sinceMs);
      }
      // bavail (what an unprivileged writer may use) is df's "Avail"; blocks is its "Size".
      const hasInodes = st.files > 0;
      return {
        volume,
        availBytes: st.bavail * st.bsize,
        sizeBytes: st.blocks * st.bsize,
        availInodes: hasInodes ? st.ffree : null,
        inodes: hasInodes ? st.files : null,
      };
    } catch (err) {
      return errnoReadError('statfs', err);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    async read(storage) {
      // One path after the other: once one blocks, the next on its filesystem is known to be blocked
      // with it instead of tying up a second thread. Two volumes in one directory share one call.
      const out: { storage: StorageReading[]; errors: ReadError[] } = { storage: [], errors: [] };
      const byPath = new Map<string, StorageReading | ReadError>();
      const reported = new Set<string>();
      for (const { volume, path } of storage) {
        const full = `${root}${path}`;
        const r = byPath.get(full) ?? (await readOne(volume, full));
        byPath.set(full, r);
        if ('volume' in r) out.storage.push({ ...r, volume });
        else if (!reported.has(r.message)) {
          reported.add(r.message);
          out.errors.push(r);
        }
      }
      return out;
    },
    blocked: () => blockedCount,
  };
}

function blockedError(full: string, sinceMs: number): ReadError {
  const since = new Date(sinceMs).toISOString();
  return {
    file: 'statfs',
    reason: 'io',
    message: `statfs ${full}: a statfs on its filesystem has been blocked in the kernel since ${since} (a hung filesystem?)`,
  };
}

/** A blocked call on the mount `full` is on; undefined when none is or the mount table cannot be read. */
function blockedOnSameMount(full: string, pending: ReadonlyMap<string, Pending>): Pending | undefined {
  let mounts: string[];
  try {
    mounts = mountPoints(readFileSync(OWN_MOUNTINFO, 'utf8'));
  } catch {
    return undefined;
  }
  const mount = mountOf(full, mounts);
  for (const [path, p] of pending) if (p.blocked && mountOf(path, mounts) === mount) return p;
  return undefined;
}

/** The mount points of a mountinfo table (its fifth field, with the kernel's octal escapes undone). */
export function mountPoints(mountinfo: string): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field !== undefined && field.startsWith('/'))
      out.push(field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

/** The longest mount point that `path` is at or under (by name: a symlink on the way is not followed). */
export function mountOf(path: string, mounts: readonly string[]): string {
  let best = '/';
  for (const m of mounts) if (m.length > best.length && (path === m || path.startsWith(`${m}/`))) best = m;
  return best;
}
