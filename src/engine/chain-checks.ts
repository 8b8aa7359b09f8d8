/**
 * The chain checks: links that exist but are broken. Pure functions of the attributed view and what
 * the probes returned; each returns null when its input is unknown (a probe failed), so the metric is
 * withheld instead of guessed. Each rule is here once: the metrics count with it and the report
 * (src/report) marks the nodes of the tree with it.
 */
import type { ProcessInfo } from './process-model.js';
import { flagValue } from './argv.js';
import type { EngineView } from './attribute.js';
import type { ProbeReport } from './probe-report.js';

/** A shim younger than this may not have its task created yet. */
const ORPHAN_GRACE_SECONDS = 10;

/** The task a shim serves, from the `-namespace` and `-id` containerd starts it with; null where absent. */
export function shimTask(shim: ProcessInfo): { namespace: string | null; id: string | null } {
  return { namespace: flagValue(shim.argv, ['-namespace', '--namespace']), id: flagValue(shim.argv, ['-id', '--id']) };
}

/** Container (or task) ids per watched namespace; null when a list failed. */
export type TaskIds = ReadonlyMap<string, ReadonlySet<string>>;

export function taskIdsOf(tasks: ReadonlyMap<string, readonly { id: string }[]> | null): TaskIds | null {
  return tasks === null ? null : new Map([...tasks].map(([ns, list]) => [ns, new Set(list.map((t) => t.id))]));
}

/**
 * The containers containerd knows, per namespace: its metadata (Containers/List), which never asks a
 * shim, so a hung shim's container is still known and the shim is no orphan. Where there is no such
 * list (tests that script only tasks), the tasks stand in.
 */
export function containerIdsOf(
  probes: Pick<ProbeReport, 'containerdContainers' | 'tasks'> | null,
): ReadonlyMap<string, readonly { id: string }[]> | null {
  if (!probes) return null;
  if (probes.containerdContainers === undefined) return probes.tasks;
  return probes.containerdContainers === null
    ? null
    : new Map([...probes.containerdContainers].map(([ns, ids]) => [ns, ids.map((id) => ({ id }))]));
}

/**
 * A shim whose `-id` is no container containerd knows in its namespace (containerIdsOf). Null when it
 * cannot be told: the list unknown, its namespace not watched, no `-id`, or younger than
 * ORPHAN_GRACE_SECONDS.
 */
export function isOrphanShim(shim: ProcessInfo, tasks: TaskIds | null, nowSeconds: number): boolean | null {
  if (tasks === null) return null;
  const { namespace, id } = shimTask(shim);
  if (namespace === null || id === null) return null;
  const known = tasks.get(namespace);
  if (!known) return null;
  if (shim.startTimeSeconds !== null && nowSeconds - shim.startTimeSeconds < ORPHAN_GRACE_SECONDS) return null;
  return !known.has(id);
}

/**
 * Shims of the watched containerd that are orphans. Shims in namespaces that are not watched cannot be
 * judged and are not counted. Null when any list failed.
 */
export function countOrphanShims(view: EngineView, tasks: TaskIds | null, nowSeconds: number): number | null {
  if (tasks === null) return null;
  return view.members['containerd-shim'].filter((shim) => isOrphanShim(shim, tasks, nowSeconds) === true).length;
}

/** runc lives for milliseconds; one older than `stuckAfterSeconds`, or in uninterruptible sleep, is stuck. */
export function stuckRunc(view: EngineView, nowSeconds: number, stuckAfterSeconds: number): ProcessInfo[] {
  return view.members.runc.filter(
    (p) => p.state === 'D' || (p.startTimeSeconds !== null && nowSeconds - p.startTimeSeconds > stuckAfterSeconds),
  );
}

export interface PublishedPortKey {
  hostPort: number;
  proto: string;
}

/** What a docker-proxy forwards, from the arguments dockerd starts it with. */
export interface ProxyEndpoint {
  /** `-proto`; tcp when absent (docker-proxy's own default). */
  proto: string;
  hostIp: string | null;
  /** `-host-port` as a number; null when absent or not a port. */
  hostPort: number | null;
  containerIp: string | null;
  containerPort: string | null;
}

export function proxyEndpoint(proxy: ProcessInfo): ProxyEndpoint {
  const port = Number(flagValue(proxy.argv, ['-host-port']));
  return {
    proto: flagValue(proxy.argv, ['-proto']) ?? 'tcp',
    hostIp: flagValue(proxy.argv, ['-host-ip']),
    hostPort: Number.isInteger(port) && port > 0 ? port : null,
    containerIp: flagValue(proxy.argv, ['-container-ip']),
    containerPort: flagValue(proxy.argv, ['-container-port']),
  };
}

/**
 * Published host ports with no docker-proxy, each protocol and port once (the first entry published).
 * Matched by port and protocol, not address: dockerd may start one proxy per address family for the
 * same port. Null when it cannot be told or no proxy is expected: dockerd down (its proxies went with
 * it), the ports unknown, or the userland proxy off.
 */
export function unproxiedPorts<P extends PublishedPortKey>(
  view: EngineView,
  published: readonly P[] | null,
  userlandProxy: boolean,
): P[] | null {
  if (view.dockerd === null || published === null || !userlandProxy) return null;
  const key = (proto: string, port: number): string => `${proto}/${port}`;
  const running = new Set<string>();
  for (const proxy of view.members['docker-proxy']) {
    const { proto, hostPort } = proxyEndpoint(proxy);
    if (hostPort !== null) running.add(key(proto, hostPort));
  }
  const missing = new Map<string, P>();
  for (const port of published) {
    const k = key(port.proto, port.hostPort);
    if (!running.has(k) && !missing.has(k)) missing.set(k, port);
  }
  return [...missing.values()];
}

export function countMissingProxies(view: EngineView, published: readonly PublishedPortKey[] | null, userlandProxy: boolean): number | null {
  return unproxiedPorts(view, published, userlandProxy)?.length ?? null;
}

/** `--userland-proxy=false` on dockerd's command line; null when the command line does not say. */
export function userlandProxyFromArgv(dockerd: ProcessInfo): boolean | null {
  for (const arg of dockerd.argv) {
    const m = /^--userland-proxy(?:=(.*))?$/.exec(arg);
    if (m) return m[1] === undefined ? true : !['false', '0', 'f', 'F', 'FALSE', 'False'].includes(m[1]);
  }
  return null;
}
