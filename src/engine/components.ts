/** The six links of the chain, in the order of the architecture (docs/architecture.md, "The engine model"). */
export const COMPONENTS = ['dockerd', 'containerd', 'containerd-shim', 'runc', 'docker-proxy', 'docker-init'] as const;
export type Component = (typeof COMPONENTS)[number];

/** One per engine: these have an up/down state, an identity and restarts. */
export const SINGLETONS = ['dockerd', 'containerd'] as const;
export type Singleton = (typeof SINGLETONS)[number];

export type ContainerdMode = 'managed' | 'system' | 'none' | 'unknown';

/** containerd's default socket; dockerd uses it whenever it exists (docs/architecture.md, "Engine behaviour the code relies on"). */
export const DEFAULT_CONTAINERD_ADDRESS = '/run/containerd/containerd.sock';
/** dockerd's default --exec-root; its managed containerd listens under it. */
export const DEFAULT_DOCKERD_EXEC_ROOT = '/var/run/docker';

export function perComponent<T>(make: (c: Component) => T): Record<Component, T> {
  return Object.fromEntries(COMPONENTS.map((c) => [c, make(c)])) as Record<Component, T>;
}

/** The components a node has series for: all of them, without dockerd on a containerd-only node. */
export function expectedComponents(dockerdExpected: boolean): { singletons: Singleton[]; components: Component[] } {
  return {
    singletons: SINGLETONS.filter((c) => c !== 'dockerd' || dockerdExpected),
    components: COMPONENTS.filter((c) => c !== 'dockerd' || dockerdExpected),
  };
}
