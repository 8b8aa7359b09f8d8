/**
 * What a process source (src/sources) hands to the engine: plain data about the engine's candidate
 * processes. Model types live here so that the pure engine imports nothing of the I/O layer.
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
   * For a containerd process only: the gRPC address it listens on, learnt in this order from its
   * listening sockets (see `listening`), its `--address`/`-a`, or (only for dockerd's own containerd)
   * the `[grpc] address` of its `--config` file; null when none says (containerd's default applies).
   */
  containerdAddress?: string | null;
  /** Real uid (status `Uid:`); null when the source cannot tell. */
  uid?: number | null;
  /** Mount namespace (`mnt:[4026531841]`, readlink of ns/mnt); null when unreadable or unknown. */
  mountNs?: string | null;
  /**
   * For dockerd and containerd candidates: the unix sockets the process itself listens on (its fd
   * socket inodes found as listening entries of its /proc/<pid>/net/unix), as host paths, each with
   * the identity (`dev:ino`) of the socket file seen through /proc/<pid>/root when that could be
   * stat'ed. Null when the fds or net/unix cannot be read (no root/CAP_SYS_PTRACE, ps-list, fixtures).
   */
  listening?: ListeningSocket[] | null;
  /**
   * For dockerd and containerd of root or the exporter's own uid: the pids above it, its parent first,
   * up to the top of the pid tree (pid 1). An orphan is adopted by its nearest subreaper ancestor or
   * by pid 1, so a daemonized shim of this containerd has one of these (or containerd) as its parent.
   * Absent when the chain could not be read whole (an ancestor exited meanwhile) or the source cannot tell.
   */
  ancestors?: number[];
}

interface ListeningSocket {
  /** The path the daemon bound, in its own mount namespace (the host's for the engine). */
  path: string;
  /** `dev:ino` of the socket file; null when it could not be stat'ed. */
  fileId: string | null;
}

/** A read that failed for a reason other than the process exiting under us. */
export interface ReadError {
  /** Which file: stat, status, cmdline, exe, fd, config, pidfile, uptime. */
  file: string;
  /** permission | malformed | io | refused (a file another process named that is not a small regular file of a trusted owner) */
  reason: 'permission' | 'malformed' | 'io' | 'refused';
  message: string;
}

/** A daemon's socket path as a stat saw it: a socket, something else, or an errno code (ENOENT: gone). */
export type SocketFileState = { kind: 'socket' } | { kind: 'not-socket' } | { kind: 'error'; code: string };

/** What a scan looked at for the probes besides the engine's processes (ProcessSource.scan's request). */
export type ScanLooks = Pick<ProcessSnapshot, 'socketFiles' | 'pidStates'>;

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
  /** The host's mount namespace (pid 1's ns/mnt under --path.procfs); null when unreadable or unknown. */
  hostMountNs?: string | null;
  /**
   * `dev:ino` of the sockets the exporter was told to dial (--containerd.address, --docker.host), as it
   * reaches them: matched against the daemons' `listening` file ids, whatever path they are mounted at.
   */
  configuredSockets?: { containerd: string | null; docker: string | null };
  /**
   * What a stat found at each socket path the scan was asked to look at (the paths the health probes
   * dial): stat'ed in the scan's thread just before the probes run, so the probes need not stat
   * again (src/sources/socket-present.ts).
   */
  socketFiles?: ReadonlyMap<string, SocketFileState>;
  /**
   * The state letter in `/proc/<pid>/stat` of each pid the scan was asked about (the running tasks'
   * processes, for the drift check), null when gone or unreadable: read in the scan's thread, not on
   * the event loop.
   */
  pidStates?: ReadonlyMap<number, string | null>;
  /** How the procfs source found these processes (rooted or full scan, and why); absent from ps-list. */
  scan?: ScanReport;
}

/** Why a procfs scan read every pid instead of following the engine's roots. */
export type FullScanReason = 'start' | 'audit' | 'pidfile' | 'daemon-gone' | 'children-race' | 'children-error' | 'no-engine' | 'unsupported';

/** How a rooted scan found the roots' new children: their children files, or the pids handed out since the last pass. */
type RootedScanWay = 'children' | 'new-pids';

export interface ScanReport {
  kind: 'full' | 'rooted';
  /** Why a full scan; how a rooted one found new children. */
  reason: FullScanReason | RootedScanWay;
  /** An audit's finding: candidates the rooted scan did not reach (still alive after the full scan). */
  missed: { pid: number; ppid: number; comm: string }[];
}
