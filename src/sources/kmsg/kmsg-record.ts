/**
 * One record of /dev/kmsg, and the two kinds of kernel report the exporter reads from it. Pure parsing.
 *
 * Record format (the kernel's Documentation/ABI/testing/dev-kmsg): `prio,seq,usec,flags[,…];message\n`,
 * then optional continuation lines ` KEY=value\n`. `prio` is `facility << 3 | level`. The kernel
 * escapes bytes outside printable ASCII, and backslash, as `\xNN`, so a message is one line.
 *
 * Who can write a record: anyone who can open /dev/kmsg for writing (root). A written record never
 * gets facility 0: kernel/printk/printk.c, devkmsg_write(), forces LOG_USER when the writer asks for
 * facility 0 ("to be able to reliably distinguish kernel-generated messages from userspace-injected
 * ones"). So only facility-0 records are read as the kernel's word; the rest is ignored.
 */

export interface KmsgRecord {
  facility: number;
  level: number;
  seq: number;
  /** Microseconds since boot (the kernel's local clock, which does not count suspend). */
  usec: number;
  message: string;
}

/** A record's header and first line, or null when it is not a record (then it is ignored, not guessed at). */
export function parseKmsgRecord(text: string): KmsgRecord | null {
  const semi = text.indexOf(';');
  if (semi < 0) return null;
  const fields = text.slice(0, semi).split(',');
  if (fields.length < 4) return null;
  const [prio, seq, usec] = fields.map((f) => (/^\d{1,20}$/.test(f) ? Number(f) : Number.NaN));
  if (prio === undefined || seq === undefined || usec === undefined || ![prio, seq, usec].every(Number.isSafeInteger)) return null;
  const end = text.indexOf('\n', semi);
  return { facility: prio >> 3, level: prio & 7, seq, usec, message: text.slice(semi + 1, end < 0 ? undefined : end) };
}

/** A kernel report, before the reader learns which process a hung task belongs to. */
export interface ParsedReport {
  cause: 'oom' | 'hung_task';
  /** The pid the line printed: the OOM victim, or the blocked thread. */
  taskPid: number;
  comm: string;
}

/**
 * mm/oom_kill.c, __oom_kill_process(): `"%s: Killed process %d (%s) total-vm:%lukB, …"`, the prefix
 * being "Out of memory", "Memory cgroup out of memory" or "Out of memory (oom_kill_allocating_task)"
 * (older kernels print the same sentence without a prefix). One line per kill; the `oom-kill:` summary
 * line and the oom_reaper's "reaped process" line are about the same kill and are not counted again.
 * The pid comes before the comm, so a comm cannot change it; the comm ends at the last ") total-vm:",
 * since a comm may itself hold ") ".
 */
const OOM_KILL = /^(?:(?:Memory cgroup out of memory|Out of memory(?: \(oom_kill_allocating_task\))?): )?Killed process (\d{1,10}) \(/;

/**
 * kernel/hung_task.c, check_hung_task(): `"INFO: task %s:%d blocked for more than %ld seconds.\n"`.
 * The comm comes first and may hold ':', so the pid is the last `:N` before the fixed ending.
 */
const HUNG_TASK = /^INFO: task (.*):(\d{1,10}) blocked for more than \d{1,20} seconds\.$/;

/** The report in a kernel record's message, or null for any other line. */
export function parseKernelReport(message: string): ParsedReport | null {
  const oom = OOM_KILL.exec(message);
  if (oom) {
    const rest = message.slice(oom[0].length);
    const end = rest.lastIndexOf(') total-vm:');
    if (end < 0) return null;
    return { cause: 'oom', taskPid: Number(oom[1]), comm: rest.slice(0, end) };
  }
  const hung = HUNG_TASK.exec(message);
  if (hung) return { cause: 'hung_task', taskPid: Number(hung[2]), comm: hung[1] ?? '' };
  return null;
}

/** The report a raw record holds, only when the kernel itself wrote it (facility 0). */
export function kernelReportOf(text: string): { record: KmsgRecord; report: ParsedReport } | null {
  const record = parseKmsgRecord(text);
  if (record === null || record.facility !== 0) return null;
  const report = parseKernelReport(record.message);
  return report === null ? null : { record, report };
}
