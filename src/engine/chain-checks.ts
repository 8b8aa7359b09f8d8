/**
 * The chain checks: links that exist but are broken. Pure functions of the attributed view and what
 * the probes returned; each returns null when its input is unknown (a probe failed), so the metric is
 * withheld instead of guessed.
 */
import type { ProcessInfo } from '../sources/process-source.js';
import { flagValue } from '../sources/procfs/parse-proc.js';
import type { EngineView } from './attribute.js';

/** A shim younger than this may not have its task created yet. */
export const ORPHAN_GRACE_SECONDS = 10;

/**
 * Shims of the watched containerd whose `-id` is no task in their namespace. Shims in namespaces that
 * are not watched cannot be judged and are not counted. `tasks` is null when any Tasks/List failed.
 */
export function countOrphanShims(
  view: EngineView,
  tasks: ReadonlyMap<string, ReadonlySet<string>> | null,
  nowSeconds: number,
): number | null {
  if (tasks === null) return null;
  let orphans = 0;
  for (const shim of view.members['containerd-shim']) {
    const ns = flagValue(shim.argv, ['-namespace', '--namespace']);
    const id = flagValue(shim.argv, ['-id', '--id']);
    if (ns === null || id === null) continue;
    const known = tasks.get(ns);
    if (!known) continue;
    if (shim.startTimeSeconds !== null && nowSeconds - shim.startTimeSeconds < ORPHAN_GRACE_SECONDS) continue;
    if (!known.has(id)) orphans++;
  }
  return orphans;
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

/**
 * Published host ports with no docker-proxy. Matched by port and protocol (dockerd may start one
 * proxy per address family for the same port). Null when the ports are unknown or the userland proxy
 * is off (then no proxy is expected).
 */
export function countMissingProxies(
  view: EngineView,
  published: readonly PublishedPortKey[] | null,
  userlandProxy: boolean,
): number | null {
  if (published === null || !userlandProxy) return null;
  const running = new Set<string>();
  for (const proxy of view.members['docker-proxy']) {
    const port = flagValue(proxy.argv, ['-host-port']);
    const proto = flagValue(proxy.argv, ['-proto']) ?? 'tcp';
    if (port !== null) running.add(`${proto}/${port}`);
  }
  const expected = new Set(published.map((p) => `${p.proto}/${p.hostPort}`));
  let missing = 0;
  for (const key of expected) if (!running.has(key)) missing++;
  return missing;
}

/** `--userland-proxy=false` on dockerd's command line; null when the command line does not say. */
export function userlandProxyFromArgv(dockerd: ProcessInfo): boolean | null {
  for (const arg of dockerd.argv) {
    const m = /^--userland-proxy(?:=(.*))?$/.exec(arg);
    if (m) return m[1] === undefined ? true : !['false', '0', 'f', 'F', 'FALSE', 'False'].includes(m[1]);
  }
  return null;
}
