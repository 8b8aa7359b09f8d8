/**
 * Builds the engine tree (tree-nodes.ts) from the last EngineState and a few settings. Pure. The rules
 * (link states, orphan shims, stuck runc, which published port lacks its proxy) are the engine's own
 * (src/engine), the same the metrics count with; this file only arranges their answers for a person.
 */
import { containerIdsOf, isOrphanShim, proxyEndpoint, shimTask, stuckRunc, taskIdsOf, unproxiedPorts } from '../engine/chain-checks.js';
import { classifyProcess } from '../engine/classify.js';
import type { Singleton } from '../engine/components.js';
import type { EngineState, ProcessInfo } from '../engine/engine-state.js';
import { HEALTH_PROBE, linkState } from '../engine/link-state.js';
import { deepFindings, deepWarnings } from './deep-findings.js';
import { formatAgo } from './format.js';
import type {
  ChildNode,
  ContainerdNode,
  DaemonNode,
  DockerdNode,
  EngineTree,
  KernelCauseSummary,
  KernelCounts,
  ProbeSummary,
  ProxyNode,
  ShimNode,
  TreeChecks,
} from './tree-nodes.js';
import { unknownVerdict, verdict } from './verdict.js';
import { headroomReport } from './headroom-report.js';

/** Docker's short container id. */
const SHORT_ID_LENGTH = 12;

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

/** Start order (start ticks since boot), pid as the tie-break (and where a start is unknown): the order processes came up in. */
const byStart = (a: ProcessInfo, b: ProcessInfo): number =>
  (a.startTicks ?? Number.POSITIVE_INFINITY) - (b.startTicks ?? Number.POSITIVE_INFINITY) || a.pid - b.pid;

export function buildEngineTree(state: EngineState | null, opts: EngineTreeOptions): EngineTree {
  if (state === null) {
    return {
      ...unknownVerdict(opts.pollError),
      takenAtMs: null,
      nowMs: opts.nowMs,
      dockerd: null,
      containerd: null,
      zombies: [],
      checks: null,
      notes: [],
      headroom: null,
      deep: null,
    };
  }
  const { view } = state;
  const nowMs = opts.nowMs;
  const uptime = (p: ProcessInfo): number | null =>
    p.startTimeSeconds === null ? null : Math.max(0, Math.round((nowMs / 1000 - p.startTimeSeconds) * 10) / 10);

  const containerd: ContainerdNode = {
    ...daemonNode('containerd', state, opts, uptime),
    component: 'containerd',
    mode: view.containerdMode,
    address: view.containerdAddress,
    shims: shimNodes(state, opts.runcStuckAfterSeconds, uptime),
  };
  const dockerd: DockerdNode | null = opts.dockerdExpected
    ? { ...daemonNode('dockerd', state, opts, uptime), component: 'dockerd', proxies: proxyNodes(state, uptime) }
    : null;
  const zombies = view.zombies.map((z) => ({ component: zombieComponent(z), pid: z.pid, ppid: z.ppid }));
  const checks: TreeChecks = { ...state.checks, zombies: zombies.length };
  const headroom = state.headroom ? headroomReport(state.headroom) : null;
  const sweep = state.probes?.sweep ?? null;
  const kernel: KernelCounts | null = state.kernel
    ? { oomKills: { ...state.kernel.oomKills }, hungTaskReports: { ...state.kernel.hungTaskReports } }
    : null;
  const deep = deepFindings(state);
  return {
    ...verdict({
      dockerd,
      containerd,
      checks,
      notes: [...view.notes, ...deepWarnings(deep)],
      scannedNothing: state.scannedPids === 0,
      staleSeconds: opts.stale ? (nowMs - state.takenAtMs) / 1000 : null,
      runcStuckAfterSeconds: opts.runcStuckAfterSeconds,
      headroom,
      sweep,
      kernel,
    }),
    takenAtMs: state.takenAtMs,
    nowMs,
    dockerd,
    containerd,
    zombies,
    checks,
    sweep,
    notes: [...view.notes],
    headroom,
    kernel,
    deep,
  };
}

/** The latest kernel report about this daemon's current process or the one it replaced. */
function kernelCauseOf(state: EngineState, component: Singleton): KernelCauseSummary | null {
  const last = state.kernel?.lastCause[component] ?? null;
  if (last === null) return null;
  const track = state.tracker.singletons[component];
  const current = track.current !== null && track.current.pid === last.pid && track.current.start === last.startTicks;
  return { cause: last.cause, pid: last.pid, current };
}

function daemonNode(component: Singleton, state: EngineState, opts: EngineTreeOptions, uptime: (p: ProcessInfo) => number | null): DaemonNode {
  const process = state.view[component];
  const track = state.tracker.singletons[component];
  const probes = state.probes;
  const probeName = HEALTH_PROBE[component];
  const outcome = probes?.outcomes.get(probeName);
  const probe: ProbeSummary | null = outcome
    ? { probe: probeName, success: outcome.success, latencySeconds: outcome.durationSeconds, error: outcome.error, atMs: outcome.atMs }
    : null;
  const version = component === 'dockerd' ? probes?.engineVersions?.dockerd || null : probes?.containerdVersion || null;
  const linkNow = linkState(state, component, opts.dockerdExpected);
  let detail: string | null = null;
  if (linkNow === 'down') {
    detail =
      track.last !== null && track.downSinceMs !== null
        ? `pid ${track.last.pid} last seen ${formatAgo(track.downSinceMs, opts.nowMs)} ago`
        : 'no live process';
  } else if (linkNow === 'none') {
    detail = 'not running (embedded in dockerd, or not used by this engine)';
  } else if (process !== null && linkNow === 'hung') {
    detail = `pid ${process.pid} alive (state ${process.state ?? '?'}) but ${probeName} unanswered on ${track.unansweredPolls} polls`;
  } else if (process !== null && linkNow === 'unresponsive') {
    detail = `pid ${process.pid} alive (state ${process.state ?? '?'}) but ${probeName} failed`;
  }
  const sinceMs =
    process !== null ? (process.startTimeSeconds === null ? null : Math.round(process.startTimeSeconds * 1000)) : track.downSinceMs;
  return {
    component,
    state: linkNow,
    pid: process?.pid ?? null,
    startTimeSeconds: process?.startTimeSeconds ?? null,
    uptimeSeconds: process ? uptime(process) : null,
    restarts: track.restarts,
    sinceMs,
    unansweredPolls: track.unansweredPolls,
    probe,
    version,
    detail,
    ...(state.kernel ? { kernelCause: kernelCauseOf(state, component) } : {}),
  };
}

/** Shims, oldest first (start order, not pid order, which wraps around on a busy host), with their docker-init and runc. */
function shimNodes(state: EngineState, runcStuckAfterSeconds: number, uptime: (p: ProcessInfo) => number | null): ShimNode[] {
  const { view } = state;
  const nowSeconds = state.takenAtMs / 1000;
  const stuck = new Set(stuckRunc(view, nowSeconds, runcStuckAfterSeconds).map((p) => p.pid));
  const tasks = taskIdsOf(containerIdsOf(state.probes));
  const containers = new Map((state.probes?.containers ?? []).map((c) => [c.id, c]));
  const taskPid = (namespace: string | null, id: string | null): number | null =>
    namespace === null || id === null ? null : (state.probes?.tasks?.get(namespace)?.find((t) => t.id === id)?.pid ?? null);
  const childNode = (p: ProcessInfo, component: ChildNode['component']): ChildNode => ({
    component,
    state: 'up',
    pid: p.pid,
    uptimeSeconds: uptime(p),
    processState: p.state,
    stuck: component === 'runc' && stuck.has(p.pid),
  });
  return [...view.members['containerd-shim']].sort(byStart).map((s) => {
    const { namespace, id } = shimTask(s);
    const children = [
      ...view.members['docker-init'].filter((c) => c.ppid === s.pid).map((c) => [c, childNode(c, 'docker-init')] as const),
      ...view.members.runc.filter((c) => c.ppid === s.pid).map((c) => [c, childNode(c, 'runc')] as const),
    ]
      .sort(([a], [b]) => byStart(a, b))
      .map(([, node]) => node);
    const container = id === null ? undefined : containers.get(id);
    const mainPid = taskPid(namespace, id);
    const program = container?.program || null;
    return {
      component: 'containerd-shim',
      state: 'up',
      pid: s.pid,
      uptimeSeconds: uptime(s),
      containerId: id === null ? null : id.slice(0, SHORT_ID_LENGTH),
      namespace,
      containerName: container?.name || null,
      mainProcess: mainPid === null && program === null ? null : { pid: mainPid !== null && mainPid > 0 ? mainPid : null, program },
      orphan: isOrphanShim(s, tasks, nowSeconds),
      children,
    };
  });
}

/** Running proxies by host port, then the published ports that have none (while that can be told). */
function proxyNodes(state: EngineState, uptime: (p: ProcessInfo) => number | null): ProxyNode[] {
  const nodes: ProxyNode[] = state.view.members['docker-proxy'].map((p) => {
    const { proto, hostIp, hostPort, containerIp, containerPort } = proxyEndpoint(p);
    const target = containerIp !== null && containerPort !== null ? `${containerIp}:${containerPort}` : null;
    return { component: 'docker-proxy', state: 'up', pid: p.pid, uptimeSeconds: uptime(p), proto, hostIp, hostPort, target };
  });
  nodes.sort((a, b) => (a.hostPort ?? 0) - (b.hostPort ?? 0) || a.proto.localeCompare(b.proto) || (a.pid ?? 0) - (b.pid ?? 0));
  const probes = state.probes;
  const missing = unproxiedPorts(state.view, probes?.publishedPorts ?? null, probes?.userlandProxy ?? true) ?? [];
  const missingNodes = missing.map((port): ProxyNode => ({
    component: 'docker-proxy',
    state: 'down',
    pid: null,
    uptimeSeconds: null,
    proto: port.proto,
    hostIp: port.hostIp || null,
    hostPort: port.hostPort,
    target: null,
  }));
  return [...nodes, ...missingNodes.sort((a, b) => (a.hostPort ?? 0) - (b.hostPort ?? 0))];
}

/** The component a zombie was (attribution classified it), or its binary's name. */
function zombieComponent(p: ProcessInfo): string {
  const exe = p.exe ?? p.argv[0] ?? p.comm;
  return classifyProcess(p) ?? exe.slice(exe.lastIndexOf('/') + 1);
}
