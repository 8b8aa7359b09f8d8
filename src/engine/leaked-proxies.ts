/**
 * docker-proxy processes that hold a host port no running container publishes: the opposite of a
 * missing proxy (chain-checks.ts). dockerd starts one per published port and address family and is
 * meant to stop it with the container; one left behind keeps the port bound, so the next container
 * that publishes it fails with "address already in use".
 */
import type { EngineView } from './attribute.js';
import { proxyEndpoint } from './chain-checks.js';
import type { ProcessInfo } from './process-model.js';
import type { PublishedPort } from './probe-report.js';

/** A proxy younger than this may belong to a container dockerd's last list did not show yet. */
const LEAK_GRACE_SECONDS = 10;

/** The host addresses that mean "every address" in dockerd's list and docker-proxy's -host-ip. */
function sameHostIp(a: string, b: string): boolean {
  const norm = (ip: string): string => (ip === '' ? '0.0.0.0' : ip.replace(/^\[|\]$/g, ''));
  return norm(a) === norm(b);
}

/**
 * The proxies whose protocol, host address and port match no published port of a running container.
 * Null when it cannot be told: dockerd down, its container list unknown, or the userland proxy off.
 */
export function leakedProxies(
  view: EngineView,
  published: readonly PublishedPort[] | null,
  userlandProxy: boolean,
  nowSeconds: number,
): ProcessInfo[] | null {
  if (view.dockerd === null || published === null || !userlandProxy) return null;
  return view.members['docker-proxy'].filter((proxy) => {
    if (proxy.startTimeSeconds !== null && nowSeconds - proxy.startTimeSeconds < LEAK_GRACE_SECONDS) return false;
    const { proto, hostIp, hostPort } = proxyEndpoint(proxy);
    if (hostPort === null) return false; // not a proxy command line this check can read
    return !published.some((p) => p.hostPort === hostPort && p.proto === proto && sameHostIp(p.hostIp, hostIp ?? ''));
  });
}
