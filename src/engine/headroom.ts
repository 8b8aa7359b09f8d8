/**
 * Headroom: how close the engine's processes and places are to the limits that make them fail (fds,
 * threads, pids, disk space, inodes) and how many of their threads are stuck in the kernel. Pure: what
 * to read is chosen here from the attributed view (cost follows the engine, not the host); the reads
 * happen in src/sources/procfs/headroom.ts; the figures are computed here from what they returned.
 */
import type { EngineView } from './attribute.js';
import type { ProbeReport } from './probe-report.js';
import type { ReadError } from './process-model.js';
import { COMPONENTS, DEFAULT_DOCKERD_EXEC_ROOT, type Component } from './components.js';
import { flagValue } from './argv.js';

/** The engine's places whose filesystems are watched (storagePaths says where each is). */
export type StorageVolume = 'data_root' | 'exec_root' | 'containerd_root' | 'containerd_state';

/**
 * One ratio per limit, each named after where the limit comes from (docs/runbook.md, "Engine near a
 * thread or pid limit"):
 * - `dockerd_go_max_threads`: dockerd sets the Go runtime's thread cap to threads-max / 100 * 90
 *   (integer division, at its start: moby daemon/daemon_unix.go, configureMaxThreads); past it the
 *   Go runtime aborts the whole daemon ("program exceeds N-thread limit").
 * - `containerd_go_max_threads`: containerd keeps the Go runtime's default, 10,000 (runtime/debug.SetMaxThreads).
 * - `kernel_pid_max`, `kernel_threads_max`: every thread takes a pid; the engine's threads against the
 *   host-wide caps (/proc/sys/kernel/pid_max, threads-max).
 * - `dockerd_cgroup_pids_max`, `containerd_cgroup_pids_max`: the pids controller of the daemon's own
 *   cgroup (v1 or v2; systemd's TasksMax): its pids.current against the tightest pids.max on the way
 *   to the root. Shims live in it too: leaked shims exhaust it.
 */
const TASK_LIMITS = [
  'dockerd_go_max_threads',
  'containerd_go_max_threads',
  'kernel_pid_max',
  'kernel_threads_max',
  'dockerd_cgroup_pids_max',
  'containerd_cgroup_pids_max',
] as const;
type TaskLimit = (typeof TASK_LIMITS)[number];

/** The Go runtime's default thread cap, which containerd does not change. */
const GO_DEFAULT_MAX_THREADS = 10_000;

/** dockerd's defaults, where neither its flags nor /info say otherwise. */
const DEFAULT_DATA_ROOT = '/var/lib/docker';
const DEFAULT_CONTAINERD_ROOT = '/var/lib/containerd';
const DEFAULT_CONTAINERD_STATE = '/run/containerd';

/** One engine process to read limits, thread states and (daemons only) cgroup pids of. */
export interface HeadroomTarget {
  pid: number;
  /** Checked against /proc/<pid>/stat before anything is counted: a reused pid is not read. */
  startTicks: number | null;
  /** Read its cgroup's pids.max and pids.current (dockerd and containerd). */
  cgroup: boolean;
}

export interface HeadroomRequest {
  processes: HeadroomTarget[];
  storage: { volume: StorageVolume; path: string }[];
}

export interface CgroupPids {
  /** The tightest pids.max from the process's cgroup up to the root, and that cgroup's pids.current. */
  max: number;
  current: number;
}

export interface ProcessHeadroom {
  pid: number;
  /** Soft RLIMIT_NOFILE; null when unlimited or unreadable. */
  maxFds: number | null;
  /** Threads in state D (uninterruptible sleep) now; null when its task list could not be read. */
  uninterruptibleThreads: number | null;
  /** Null when not asked for, no pids controller applies, or every level says "max". */
  cgroupPids: CgroupPids | null;
}

export interface StorageReading {
  volume: StorageVolume;
  availBytes: number;
  sizeBytes: number;
  /** Null on filesystems without inode counts (statfs says 0 files: btrfs, some FUSE). */
  availInodes: number | null;
  inodes: number | null;
}

export interface HeadroomReadings {
  processes: ProcessHeadroom[];
  pidMax: number | null;
  threadsMax: number | null;
  storage: StorageReading[];
  errors: ReadError[];
}

/** What the metrics, status page and `check` show. */
export interface Headroom {
  /** Soft fd limit of the singleton daemons. */
  maxFds: Partial<Record<Component, number>>;
  /** Highest open/limit of any process of the component whose both figures are known. */
  worstFdRatio: Partial<Record<Component, number>>;
  /** That process's open fds and soft limit. */
  worstFd: Partial<Record<Component, { open: number; limit: number }>>;
  uninterruptibleThreads: Partial<Record<Component, number>>;
  limits: { limit: TaskLimit; max: number; used: number; ratio: number }[];
  storage: StorageReading[];
}

/** The processes and places to read for this view: only the watched engine's. */
export function headroomRequest(view: EngineView, probes: ProbeReport | null): HeadroomRequest {
  const processes: HeadroomTarget[] = [];
  for (const c of COMPONENTS) {
    for (const p of view.members[c]) {
      processes.push({ pid: p.pid, startTicks: p.startTicks, cgroup: c === 'dockerd' || c === 'containerd' });
    }
  }
  return { processes, storage: storagePaths(view, probes) };
}

/**
 * The engine's places. dockerd's data root from /info (`DockerRootDir`, what it really uses, whatever
 * set it) or its `--data-root`; its exec root from `--exec-root`. containerd's `--root` and `--state`
 * when given; dockerd's own containerd otherwise keeps them under dockerd's roots
 * (`<data-root>/containerd/daemon`, `<exec-root>/containerd/daemon`: moby libcontainerd/supervisor);
 * a system containerd its defaults (a `root =` in its config.toml is not read).
 */
export function storagePaths(view: EngineView, probes: ProbeReport | null): { volume: StorageVolume; path: string }[] {
  const out: { volume: StorageVolume; path: string }[] = [];
  const { dockerd, containerd } = view;
  let dataRoot: string | null = null;
  let execRoot: string | null = null;
  if (dockerd) {
    dataRoot = probes?.info?.rootDir ?? flagValue(dockerd.argv, ['--data-root', '-g', '--graph']) ?? DEFAULT_DATA_ROOT;
    execRoot = flagValue(dockerd.argv, ['--exec-root']) ?? DEFAULT_DOCKERD_EXEC_ROOT;
    out.push({ volume: 'data_root', path: dataRoot }, { volume: 'exec_root', path: execRoot });
  }
  if (containerd) {
    const managed = view.containerdMode === 'managed' && dataRoot !== null && execRoot !== null;
    const root = flagValue(containerd.argv, ['--root']) ?? (managed ? `${dataRoot}/containerd/daemon` : DEFAULT_CONTAINERD_ROOT);
    const state = flagValue(containerd.argv, ['--state']) ?? (managed ? `${execRoot}/containerd/daemon` : DEFAULT_CONTAINERD_STATE);
    out.push({ volume: 'containerd_root', path: root }, { volume: 'containerd_state', path: state });
  }
  return out.filter((p) => p.path.startsWith('/'));
}

/** dockerd's Go thread cap from threads-max, by moby's own rule (integer division first). */
export function dockerdMaxThreads(threadsMax: number): number {
  return Math.floor(threadsMax / 100) * 90;
}

export function computeHeadroom(view: EngineView, readings: HeadroomReadings): Headroom {
  const byPid = new Map(readings.processes.map((p) => [p.pid, p]));
  const maxFds: Partial<Record<Component, number>> = {};
  const worstFdRatio: Partial<Record<Component, number>> = {};
  const worstFd: Headroom['worstFd'] = {};
  const uninterruptibleThreads: Partial<Record<Component, number>> = {};
  let engineThreads = 0;
  let engineThreadsKnown = true;
  for (const c of COMPONENTS) {
    let worst: { open: number; limit: number } | null = null;
    let stuck: number | null = null;
    for (const p of view.members[c]) {
      if (p.threads === null) engineThreadsKnown = false;
      else engineThreads += p.threads;
      const h = byPid.get(p.pid);
      if (!h) continue;
      if (h.maxFds !== null && h.maxFds > 0 && p.openFds !== null && (worst === null || p.openFds / h.maxFds > worst.open / worst.limit)) {
        worst = { open: p.openFds, limit: h.maxFds };
      }
      if (h.uninterruptibleThreads !== null) stuck = (stuck ?? 0) + h.uninterruptibleThreads;
    }
    if (worst !== null) {
      worstFdRatio[c] = round(worst.open / worst.limit);
      worstFd[c] = worst;
    }
    // A component without processes has no thread stuck: 0, so an alert's series does not vanish.
    if (stuck !== null || view.members[c].length === 0) uninterruptibleThreads[c] = stuck ?? 0;
  }

  const limits: Headroom['limits'] = [];
  const add = (limit: TaskLimit, max: number | null, used: number | null): void => {
    if (max !== null && max > 0 && used !== null) limits.push({ limit, max, used, ratio: round(used / max) });
  };
  for (const c of ['dockerd', 'containerd'] as const) {
    const p = view[c];
    const h = p ? byPid.get(p.pid) : undefined;
    if (!p || !h) continue;
    if (h.maxFds !== null) maxFds[c] = h.maxFds;
    const goCap = c === 'containerd' ? GO_DEFAULT_MAX_THREADS : readings.threadsMax === null ? null : dockerdMaxThreads(readings.threadsMax);
    add(`${c}_go_max_threads`, goCap, p.threads);
    add(`${c}_cgroup_pids_max`, h.cgroupPids?.max ?? null, h.cgroupPids?.current ?? null);
  }
  const used = engineThreadsKnown ? engineThreads : null;
  add('kernel_pid_max', readings.pidMax, used);
  add('kernel_threads_max', readings.threadsMax, used);
  limits.sort((a, b) => TASK_LIMITS.indexOf(a.limit) - TASK_LIMITS.indexOf(b.limit));
  return { maxFds, worstFdRatio, worstFd, uninterruptibleThreads, limits, storage: readings.storage };
}

/** Ratios to four decimals: enough for an alert at 80 %, stable in the exposition. */
function round(ratio: number): number {
  return Math.round(ratio * 10_000) / 10_000;
}
