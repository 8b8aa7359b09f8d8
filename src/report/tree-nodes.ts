/**
 * The engine as a tree a person reads, as data: dockerd → its docker-proxies and its containerd → the
 * shims → each shim's docker-init and runc, with each link's state, pid, uptime, restarts and probe
 * latency, the chain checks, and one overall status. `check --output=json` prints it and /status.json
 * serves it as it is; the status page and `check`'s text draw it.
 *
 * Strings taken from command lines (the shim's container id, a proxy's addresses) are raw data here;
 * each renderer makes them safe for its medium.
 */
import type { HeadroomReport } from './headroom-report.js';
import type { ContainerdMode, Singleton } from '../engine/components.js';
import type { ProbeName } from '../engine/engine-state.js';
import type { LinkState } from '../engine/link-state.js';
import type { DeepFindings } from './deep-findings.js';

export type { LinkState } from '../engine/link-state.js';

/** The monitoring-plugins statuses (OK / WARNING / CRITICAL / UNKNOWN). */
export type EngineStatus = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

export interface ProbeSummary {
  probe: ProbeName;
  success: boolean;
  latencySeconds: number;
  error: string | null;
  /** When the probe finished (ms since epoch). */
  atMs: number;
}

export interface DaemonNode {
  component: Singleton;
  state: LinkState;
  pid: number | null;
  startTimeSeconds: number | null;
  uptimeSeconds: number | null;
  /** Restarts this exporter has seen (a one-shot check sees none). */
  restarts: number;
  /** Last change of up/down: when the current process started while it runs, when it was last seen alive while down. */
  sinceMs: number | null;
  /** Consecutive polls its probe went unanswered while it ran. */
  unansweredPolls: number;
  /** The probe that says whether it answers (dockerd_ping, containerd_health); null before it ran. */
  probe: ProbeSummary | null;
  version: string | null;
  /** Why it is not up, in a few words; null while up. */
  detail: string | null;
  /**
   * The latest kernel report attributed to this daemon (an OOM kill, a hung task), about its current
   * process or the one before; null when none, absent when the kernel log is not read.
   */
  kernelCause?: KernelCauseSummary | null;
}

export interface KernelCauseSummary {
  cause: 'oom' | 'hung_task';
  pid: number;
  /** The report is about the process running now (false: the one it replaced). */
  current: boolean;
}

/** Kernel reports per component since the exporter started (a `check` counts what the kernel still holds). */
export interface KernelCounts {
  oomKills: Readonly<Record<string, number>>;
  hungTaskReports: Readonly<Record<string, number>>;
}

export interface ChildNode {
  component: 'docker-init' | 'runc';
  state: 'up';
  pid: number;
  uptimeSeconds: number | null;
  /** The kernel's single-letter process state (R, S, D, T …). */
  processState: string | null;
  /** runc only: older than --runc.stuck-after or in uninterruptible sleep. */
  stuck: boolean;
}

export interface ShimNode {
  component: 'containerd-shim';
  state: 'up';
  pid: number;
  uptimeSeconds: number | null;
  /** The shim's -id cut to 12 characters (display only, never a metric label). */
  containerId: string | null;
  namespace: string | null;
  /** The container's name as dockerd lists it (display only, never a metric label); null when not listed. */
  containerName: string | null;
  /**
   * The container's main process: the task's pid (containerd's Tasks/List; docker-init's with --init)
   * and the program the container runs (dockerd's Command, first word); either null when not known.
   */
  mainProcess: { pid: number | null; program: string | null } | null;
  /** No task with its id in its namespace; null when it cannot be told (Tasks/List failed, namespace not watched, too young). */
  orphan: boolean | null;
  children: ChildNode[];
}

export interface ProxyNode {
  component: 'docker-proxy';
  /** down: a published port without its proxy (pid is then null). */
  state: 'up' | 'down';
  pid: number | null;
  uptimeSeconds: number | null;
  proto: string;
  hostIp: string | null;
  hostPort: number | null;
  /** `ip:port` inside the container, when its arguments say. */
  target: string | null;
}

export interface DockerdNode extends DaemonNode {
  component: 'dockerd';
  proxies: ProxyNode[];
}

export interface ContainerdNode extends DaemonNode {
  component: 'containerd';
  mode: ContainerdMode;
  /** The socket it listens on (or is expected on). */
  address: string | null;
  shims: ShimNode[];
}

interface ZombieNode {
  component: string;
  pid: number;
  ppid: number;
}

export type { SweepNode } from './sweep-report.js';
import type { SweepNode } from './sweep-report.js';

export interface TreeChecks {
  /** null: unknown (Tasks/List failed). */
  orphanShims: number | null;
  stuckRunc: number;
  /** null: unknown (ports not listed yet, userland proxy off, dockerd down). */
  missingProxies: number | null;
  zombies: number;
}

export interface EngineTree {
  status: EngineStatus;
  exitCode: 0 | 1 | 2 | 3;
  /** Everything that made the status worse than OK, worst first. */
  reasons: string[];
  /** One line: the reasons, or what runs when all is well. */
  summary: string;
  /** When the process snapshot behind the tree was taken; null without one. */
  takenAtMs: number | null;
  /** The time uptimes are measured to. */
  nowMs: number;
  /** null on a containerd-only node (no dockerd expected) and when nothing is known. */
  dockerd: DockerdNode | null;
  /** null when nothing is known (no successful poll). */
  containerd: ContainerdNode | null;
  zombies: ZombieNode[];
  checks: TreeChecks | null;
  /** The per-container sweep's last findings (container ids); null before the first or without one. */
  sweep?: SweepNode | null;
  notes: string[];
  /** Fds, thread and pid caps, storage, threads in D; null where the source cannot read them (ps-list). */
  headroom: HeadroomReport | null;
  /** OOM kills and hung-task reports from the kernel log; null when it is not read. */
  kernel?: KernelCounts | null;
  /** State drift (with container ids), leaked proxies, plugin errors, dockerd's leak figures; null when not probed. */
  deep?: DeepFindings | null;
}

/** docker-init or runc processes under all shims. */
export function countChildren(containerd: ContainerdNode, component: 'docker-init' | 'runc'): number {
  return containerd.shims.reduce((n, s) => n + s.children.filter((c) => c.component === component).length, 0);
}

/** Proxies that run (not the published ports that miss one). */
export function runningProxies(dockerd: DockerdNode): number {
  return dockerd.proxies.filter((p) => p.state === 'up').length;
}
