/**
 * For tests that hang a read on a FUSE mount that never answers (test/engine/fixtures/silent-fuse.c):
 * whether one can be made here, and how many threads of a process wait in the kernel.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';

/**
 * For node:test's `skip`: false when this machine can mount FUSE (root, /dev/fuse, gcc for the
 * fixture), else the reason; under CI=true it throws instead, since CI must run these, never skip.
 */
export function fuseUnavailable(): string | false {
  const why =
    process.getuid?.() !== 0
      ? 'not root (mount(2))'
      : !existsSync('/dev/fuse')
        ? 'no /dev/fuse'
        : !existsSync('/usr/bin/gcc')
          ? 'no gcc'
          : null;
  if (why === null) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true but a FUSE mount cannot be made here: ${why}`);
  return why;
}

/** Thread ids of `pid` in state D (uninterruptible sleep), each from its own stat. */
function tidsInD(pid: number | 'self'): Set<string> {
  const tids = new Set<string>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      if (stat.charAt(stat.lastIndexOf(')') + 2) === 'D') tids.add(tid);
    } catch {
      /* the thread exited */
    }
  }
  return tids;
}

/** How many threads of `pid` are in state D now. */
export function threadsInD(pid: number | 'self'): number {
  return tidsInD(pid).size;
}

/**
 * How many threads of `pid` are in D at two looks `gapMs` apart: the ones waiting on a mount that
 * does not answer. A thread paging in code or a file on a loaded machine is in D for a moment too;
 * an exact count taken from one look fails on those (it did in CI).
 */
export async function threadsHeldInD(pid: number | 'self', gapMs = 200): Promise<number> {
  const first = tidsInD(pid);
  await new Promise((r) => setTimeout(r, gapMs));
  let n = 0;
  for (const tid of tidsInD(pid)) if (first.has(tid)) n++;
  return n;
}
