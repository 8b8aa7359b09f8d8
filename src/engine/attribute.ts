/**
 * Which processes belong to the watched engine (DESIGN.md "The engine model"): dockerd by pidfile,
 * containerd as dockerd's child or by socket, shims by `-address`, runc and docker-init as children of
 * those shims, proxies as children of dockerd. A second engine on the host is left out.
 */
import type { ProcessInfo, ProcessSnapshot } from '../sources/process-source.js';
import { classifyProcess } from './classify.js';
import {
  DEFAULT_CONTAINERD_ADDRESS,
  DEFAULT_DOCKERD_EXEC_ROOT,
  perComponent,
  type Component,
  type ContainerdMode,
} from './components.js';
import { flagValue } from '../sources/procfs/parse-proc.js';

export interface AttributionSettings {
  /** False on a containerd-only node (--docker.host=""): no dockerd is expected. */
  dockerdExpected: boolean;
  /** --containerd.address when given; null means discover it. */
  containerdAddress: string | null;
}

/** What the previous poll concluded; keeps attribution stable while a daemon is briefly gone. */
export interface AttributionMemory {
  containerdMode: ContainerdMode;
  containerdAddress: string | null;
  /** Last pids of the singletons, to recognise their zombies after they died. */
  lastDockerdPid: number | null;
  lastContainerdPid: number | null;
}

export const EMPTY_MEMORY: AttributionMemory = {
  containerdMode: 'unknown',
  containerdAddress: null,
  lastDockerdPid: null,
  lastContainerdPid: null,
};

export interface EngineView {
  /** The watched dockerd, live and not a zombie; null when down (or not expected). */
  dockerd: ProcessInfo | null;
  containerd: ProcessInfo | null;
  containerdMode: ContainerdMode;
  /** The socket the watched containerd listens on (normalised path), when known. */
  containerdAddress: string | null;
  /** Live (non-zombie) processes of each component that belong to the watched engine. */
  members: Record<Component, ProcessInfo[]>;
  /** Engine processes that are zombies (dead, not yet reaped). */
  zombies: ProcessInfo[];
  /** Why a singleton could not be chosen, when that is worth saying (several dockerds, no pidfile). */
  notes: string[];
}

interface Classified {
  p: ProcessInfo;
  component: Component;
}

export function attributeEngine(
  snapshot: ProcessSnapshot,
  settings: AttributionSettings,
  memory: AttributionMemory,
): EngineView {
  const byPid = new Map<number, Classified>();
  for (const p of snapshot.processes) {
    const component = classifyProcess(p);
    if (component !== null) byPid.set(p.pid, { p, component });
  }
  // Between fork and exec a child carries its parent's exe and argv: a "containerd" child of
  // containerd is not a second containerd. No component legitimately parents its own kind.
  const all = [...byPid.values()].filter((c) => byPid.get(c.p.ppid)?.component !== c.component);
  const isZombie = (p: ProcessInfo): boolean => p.state === 'Z' || p.state === 'X';
  const of = (component: Component): ProcessInfo[] => all.filter((c) => c.component === component).map((c) => c.p);
  const notes: string[] = [];

  // dockerd: the pidfile's pid; without a pidfile, the only dockerd on the host.
  let dockerdAny: ProcessInfo | null = null;
  if (settings.dockerdExpected) {
    const dockerds = of('dockerd');
    if (snapshot.dockerdPidfilePid !== null) {
      dockerdAny = dockerds.find((p) => p.pid === snapshot.dockerdPidfilePid) ?? null;
    } else if (snapshot.dockerdPidfileFailed && memory.lastDockerdPid !== null) {
      // The pidfile exists but cannot be read just now: keep to the dockerd it named before.
      dockerdAny = dockerds.find((p) => p.pid === memory.lastDockerdPid) ?? null;
    } else if (dockerds.length === 1) {
      dockerdAny = dockerds[0] ?? null;
    } else if (dockerds.length > 1) {
      notes.push(`${dockerds.length} dockerd processes and no pidfile to choose one: set --docker.pidfile`);
    }
  }
  const dockerd = dockerdAny !== null && !isZombie(dockerdAny) ? dockerdAny : null;

  // containerd: dockerd's own child (managed), or the one listening on the expected socket (system).
  const containerds = of('containerd');
  const execRoot = dockerd ? (flagValue(dockerd.argv, ['--exec-root']) ?? DEFAULT_DOCKERD_EXEC_ROOT) : null;
  const addressOf = (c: ProcessInfo): string =>
    normaliseAddress(
      c.containerdAddress ??
        (dockerd && c.ppid === dockerd.pid ? `${execRoot}/containerd/containerd.sock` : DEFAULT_CONTAINERD_ADDRESS),
    );
  const managedChild = dockerd ? (containerds.find((c) => c.ppid === dockerd.pid && !isZombie(c)) ?? null) : null;
  const dockerdContainerdFlag = dockerd ? flagValue(dockerd.argv, ['--containerd']) : null;

  let target: string | null;
  let containerd: ProcessInfo | null = null;
  let mode: ContainerdMode;
  if (settings.containerdAddress !== null || dockerdContainerdFlag !== null) {
    target = normaliseAddress((settings.containerdAddress ?? dockerdContainerdFlag) as string);
    containerd = containerds.find((c) => !isZombie(c) && addressOf(c) === target) ?? null;
    mode = containerd ? (dockerd && containerd.ppid === dockerd.pid ? 'managed' : 'system') : memory.containerdMode;
  } else if (managedChild) {
    containerd = managedChild;
    target = addressOf(managedChild);
    mode = 'managed';
  } else if (memory.containerdMode === 'managed' && settings.dockerdExpected) {
    // Its managed containerd is down (killed; dockerd restarts it ~10 s later) or dockerd itself is
    // down. Do not adopt another engine's containerd meanwhile; keep counting this engine's shims.
    target = memory.containerdAddress;
    mode = 'managed';
    // Still there without its dockerd (a missed read of dockerd, or a restart in progress)?
    containerd =
      containerds.find(
        (c) =>
          !isZombie(c) &&
          ((c.containerdAddress != null && normaliseAddress(c.containerdAddress) === target) ||
            c.pid === memory.lastContainerdPid),
      ) ?? null;
  } else {
    target = memory.containerdAddress ?? guessAddress(dockerd ? execRoot : settings.dockerdExpected ? DEFAULT_DOCKERD_EXEC_ROOT : null, of('containerd-shim'));
    containerd = containerds.find((c) => !isZombie(c) && addressOf(c) === target) ?? null;
    // 'none' (embedded, experimental upstream) only for a dockerd that never had a containerd: a
    // system containerd that died stays 'system', and down.
    mode = containerd ? 'system' : memory.containerdMode === 'unknown' && dockerd ? 'none' : memory.containerdMode;
  }

  const shims = target === null ? [] : of('containerd-shim').filter((s) => shimAddress(s) === target);
  const shimPids = new Set(shims.map((s) => s.pid));
  const childrenOfShims = (component: Component): ProcessInfo[] => of(component).filter((p) => shimPids.has(p.ppid));
  const proxies = dockerd ? of('docker-proxy').filter((p) => p.ppid === dockerd.pid) : [];

  const members = perComponent<ProcessInfo[]>(() => []);
  if (dockerd) members.dockerd.push(dockerd);
  if (containerd) members.containerd.push(containerd);
  members['containerd-shim'] = shims.filter((p) => !isZombie(p));
  members.runc = childrenOfShims('runc').filter((p) => !isZombie(p));
  members['docker-init'] = childrenOfShims('docker-init').filter((p) => !isZombie(p));
  members['docker-proxy'] = proxies.filter((p) => !isZombie(p));

  // Zombies: engine processes that died and are not reaped yet. A dead daemon is reparented (to init),
  // so it is recognised by the pid it had when it was last seen alive.
  const enginePids = new Set<number>([...shimPids, ...(dockerd ? [dockerd.pid] : []), ...(containerd ? [containerd.pid] : [])]);
  const zombies = all
    .map((c) => c.p)
    .filter(
      (p) =>
        isZombie(p) &&
        (enginePids.has(p.ppid) ||
          p.pid === memory.lastDockerdPid ||
          p.pid === memory.lastContainerdPid ||
          p === dockerdAny),
    );

  return { dockerd, containerd, containerdMode: mode, containerdAddress: target, members, zombies, notes };
}

/**
 * No containerd seen yet (the exporter started while it was down): if shims point at dockerd's own
 * managed socket, that is the engine's containerd; otherwise containerd's default socket.
 */
function guessAddress(execRoot: string | null, shims: readonly ProcessInfo[]): string {
  if (execRoot !== null) {
    const managed = normaliseAddress(`${execRoot}/containerd/containerd.sock`);
    if (shims.some((s) => shimAddress(s) === managed)) return managed;
  }
  return DEFAULT_CONTAINERD_ADDRESS;
}

/** `unix:///run/x.sock`, `/var/run/x.sock` and `/run/x.sock` name the same socket. */
export function normaliseAddress(address: string): string {
  let path = address.startsWith('unix://') ? address.slice('unix://'.length) : address;
  if (path.startsWith('/var/run/')) path = path.slice('/var'.length);
  return path;
}

function shimAddress(shim: ProcessInfo): string | null {
  const address = flagValue(shim.argv, ['-address', '--address']);
  return address === null ? null : normaliseAddress(address);
}
