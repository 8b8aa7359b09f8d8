/**
 * The contract between process sources (procfs, ps-list) and the pure engine stage.
 * A source returns plain data; it never classifies or attributes.
 */

/** One process as a source saw it. Fields a source could not read are null, never guessed. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Kernel comm (at most 15 bytes). */
  comm: string;
  /** Single-letter state from /proc/<pid>/stat (R, S, D, Z, T, ...); null when the source cannot tell. */
  state: string | null;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22); null when unknown (ps-list). */
  startTicks: number | null;
  /** Start time as Unix seconds (centiseconds from procfs, whole seconds from ps-list); null when unknown. */
  startTimeSeconds: number | null;
  /** Resolved `exe` link with any " (deleted)" suffix removed; null when unreadable (zombie, no permission). */
  exe: string | null;
  /** argv; empty for a zombie or a kernel thread. */
  argv: string[];
  /** user+system CPU time in seconds; null when unknown. */
  cpuSeconds: number | null;
  residentBytes: number | null;
  threads: number | null;
  /** Number of open fds; null when /proc/<pid>/fd is not readable (permission) or unknown. */
  openFds: number | null;
  /**
   * For a containerd process only: the gRPC address it listens on, from `--address`/`-a` or from the
   * `[grpc] address` of its `--config` file; null when neither says (containerd's default applies).
   */
  containerdAddress?: string | null;
}

/** A read that failed for a reason other than the process exiting under us. */
export interface ReadError {
  /** Which file: stat, status, cmdline, exe, fd, config, pidfile, uptime. */
  file: string;
  /** permission | malformed | io */
  reason: 'permission' | 'malformed' | 'io';
  message: string;
}

export interface ProcessSnapshot {
  /** Wall-clock time (ms since epoch) at which the scan finished. */
  takenAtMs: number;
  /** Boot time in seconds since epoch (fractional), to turn startTicks into Unix time; null if unknown. */
  bootTimeSeconds: number | null;
  /** Clock ticks per second used by startTicks (100 on Linux). */
  ticksPerSecond: number;
  /** Only the processes that may belong to the engine (candidates by comm); not every process on the host. */
  processes: ProcessInfo[];
  /** How many pids the scan walked in total. */
  scannedPids: number;
  /** Pids that exited while they were being read (normal churn, not an error). */
  vanished: number;
  errors: ReadError[];
  /** The pid written in the dockerd pidfile; null when the file is absent, empty or unreadable. */
  dockerdPidfilePid: number | null;
  /** The pidfile exists but could not be read (permission, I/O, garbage): keep to the dockerd seen before. */
  dockerdPidfileFailed?: boolean;
}

export interface ProcessSource {
  readonly name: 'procfs' | 'ps-list';
  scan(): Promise<ProcessSnapshot>;
  close(): Promise<void>;
  /**
   * True while a thread of this source is blocked in a read it cannot be pulled out of. Node's
   * process.exit() joins every worker thread first and would wait for it for good (main.ts).
   */
  threadBlocked?(): boolean;
}
