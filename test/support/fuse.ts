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

/** Threads of `pid` in state D (uninterruptible sleep), each from its own stat. */
export function threadsInD(pid: number | 'self'): number {
  let n = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      if (stat.charAt(stat.lastIndexOf(')') + 2) === 'D') n++;
    } catch {
      /* the thread exited */
    }
  }
  return n;
}
