/**
 * Which processes belong to the watched engine, by evidence rather than by name: a chain from trusted
 * roots. dockerd by its pidfile (or, without one, the only root dockerd in the host's mount namespace);
 * containerd as dockerd's child or as the process listening on the engine's socket; shims that name
 * that socket and run as containerd's uid in its mount namespace; runc and docker-init as children of
 * those shims; proxies as children of dockerd. Processes of other users or other mount namespaces
 * never count, whatever they are called, and a second engine on the host is left out.
 */
import type { ProcessInfo, ProcessSnapshot } from './process-model.js';
import { classifyProcess } from './classify.js';
import { DEFAULT_CONTAINERD_ADDRESS, DEFAULT_DOCKERD_EXEC_ROOT, perComponent, type Component, type ContainerdMode } from './components.js';
import { flagValue } from './argv.js';

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
  /**
   * The socket the watched containerd listens on (normalised path), when known: the engine's own host
   * path (what shims name), not necessarily the path the exporter reaches it at.
   */
  containerdAddress: string | null;
  /**
   * The live engine vouches for containerdAddress (the configured socket, or one a live attributed
   * containerd listens on, or dockerd names): only then is it dialled. A remembered or restored
   * address alone is not.
   */
  containerdAddressConfirmed: boolean;
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

export function attributeEngine(snapshot: ProcessSnapshot, settings: AttributionSettings, memory: AttributionMemory): EngineView {
  const byPid = new Map<number, Classified>();
  for (const p of snapshot.processes) {
    const component = classifyProcess(p);
    if (component !== null) byPid.set(p.pid, { p, component });
  }
  // Between fork and exec a child carries its parent's exe and argv: a "containerd" child of
  // containerd is not a second containerd. No component legitimately parents its own kind.
  const all = [...byPid.values()].filter((c) => byPid.get(c.p.ppid)?.component !== c.component);
  const of = (component: Component): ProcessInfo[] => all.filter((c) => c.component === component).map((c) => c.p);
  const notes: string[] = [];
  const hostNs = snapshot.hostMountNs ?? null;

  // dockerd: the pidfile's pid; without a pidfile, the only dockerd of root in the host's mount
  // namespace (anyone can start a process called dockerd; only root on the host can start the engine),
  // or among several such, the one listening on --docker.host.
  let dockerdAny: ProcessInfo | null = null;
  if (settings.dockerdExpected) {
    const dockerds = of('dockerd');
    if (snapshot.dockerdPidfilePid !== null) {
      dockerdAny = dockerds.find((p) => p.pid === snapshot.dockerdPidfilePid) ?? null;
    } else if (snapshot.dockerdPidfileFailed && memory.lastDockerdPid !== null) {
      // The pidfile exists but cannot be read just now: keep to the dockerd it named before.
      dockerdAny = dockerds.find((p) => p.pid === memory.lastDockerdPid) ?? null;
    } else {
      const eligible = dockerds.filter((p) => uidMatches(p, [0]) && sameNs(p.mountNs, hostNs));
      // The one serving the socket the exporter was given, when the sockets could be compared.
      const dockerSocket = snapshot.configuredSockets?.docker ?? null;
      const serving = dockerSocket === null ? [] : eligible.filter((p) => p.listening?.some((l) => l.fileId === dockerSocket));
      if (serving.length === 1) dockerdAny = serving[0] ?? null;
      else if (eligible.length === 1) dockerdAny = eligible[0] ?? null;
      else if (eligible.length > 1) notes.push(`${eligible.length} dockerd processes and no pidfile to choose one: set --docker.pidfile`);
    }
  }
  const dockerd = dockerdAny !== null && !isZombie(dockerdAny) ? dockerdAny : null;

  // The engine's daemons run as root (or as dockerd's uid, rootless) in dockerd's mount namespace, or
  // the host's without dockerd. A process of anyone else, or in a container, is never the engine's.
  const engineUids = dockerd?.uid != null ? [0, dockerd.uid] : [0];
  const engineNs = dockerd ? (dockerd.mountNs ?? null) : hostNs;
  const trusted = (c: ProcessInfo): boolean => uidMatches(c, engineUids) && sameNs(c.mountNs, engineNs);

  // containerd: dockerd's own child (managed), or the one listening on the engine's socket (system).
  const containerds = of('containerd').filter((c) => !isZombie(c) && trusted(c));
  const execRoot = dockerd ? (flagValue(dockerd.argv, ['--exec-root']) ?? DEFAULT_DOCKERD_EXEC_ROOT) : null;
  const managedPath = execRoot === null ? null : normaliseAddress(`${execRoot}/containerd/containerd.sock`);
  const addressOf = (c: ProcessInfo): string =>
    normaliseAddress(c.containerdAddress ?? (dockerd && c.ppid === dockerd.pid ? (managedPath as string) : DEFAULT_CONTAINERD_ADDRESS));
  /** containerd listens on `path`: by its sockets when they could be read, else by what it was told. */
  const listensOn = (c: ProcessInfo, path: string): boolean =>
    c.listening ? c.listening.some((l) => normaliseAddress(l.path) === path) : addressOf(c) === path;
  const managedChild = dockerd ? (containerds.find((c) => c.ppid === dockerd.pid) ?? null) : null;
  const dockerdContainerdFlag = dockerd ? flagValue(dockerd.argv, ['--containerd']) : null;

  let target: string | null;
  let containerd: ProcessInfo | null = null;
  let mode: ContainerdMode;
  if (settings.containerdAddress !== null) {
    // The exporter's path to the socket may be a bind mount or another mount namespace's path: the
    // containerd is the one whose own socket file is that file; its path is what shims name.
    const found = bySocketFile(containerds, snapshot.configuredSockets?.containerd ?? null);
    if (found) {
      containerd = found.process;
      target = normaliseAddress(found.path);
    } else if (found === undefined) {
      // No socket identities to compare (ps-list, no CAP_SYS_PTRACE, the socket missing): by path.
      target = normaliseAddress(settings.containerdAddress);
      containerd = containerds.find((c) => listensOn(c, target as string)) ?? null;
    } else {
      target = memory.containerdAddress ?? normaliseAddress(settings.containerdAddress);
    }
    mode = containerd ? (dockerd && containerd.ppid === dockerd.pid ? 'managed' : 'system') : memory.containerdMode;
  } else if (dockerdContainerdFlag !== null) {
    target = normaliseAddress(dockerdContainerdFlag);
    containerd = containerds.find((c) => listensOn(c, target as string)) ?? null;
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
          (target !== null &&
            (c.listening ? listensOn(c, target) : c.containerdAddress != null && normaliseAddress(c.containerdAddress) === target)) ||
          c.pid === memory.lastContainerdPid,
      ) ?? null;
  } else {
    target =
      memory.containerdAddress ??
      guessAddress(dockerd ? execRoot : settings.dockerdExpected ? DEFAULT_DOCKERD_EXEC_ROOT : null, of('containerd-shim'));
    containerd = containerds.find((c) => listensOn(c, target as string)) ?? null;
    // Seen for the first time while down: shims naming dockerd's own socket say it is dockerd's
    // managed containerd (killed, restarted by dockerd ~10 s later). 'none' (embedded, experimental
    // upstream) only for a dockerd with neither: a system containerd that died stays 'system', and down.
    const firstLook = memory.containerdMode === 'unknown' && dockerd !== null;
    mode = containerd ? 'system' : firstLook ? (target === managedPath ? 'managed' : 'none') : memory.containerdMode;
  }

  // Addresses the live engine vouches for: only these are dialled (a remembered or restored one may
  // be stale, or written by someone else).
  const vouched = new Set<string>();
  if (containerd) {
    vouched.add(addressOf(containerd));
    for (const l of containerd.listening ?? []) vouched.add(normaliseAddress(l.path));
  }
  if (dockerdContainerdFlag !== null) vouched.add(normaliseAddress(dockerdContainerdFlag));
  // dockerd's managed socket under its own exec root: the live dockerd names it, up or not yet.
  if (dockerd && managedPath !== null) vouched.add(managedPath);

  // Shims of this containerd: naming its socket, as its uid, in its mount namespace (a process in a
  // container or of another user can name any socket it likes), and hanging where containerd's shims
  // hang (shimParents).
  const shimUids = containerd?.uid != null ? [containerd.uid] : engineUids;
  const shimNs = containerd ? (containerd.mountNs ?? null) : engineNs;
  const parents = shimParents(containerd, dockerd);
  const shims =
    target === null
      ? []
      : of('containerd-shim').filter(
          (s) => shimAddress(s) === target && uidMatches(s, shimUids) && sameNs(s.mountNs, shimNs) && (parents === null || parents.has(s.ppid)),
        );
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
  // so it is recognised by the pid it had when it was last seen alive (and by its uid: a stranger's
  // zombie that got that pid is not the engine's).
  const enginePids = new Set<number>([...shimPids, ...(dockerd ? [dockerd.pid] : []), ...(containerd ? [containerd.pid] : [])]);
  const zombies = all
    .map((c) => c.p)
    .filter(
      (p) =>
        isZombie(p) &&
        (enginePids.has(p.ppid) ||
          p === dockerdAny ||
          ((p.pid === memory.lastDockerdPid || p.pid === memory.lastContainerdPid) && uidMatches(p, engineUids))),
    );

  return {
    dockerd,
    containerd,
    containerdMode: mode,
    containerdAddress: target,
    containerdAddressConfirmed: target !== null && vouched.has(target),
    members,
    zombies,
    notes,
  };
}

/**
 * Where a shim of the watched containerd can hang: containerd itself (a shim it runs, `start` or
 * `delete`), or whatever adopted it when its `start` parent exited. Linux gives an orphan to its nearest
 * ancestor that is a child subreaper, else to its pid namespace's init (prctl(2),
 * PR_SET_CHILD_SUBREAPER), and the orphan's ancestors are containerd's: so the adopter is containerd or
 * one of containerd's ancestors (pid 1, a supervisor that reaps, the init of a container the engine
 * runs in). A process named like a shim that hangs anywhere else (under a shell, under some other
 * program) is no shim of this engine, whatever socket it names. While containerd is down, dockerd's
 * place stands in for it (its managed containerd is dockerd's child; a system containerd's shims
 * hang off pid 1 or a supervisor dockerd shares). Null (no rule) when neither daemon's ancestry is
 * known: ps-list without a full listing, recorded fixtures, a chain that changed while it was read.
 */
function shimParents(containerd: ProcessInfo | null, dockerd: ProcessInfo | null): Set<number> | null {
  const daemon = containerd?.ancestors ? containerd : dockerd?.ancestors ? dockerd : null;
  if (daemon === null) return null;
  return new Set([daemon.pid, ...(daemon.ancestors ?? []), ...(containerd ? [containerd.pid] : [])]);
}

function isZombie(p: ProcessInfo): boolean {
  return p.state === 'Z' || p.state === 'X';
}

/** The process runs as one of `uids`; a source that cannot tell (null) is not held against it. */
function uidMatches(p: ProcessInfo, uids: readonly number[]): boolean {
  return p.uid == null || uids.includes(p.uid);
}

/** Same mount namespace, where both are known (procfs as root reads them; ps-list and fixtures cannot). */
function sameNs(a: string | null | undefined, b: string | null | undefined): boolean {
  return a == null || b == null || a === b;
}

/**
 * The containerd whose listening socket is the file `fileId` (`dev:ino` of the socket the exporter was
 * told to dial), with the path it bound. Undefined when nothing can be compared (no file id, or no
 * containerd whose sockets could be stat'ed); null when compared and none matched.
 */
function bySocketFile(containerds: readonly ProcessInfo[], fileId: string | null): { process: ProcessInfo; path: string } | null | undefined {
  if (fileId === null) return undefined;
  let compared = false;
  for (const c of containerds) {
    for (const l of c.listening ?? []) {
      if (l.fileId === null) continue;
      compared = true;
      if (l.fileId === fileId) return { process: c, path: l.path };
    }
  }
  return compared ? null : undefined;
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
function normaliseAddress(address: string): string {
  let path = address.startsWith('unix://') ? address.slice('unix://'.length) : address;
  if (path.startsWith('/var/run/')) path = path.slice('/var'.length);
  return path;
}

function shimAddress(shim: ProcessInfo): string | null {
  const address = flagValue(shim.argv, ['-address', '--address']);
  return address === null ? null : normaliseAddress(address);
}
