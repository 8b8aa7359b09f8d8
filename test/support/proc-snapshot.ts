/**
 * Copies a selection of the live /proc into a directory that git can store, for unit tests of the
 * procfs reader, classification and attribution (the way prometheus/procfs keeps real /proc trees as
 * fixtures). Per recorded pid:
 *
 *   <pid>/stat, status, comm, cmdline   byte-for-byte copies (cmdline reduced to argv[0]'s basename for
 *                                       "redacted" processes: the machine's unrelated processes)
 *   <pid>/exe                           a symlink with the same target as /proc/<pid>/exe (when readable)
 *   <pid>/fd/0..N-1                     N symlinks, one per open fd, targets with inode numbers zeroed
 *                                       ("socket:[0]", "pipe:[0]", "anon_inode:[eventpoll]", a path …)
 *   <pid>/root/<path>                   for a containerd started with `--config <path>`: that file, as
 *                                       /proc/<pid>/root/<path> would show it
 *
 * plus /proc/stat and /proc/uptime at the top. No special files, no empty files other than a
 * zombie's cmdline; a process with no open fds has no fd/ directory (git does not keep empty ones).
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { argValue } from './proc.js';

export type RecordMode = 'full' | 'redacted';

export interface RecordResult {
  recorded: number[];
  /** Pids that exited while being recorded. */
  vanished: number[];
}

function tryRead(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/** Records the given pids from procRoot (normally /proc) into outDir. */
export function recordProc(outDir: string, pids: Map<number, RecordMode>, procRoot = '/proc'): RecordResult {
  mkdirSync(outDir, { recursive: true });
  for (const f of ['stat', 'uptime']) {
    const b = tryRead(join(procRoot, f));
    if (b) writeFileSync(join(outDir, f), b);
  }
  const recorded: number[] = [];
  const vanished: number[] = [];
  for (const [pid, mode] of [...pids].sort((a, b) => a[0] - b[0])) {
    const src = join(procRoot, String(pid));
    const stat = tryRead(join(src, 'stat'));
    const status = tryRead(join(src, 'status'));
    const comm = tryRead(join(src, 'comm'));
    const cmdline = tryRead(join(src, 'cmdline'));
    if (!stat || !status || !comm || !cmdline) {
      vanished.push(pid);
      continue;
    }
    const dst = join(outDir, String(pid));
    mkdirSync(dst, { recursive: true });
    writeFileSync(join(dst, 'stat'), stat);
    writeFileSync(join(dst, 'status'), status);
    writeFileSync(join(dst, 'comm'), comm);
    if (mode === 'full') {
      writeFileSync(join(dst, 'cmdline'), cmdline);
    } else {
      const argv0 = cmdline.toString('utf8').split('\0')[0] ?? '';
      writeFileSync(join(dst, 'cmdline'), argv0 === '' ? '' : `${basename(argv0)}\0`);
    }
    try {
      symlinkSync(readlinkSync(join(src, 'exe')), join(dst, 'exe'));
    } catch {
      /* zombie, kernel thread or gone: no exe link, as in /proc */
    }
    let fds: string[] = [];
    try {
      fds = readdirSync(join(src, 'fd'));
    } catch {
      /* unreadable */
    }
    if (fds.length > 0) {
      mkdirSync(join(dst, 'fd'));
      fds.forEach((fd, i) => {
        let target = 'unknown:[0]';
        try {
          target = readlinkSync(join(src, 'fd', fd)).replace(/\[\d+\]/g, '[0]');
        } catch {
          /* closed meanwhile: keep the count */
        }
        symlinkSync(target, join(dst, 'fd', String(i)));
      });
    }
    // containerd --config PATH: keep the file where /proc/<pid>/root/PATH finds it.
    const argv = cmdline
      .toString('utf8')
      .split('\0')
      .filter((a) => a !== '');
    if (argv[0] !== undefined && basename(argv[0]) === 'containerd') {
      const config = argValue(argv, '--config') ?? argValue(argv, '-c');
      if (config !== null && config.startsWith('/')) {
        const target = join(dst, 'root', config);
        mkdirSync(dirname(target), { recursive: true });
        try {
          copyFileSync(join(src, 'root', config), target);
        } catch {
          /* gone meanwhile */
        }
      }
    }
    recorded.push(pid);
  }
  return { recorded, vanished };
}
