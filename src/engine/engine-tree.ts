/**
 * The engine as a tree a person reads: dockerd → its docker-proxies and its containerd → the shims →
 * each shim's docker-init and runc, with each link's state, pid, uptime, restarts and probe latency,
 * the chain checks, and one overall status in the monitoring-plugins convention (OK / WARNING /
 * CRITICAL / UNKNOWN). `docker-engine-exporter check` prints it and the status page shows it live.
 *
 * Pure: a function of the last EngineState and a few settings. Strings taken from command lines (the
 * shim's container id, a proxy's addresses) are raw data here; each renderer escapes them.
 */
import type { ProcessInfo } from '../sources/process-source.js';
import type { ProbeName, ProbeReport } from '../sources/probe-report.js';
import { flagValue } from '../sources/procfs/parse-proc.js';
import { ORPHAN_GRACE_SECONDS, stuckRunc } from './chain-checks.js';
import type { ContainerdMode, Singleton } from './components.js';
import type { EngineState } from './engine-state.js';

/** up; down (no live process); hung (alive, probe unanswered on several polls in a row); unresponsive (alive, last probe failed); none (not expected here). */
export type LinkState = 'up' | 'down' | 'hung' | 'unresponsive' | 'none';
export type EngineStatus = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

/** The monitoring-plugins exit statuses. */
export const EXIT_CODES: Readonly<Record<EngineStatus, 0 | 1 | 2 | 3>> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

/** Docker's short container id. */
export const SHORT_ID_LENGTH = 12;

/** Start order (start ticks since boot), pid as the tie-break (and where a start is unknown): the order processes came up in. */
const byStart = (a: ProcessInfo, b: ProcessInfo): number =>
  (a.startTicks ?? Number.POSITIVE_INFINITY) - (b.startTicks ?? Number.POSITIVE_INFINITY) || a.pid - b.pid;

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

export interface ZombieNode {
  component: string;
  pid: number;
  ppid: number;
}

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
  notes: string[];
}

export interface EngineTreeOptions {
  /** False with --docker.host="" (a containerd-only node). */
  dockerdExpected: boolean;
  /** --runc.stuck-after in seconds. */
  runcStuckAfterSeconds: number;
  /** Uptimes are measured to this time (ms since epoch). */
  nowMs: number;
  /** The last poll's error, shown when there is no state to show. */
  pollError?: string | null;
  /** The state is older than the exporter's freshness limit: status UNKNOWN, tree still shown. */
  stale?: boolean;
}

export function buildEngineTree(state: EngineState | null, opts: EngineTreeOptions): EngineTree {
  if (state === null) {
    const reason = opts.pollError ? `cannot scan processes: ${opts.pollError}` : 'no successful poll yet';
    return {
      status: 'UNKNOWN',
      exitCode: EXIT_CODES.UNKNOWN,
      reasons: [reason],
      summary: reason,
      takenAtMs: null,
      nowMs: opts.nowMs,
      dockerd: null,
      containerd: null,
      zombies: [],
      checks: null,
      notes: [],
    };
  }

  const { view, probes } = state;
  const nowMs = opts.nowMs;
  const uptime = (p: ProcessInfo): number | null =>
    p.startTimeSeconds === null ? null : Math.max(0, Math.round((nowMs / 1000 - p.startTimeSeconds) * 10) / 10);

  // Shims, with their docker-init and runc children.
  const stuck = new Set(stuckRunc(view, state.takenAtMs / 1000, opts.runcStuckAfterSeconds).map((p) => p.pid));
  const childNode = (p: ProcessInfo, component: ChildNode['component']): ChildNode => ({
    component,
    state: 'up',
    pid: p.pid,
    uptimeSeconds: uptime(p),
    processState: p.state,
    stuck: component === 'runc' && stuck.has(p.pid),
  });
  // Oldest first: start order, not pid order, which wraps around on a busy host.
  const shims: ShimNode[] = [...view.members['containerd-shim']].sort(byStart).map((s) => {
    const id = flagValue(s.argv, ['-id', '--id']);
    const children = [
      ...view.members['docker-init'].filter((c) => c.ppid === s.pid).map((c) => [c, childNode(c, 'docker-init')] as const),
      ...view.members.runc.filter((c) => c.ppid === s.pid).map((c) => [c, childNode(c, 'runc')] as const),
    ]
      .sort(([a], [b]) => byStart(a, b))
      .map(([, node]) => node);
    return {
      component: 'containerd-shim',
      state: 'up',
      pid: s.pid,
      uptimeSeconds: uptime(s),
      containerId: id === null ? null : id.slice(0, SHORT_ID_LENGTH),
      namespace: flagValue(s.argv, ['-namespace', '--namespace']),
      orphan: isOrphanShim(s, probes, state.takenAtMs / 1000),
      children,
    };
  });

  const containerdExpected = view.containerdMode !== 'none' || shims.length > 0;
  const containerd: ContainerdNode = {
    ...daemonNode('containerd', state, view.containerd, containerdExpected, probes, nowMs, uptime),
    component: 'containerd',
    mode: view.containerdMode,
    address: view.containerdAddress,
    shims,
  };

  let dockerd: DockerdNode | null = null;
  if (opts.dockerdExpected) {
    dockerd = {
      ...daemonNode('dockerd', state, view.dockerd, true, probes, nowMs, uptime),
      component: 'dockerd',
      proxies: proxyNodes(view.members['docker-proxy'], view.dockerd !== null ? probes : null, uptime),
    };
  }

  const zombies: ZombieNode[] = view.zombies.map((z) => ({ component: zombieComponent(z), pid: z.pid, ppid: z.ppid }));
  const checks: TreeChecks = { ...state.checks, zombies: zombies.length };

  // The verdict.
  const criticals: string[] = [];
  const warnings: string[] = [];
  for (const node of [dockerd, containerd]) {
    if (node === null) continue;
    if (node.state === 'down' || node.state === 'hung' || node.state === 'unresponsive') {
      const error = node.state !== 'down' && node.probe?.error ? ` (${node.probe.error})` : '';
      criticals.push(`${node.component} ${node.state}${node.detail ? `: ${node.detail}` : ''}${error}`);
    }
    if (node.restarts > 0) {
      warnings.push(`${node.component} restarted ${node.restarts} ${node.restarts === 1 ? 'time' : 'times'} since the exporter started`);
    }
  }
  if (checks.orphanShims !== null && checks.orphanShims > 0) warnings.push(plural(checks.orphanShims, 'orphan shim', 'orphan shims') + ' (no containerd task)');
  if (checks.stuckRunc > 0) {
    warnings.push(`${plural(checks.stuckRunc, 'stuck runc process', 'stuck runc processes')} (older than ${opts.runcStuckAfterSeconds}s or in D state)`);
  }
  if (checks.missingProxies !== null && checks.missingProxies > 0) {
    warnings.push(`${plural(checks.missingProxies, 'published port', 'published ports')} without docker-proxy`);
  }
  if (zombies.length > 0) warnings.push(`${plural(zombies.length, 'zombie engine process', 'zombie engine processes')}`);
  for (const note of view.notes) warnings.push(note);

  const unknowns: string[] = [];
  if (state.scannedPids === 0) unknowns.push('the process scan saw no processes at all (no readable procfs, or busybox ps)');
  if (opts.stale) unknowns.push(`the latest poll is stale (taken ${formatAge((nowMs - state.takenAtMs) / 1000)} ago)`);

  const status: EngineStatus =
    unknowns.length > 0 ? 'UNKNOWN' : criticals.length > 0 ? 'CRITICAL' : warnings.length > 0 ? 'WARNING' : 'OK';
  const reasons = [...unknowns, ...criticals, ...warnings];
  return {
    status,
    exitCode: EXIT_CODES[status],
    reasons,
    summary: reasons.length > 0 ? reasons.join('; ') : healthySummary(dockerd, containerd),
    takenAtMs: state.takenAtMs,
    nowMs,
    dockerd,
    containerd,
    zombies,
    checks,
    notes: [...view.notes],
  };
}

function daemonNode(
  component: Singleton,
  state: EngineState,
  process: ProcessInfo | null,
  expected: boolean,
  probes: ProbeReport | null,
  nowMs: number,
  uptime: (p: ProcessInfo) => number | null,
): DaemonNode {
  const track = state.tracker.singletons[component];
  const probeName: ProbeName = component === 'dockerd' ? 'dockerd_ping' : 'containerd_health';
  const outcome = probes?.outcomes.get(probeName);
  const probe: ProbeSummary | null = outcome
    ? { probe: probeName, success: outcome.success, latencySeconds: outcome.durationSeconds, error: outcome.error, atMs: outcome.atMs }
    : null;
  const version = component === 'dockerd' ? (probes?.engineVersions?.dockerd || null) : (probes?.containerdVersion || null);
  let linkState: LinkState;
  let detail: string | null = null;
  if (process === null) {
    linkState = expected ? 'down' : 'none';
    if (expected) {
      const last = track.last;
      detail =
        last !== null && track.downSinceMs !== null
          ? `pid ${last.pid} last seen ${formatAge(Math.max(0, (nowMs - track.downSinceMs) / 1000))} ago`
          : 'no live process';
    } else {
      detail = 'not running (embedded in dockerd, or not used by this engine)';
    }
  } else if (track.hung) {
    linkState = 'hung';
    detail = `pid ${process.pid} alive (state ${process.state ?? '?'}) but ${probeName} unanswered on ${track.unansweredPolls} polls`;
  } else if (track.healthy === false) {
    linkState = 'unresponsive';
    detail = `pid ${process.pid} alive (state ${process.state ?? '?'}) but ${probeName} failed`;
  } else {
    linkState = 'up';
  }
  const sinceMs =
    process !== null
      ? process.startTimeSeconds === null
        ? null
        : Math.round(process.startTimeSeconds * 1000)
      : track.downSinceMs;
  return {
    component,
    state: linkState,
    pid: process?.pid ?? null,
    startTimeSeconds: process?.startTimeSeconds ?? null,
    uptimeSeconds: process ? uptime(process) : null,
    restarts: track.restarts,
    sinceMs,
    unansweredPolls: track.unansweredPolls,
    probe,
    version,
    detail,
  };
}

/** The same rule as countOrphanShims (chain-checks.ts), for one shim. */
function isOrphanShim(shim: ProcessInfo, probes: ProbeReport | null, nowSeconds: number): boolean | null {
  const tasks = probes?.tasks ?? null;
  if (tasks === null) return null;
  const ns = flagValue(shim.argv, ['-namespace', '--namespace']);
  const id = flagValue(shim.argv, ['-id', '--id']);
  if (ns === null || id === null) return null;
  const known = tasks.get(ns);
  if (!known) return null;
  if (shim.startTimeSeconds !== null && nowSeconds - shim.startTimeSeconds < ORPHAN_GRACE_SECONDS) return null;
  return !known.some((t) => t.id === id);
}

/**
 * Running proxies, then published ports that have none (the same matching as countMissingProxies:
 * by protocol and host port), only while the ports are known and the userland proxy is on.
 */
function proxyNodes(running: readonly ProcessInfo[], probes: ProbeReport | null, uptime: (p: ProcessInfo) => number | null): ProxyNode[] {
  const nodes: ProxyNode[] = running.map((p) => {
    const port = Number(flagValue(p.argv, ['-host-port']));
    const containerIp = flagValue(p.argv, ['-container-ip']);
    const containerPort = flagValue(p.argv, ['-container-port']);
    return {
      component: 'docker-proxy',
      state: 'up',
      pid: p.pid,
      uptimeSeconds: uptime(p),
      proto: flagValue(p.argv, ['-proto']) ?? 'tcp',
      hostIp: flagValue(p.argv, ['-host-ip']),
      hostPort: Number.isInteger(port) && port > 0 ? port : null,
      target: containerIp !== null && containerPort !== null ? `${containerIp}:${containerPort}` : null,
    };
  });
  nodes.sort((a, b) => (a.hostPort ?? 0) - (b.hostPort ?? 0) || a.proto.localeCompare(b.proto) || (a.pid ?? 0) - (b.pid ?? 0));
  if (probes?.publishedPorts && probes.userlandProxy) {
    const have = new Set(nodes.map((n) => `${n.proto}/${n.hostPort ?? ''}`));
    const missing = new Map<string, ProxyNode>();
    for (const port of probes.publishedPorts) {
      const key = `${port.proto}/${port.hostPort}`;
      if (have.has(key) || missing.has(key)) continue;
      missing.set(key, {
        component: 'docker-proxy',
        state: 'down',
        pid: null,
        uptimeSeconds: null,
        proto: port.proto,
        hostIp: port.hostIp || null,
        hostPort: port.hostPort,
        target: null,
      });
    }
    nodes.push(...[...missing.values()].sort((a, b) => (a.hostPort ?? 0) - (b.hostPort ?? 0)));
  }
  return nodes;
}

function zombieComponent(p: ProcessInfo): string {
  const exe = p.exe ?? p.argv[0] ?? p.comm;
  const base = exe.slice(exe.lastIndexOf('/') + 1);
  return base.startsWith('containerd-shim') ? 'containerd-shim' : base;
}

function healthySummary(dockerd: DockerdNode | null, containerd: ContainerdNode): string {
  const parts: string[] = [];
  if (dockerd) parts.push(`dockerd ${dockerd.state}`);
  parts.push(`containerd ${containerd.state} (${containerd.mode})`);
  const inits = containerd.shims.reduce((n, s) => n + s.children.filter((c) => c.component === 'docker-init').length, 0);
  parts.push(plural(containerd.shims.length, 'shim', 'shims'));
  parts.push(plural(inits, 'docker-init', 'docker-init'));
  if (dockerd) parts.push(plural(dockerd.proxies.filter((p) => p.state === 'up').length, 'docker-proxy', 'docker-proxies'));
  return parts.join(', ');
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** 0.4s, 42s, 3m07s, 2h03m, 4d05h. */
export function formatAge(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 10) return `${Math.round(seconds * 10) / 10}s`;
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor((s % 86_400) / 3600))}h`;
}

/** 0.8ms, 12ms, 1.04s. */
export function formatLatency(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 0.01) return `${Math.round(seconds * 10_000) / 10}ms`;
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  return `${Math.round(seconds * 100) / 100}s`;
}
