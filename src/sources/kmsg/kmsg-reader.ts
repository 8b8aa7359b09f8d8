/**
 * Reads the kernel log (/dev/kmsg) for OOM kills and hung-task reports. Read-only and never blocking:
 * the device is opened O_RDONLY|O_NONBLOCK and each poll reads records until EAGAIN, on the main
 * thread (a read of an empty /dev/kmsg without O_NONBLOCK would sleep until the kernel writes, and a
 * thread in that read cannot be pulled out). Each read(2) returns exactly one record.
 *
 * Where it starts: the exporter counts from its own start, so records already in the buffer are read
 * and dropped when it opens the device (Node has no lseek(SEEK_END); reading them is the same, once).
 * `check` keeps them instead: it has no past of its own, and what the kernel still holds about a live
 * daemon (a hung-task report) is what it can say.
 *
 * Opening needs CAP_SYSLOG while kernel.dmesg_restrict is 1 (kernel/printk/printk.c,
 * check_syslog_permissions()); in a container also the device (`--device=/dev/kmsg`). The log is not
 * namespaced: pids in it are the host's, as are --path.procfs's with --pid=host. --path.rootfs does not
 * apply: /dev/kmsg is a device of the running kernel, not a file of the host's tree.
 */
import { closeSync, constants, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelReport } from '../../engine/kernel-causes.js';
import { oneLine } from '../../one-line.js';
import { kernelReportOf } from './kmsg-record.js';

export const DEFAULT_KMSG_PATH = '/dev/kmsg';

/** The kernel's longest /dev/kmsg record is CONSOLE_EXT_LOG_MAX (8 KiB); a smaller buffer gets EINVAL. */
const RECORD_BUFFER_BYTES = 16 * 1024;

/**
 * Records read per poll at most: a kernel flooding its log (a flapping link) costs a poll a bounded
 * time, and the rest is read at the next poll (or overwritten, then counted as lost).
 */
const MAX_RECORDS_PER_DRAIN = 4096;

/** Records dropped at open: at most the whole ring buffer (log_buf_len is at most 2^25 bytes). */
const MAX_RECORDS_AT_OPEN = 1 << 20;

export interface KmsgDrain {
  reports: KernelReport[];
  /** Records overwritten before they could be read (EPIPE). */
  lost: number;
  records: number;
}

export interface KmsgReader {
  /** Reads what the kernel wrote since the last drain. Never throws and never blocks. */
  drain(): KmsgDrain;
  /** Why reading stopped (a read error other than "nothing new" or "fell behind"); null while it works. */
  failure(): string | null;
  close(): void;
}

export type KmsgOpen = { ok: true; reader: KmsgReader } | { ok: false; reason: string };

export interface KmsgOptions {
  path: string;
  procfsPath: string;
  /** 'now': from the open on (the exporter); 'retained': what the kernel still holds, too (check). */
  from: 'now' | 'retained';
}

/** Opens the kernel log, or says in one line why it cannot be read. */
export function openKmsg(opts: KmsgOptions): KmsgOpen {
  let fd: number;
  try {
    fd = openSync(opts.path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    return { ok: false, reason: whyUnreadable(err, opts.path) };
  }
  const buffer = Buffer.alloc(RECORD_BUFFER_BYTES);
  let closed = false;
  let failed: string | null = null;

  /** One record, or a reason to stop reading for now. */
  const readOne = (): { text: string } | 'empty' | 'lost' | 'error' => {
    try {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      return n === 0 ? 'empty' : { text: buffer.toString('latin1', 0, n) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return 'empty';
      // The reader fell behind the ring buffer; the next read goes on at the oldest record left.
      if (code === 'EPIPE') return 'lost';
      failed = `${opts.path}: ${(err as Error).message}`;
      return 'error';
    }
  };

  if (opts.from === 'now') {
    for (let i = 0; i < MAX_RECORDS_AT_OPEN; i++) {
      const r = readOne();
      if (r === 'empty' || r === 'error') break;
    }
  }

  const reader: KmsgReader = {
    drain() {
      const out: KmsgDrain = { reports: [], lost: 0, records: 0 };
      if (closed || failed !== null) return out;
      let offsetSeconds: number | null = null;
      for (let i = 0; i < MAX_RECORDS_PER_DRAIN; i++) {
        const r = readOne();
        if (r === 'empty' || r === 'error') break;
        if (r === 'lost') {
          out.lost++;
          continue;
        }
        out.records++;
        const hit = kernelReportOf(r.text);
        if (hit === null) continue;
        offsetSeconds ??= suspendedSeconds(opts.procfsPath);
        const { report, record } = hit;
        const thread = report.cause === 'hung_task' ? threadOf(opts.procfsPath, report.taskPid) : null;
        out.reports.push({
          cause: report.cause,
          pid: report.cause === 'oom' ? report.taskPid : (thread?.tgid ?? null),
          taskPid: report.taskPid,
          comm: oneLine(report.comm),
          atBootSeconds: record.usec / 1e6 + offsetSeconds,
          taskStartTicks: thread?.startTicks ?? null,
        });
      }
      return out;
    },
    failure: () => failed,
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
  return { ok: true, reader };
}

function whyUnreadable(err: unknown, path: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EPERM' || code === 'EACCES') {
    return `${path}: ${code}: reading the kernel log needs CAP_SYSLOG while kernel.dmesg_restrict=1 (and read permission on the device)`;
  }
  if (code === 'ENOENT') return `${path}: no such device (a container needs --device=${path}; PrivateDevices=yes in a systemd unit hides it)`;
  return `${path}: ${oneLine((err as Error).message)}`;
}

/**
 * How far the boot clock of /proc's start times (CLOCK_BOOTTIME: /proc/uptime) is ahead of the
 * kernel log's clock (CLOCK_MONOTONIC, which libuv's hrtime reads): the time spent suspended, 0 on a
 * server that never sleeps. Added to a record's time so both are on one clock.
 */
function suspendedSeconds(procfsPath: string): number {
  try {
    const uptime = Number(readFileSync(join(procfsPath, 'uptime'), 'latin1').split(' ')[0]);
    const monotonic = Number(process.hrtime.bigint()) / 1e9;
    // Under a few tenths both clocks agree (the two reads are not at the same instant).
    const ahead = uptime - monotonic;
    return Number.isFinite(ahead) && ahead > 0.5 ? ahead : 0;
  } catch {
    return 0;
  }
}

/**
 * The process a blocked thread belongs to (Tgid of /proc/<tid>/status) and the thread's start, read
 * while the kernel still reports it blocked. Neither file takes a lock the blocked thread may hold
 * (fs/proc/array.c reads counters and the task's own fields). Null when it has gone or is unreadable.
 */
function threadOf(procfsPath: string, tid: number): { tgid: number; startTicks: number } | null {
  try {
    const status = readFileSync(join(procfsPath, String(tid), 'status'), 'latin1');
    const tgid = /^Tgid:\s*(\d+)$/m.exec(status)?.[1];
    const stat = readFileSync(join(procfsPath, String(tid), 'stat'), 'latin1');
    // Fields after the comm, which ends at the last ')': state is field 3, starttime field 22.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    if (tgid === undefined || start === undefined || !/^\d+$/.test(start)) return null;
    return { tgid: Number(tgid), startTicks: Number(start) };
  } catch {
    return null;
  }
}
