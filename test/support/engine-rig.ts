/**
 * A real Docker engine for tests (docs/architecture.md, "A real engine for tests"): a private dockerd from Debian's
 * docker.io, with its own managed containerd, runc, its own bridge and a busybox image, in a fresh
 * directory under /tmp. Everything the rig starts it stops again by pid, even after a test that failed
 * half-way (SIGSTOPped daemons, killed shims, overlay mounts left behind by kill -9).
 *
 * Isolation from other engines on the host:
 * - every rig gets its own bridge `rig-XXXXXX` with a random 10.213.N.0/24 subnet (`dockerd --bridge`),
 *   deleted again by stop(); so two rigs (or a rig and the host's own dockerd) never share docker0;
 * - dockerd runs with `--iptables=false --ip-forward=false`, so the rig adds no firewall rules and
 *   changes no sysctl; published ports still start one docker-proxy each (the userland proxy does the
 *   forwarding from 127.0.0.1);
 * - `--config-file` points at an empty daemon.json of its own, PATH is Debian's (no /usr/local shadows).
 * Not isolated: the shim sockets live in /run/containerd/s (named by hash, removed by stop()), container
 * cgroups are /docker/<id> (removed by stop() when empty). If /run/containerd/containerd.sock exists,
 * dockerd would use that system containerd instead of starting its own: engineAvailability() refuses.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
  copyFileSync,
  accessSync,
  constants as fsConstants,
  statSync,
} from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  argValue,
  children,
  descendants,
  isAlive,
  processTable,
  readCmdline,
  readExe,
  readProcStat,
  sleepSync,
  type ProcStat,
} from './proc.js';
import { delay, run, settlesWithin, type RunResult } from './run.js';

export { readProcStatState, processStartTimeSeconds, isAlive } from './proc.js';
export { scrape, metric, parseExposition, fetchText } from './scrape.js';
export { run, delay, settlesWithin } from './run.js';

// ---------------------------------------------------------------------------------------------------
// Availability

const DOCKER_CLIENT = '/usr/bin/docker';
const IMAGE = 'rig/busybox';
/** Debian's binaries only: /usr/local/bin holds a docker 28 client on some machines. */
const ENGINE_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const SYSTEM_CONTAINERD_SOCKET = '/run/containerd/containerd.sock';
const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

function findInPath(name: string, path = ENGINE_PATH): string | null {
  for (const dir of path.split(':')) {
    const p = join(dir, name);
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** True when the ELF file at path has no PT_INTERP program header (statically linked). */
function isStaticElf(path: string): boolean {
  const b = readFileSync(path);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2) return false; // ELF64 only
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    if (b.readUInt32LE(phoff + i * phentsize) === 3) return false; // PT_INTERP
  }
  return true;
}

function findStaticBusybox(): string | null {
  for (const p of BUSYBOX_CANDIDATES) {
    try {
      if (isStaticElf(p)) return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** Whether this machine can run the rig: root, Debian's engine binaries, a static busybox. */
export function engineAvailability(): { ok: true } | { ok: false; why: string } {
  if (process.platform !== 'linux') return { ok: false, why: 'not Linux' };
  if (process.getuid?.() !== 0) return { ok: false, why: 'not root (dockerd needs root)' };
  for (const bin of ['dockerd', 'containerd', 'containerd-shim-runc-v2', 'runc', 'docker-proxy', 'docker-init']) {
    if (!findInPath(bin)) return { ok: false, why: `${bin} not found in ${ENGINE_PATH} (apt-get install docker.io containerd runc)` };
  }
  if (!existsSync(DOCKER_CLIENT)) return { ok: false, why: `${DOCKER_CLIENT} not found (apt-get install docker.io)` };
  if (!findInPath('ip')) return { ok: false, why: 'ip (iproute2) not found: the rig creates its own bridge' };
  if (!findInPath('tar')) return { ok: false, why: 'tar not found' };
  if (!findStaticBusybox()) return { ok: false, why: 'no static busybox at /bin/busybox (apt-get install busybox-static)' };
  if (existsSync(SYSTEM_CONTAINERD_SOCKET)) {
    return {
      ok: false,
      why: `${SYSTEM_CONTAINERD_SOCKET} exists: dockerd would use that system containerd instead of starting its own`,
    };
  }
  return { ok: true };
}

/**
 * For node:test: the value of the `skip` option. Without an engine it returns the reason (the suite is
 * skipped), except under CI=true, where it throws: CI must fail, never skip, the real-engine suites.
 */
export function skipUnlessEngine(): string | false {
  const a = engineAvailability();
  if (a.ok) return false;
  if (process.env.CI === 'true') {
    throw new Error(`CI=true but the real engine is unavailable: ${a.why}`);
  }
  return `real engine unavailable: ${a.why}`;
}

// ---------------------------------------------------------------------------------------------------
// Exit-time cleanup: a rig or exporter left running when the test process exits is killed synchronously.

interface SyncCleanup {
  cleanupSync(): void;
}
const liveResources = new Set<SyncCleanup>();
let exitHooksInstalled = false;

function cleanupAllSync(): void {
  for (const r of [...liveResources]) {
    try {
      r.cleanupSync();
    } catch (e) {
      process.stderr.write(`engine-rig: exit-time cleanup failed: ${String(e)}\n`);
    }
  }
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', cleanupAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      cleanupAllSync();
      // Re-raise for the default action unless someone else (the test runner) handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

function track(r: SyncCleanup): void {
  installExitHooks();
  liveResources.add(r);
}

// ---------------------------------------------------------------------------------------------------
// Small helpers

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('no port'));
        return;
      }
      srv.close(() => resolvePort(addr.port));
    });
  });
}

/** Thrown from a waitFor callback to stop waiting at once (e.g. the awaited process exited). */
export class WaitAbort extends Error {}

/**
 * Polls fn every intervalMs until it returns a truthy value; throws naming `what` after timeoutMs.
 * Errors thrown by fn count as "not yet", except a WaitAbort, which ends the wait immediately.
 */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: string | undefined;
  for (;;) {
    try {
      last = await fn();
      lastError = undefined;
      if (last) return last;
    } catch (e) {
      if (e instanceof WaitAbort) throw e;
      lastError = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() >= deadline) {
      const detail = lastError !== undefined ? `last error: ${lastError}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${detail})`);
    }
    await delay(Math.min(intervalMs, Math.max(1, deadline - Date.now())));
  }
}

/** GET a path on a unix socket; resolves with the status code; rejects on error or timeout. */
function unixGet(socketPath: string, path: string, timeoutMs: number): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolveStatus(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} on ${socketPath} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function readPidFile(path: string): number | null {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The repository root: the nearest ancestor of this file with our package.json (works from build/ too). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'docker-engine-exporter') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root (package.json of docker-engine-exporter) not found');
    dir = up;
  }
}

interface Identity {
  pid: number;
  startTicks: number;
}

/** Sends sig to pid only if it is still the same process (pid and start time), never to pid ≤ 1. */
function signalIdentity(id: Identity, sig: NodeJS.Signals): void {
  if (id.pid <= 1 || id.pid === process.pid) return;
  const st = readProcStat(id.pid);
  if (!st || st.startTicks !== id.startTicks) return;
  try {
    process.kill(id.pid, sig);
  } catch {
    /* gone meanwhile */
  }
}

function goneOrZombie(id: Identity): boolean {
  const st = readProcStat(id.pid);
  return !st || st.startTicks !== id.startTicks || st.state === 'Z' || st.state === 'X';
}

function mountPointsUnder(dir: string): string[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (mp === undefined) continue;
    const p = unescape(mp);
    if (p === dir || p.startsWith(`${dir}/`)) out.push(p);
  }
  // Deepest (and latest) first.
  return out.reverse().sort((a, b) => b.split('/').length - a.split('/').length);
}

const ENGINE_EXES = new Set(['dockerd', 'containerd', 'containerd-shim-runc-v2', 'docker-proxy', 'runc', 'docker-init', 'ctr']);

// ---------------------------------------------------------------------------------------------------
// The rig

interface DockerOptions {
  timeoutMs?: number;
  input?: Buffer | string;
}

export interface EngineRig {
  /** Fresh directory under /tmp (short: unix socket paths are limited to 108 bytes). */
  dir: string;
  /** unix://<dir>/docker.sock */
  dockerHost: string;
  dockerSocket: string;
  pidfile: string;
  execRoot: string;
  dataRoot: string;
  /** <execRoot>/containerd/containerd.sock */
  containerdSocket: string;
  /** The rig's own bridge (`dockerd --bridge`). */
  bridge: string;
  /** dockerd's stdout+stderr. */
  dockerdLog: string;
  /** /usr/bin/docker with DOCKER_HOST set, bounded by a timeout (default 60 s); rejects on non-zero exit. */
  docker(args: string[], opts?: DockerOptions): Promise<{ stdout: string; stderr: string }>;
  /** dockerd's pid from the pidfile, only if alive, not a zombie, and ours. */
  dockerdPid(): number | null;
  /** The live, non-zombie child of dockerd whose exe basename is containerd (not a fork copy). */
  containerdPid(): number | null;
  /** (Re)starts dockerd on the same dirs and pidfile, after the previous containerd has left /proc; waits for /_ping. */
  startDockerd(): Promise<void>;
  waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs: number): Promise<T>;
  /**
   * Spawns a helper process owned by the rig (e.g. a second, standalone containerd); stop() kills it
   * and its whole tree. stdout+stderr go to <dir>/<logName>.
   */
  spawnOwned(cmd: string, args: string[], logName: string): ChildProcess;
  /** Full cleanup; idempotent; survives half-failed tests. */
  stop(): Promise<void>;
}

export interface EngineRigOptions {
  extraDockerdArgs?: string[];
  /** Skip importing rig/busybox (faster when a test needs no container). */
  noImage?: boolean;
  /** Put the exec root on a tmpfs of this many bytes (a small /run to fill); stop() unmounts it. */
  execRootTmpfsBytes?: number;
}

class Rig implements EngineRig, SyncCleanup {
  readonly dockerHost: string;
  readonly dockerSocket: string;
  readonly pidfile: string;
  readonly execRoot: string;
  readonly dataRoot: string;
  readonly containerdSocket: string;
  readonly dockerdLog: string;
  private readonly daemonJson: string;
  private readonly clientConfig: string;
  private dockerdChild: ChildProcess | null = null;
  private readonly owned = new Set<ChildProcess>();
  private readonly seenContainerd = new Set<number>();
  private readonly knownContainerIds = new Set<string>();
  private bridgeCreated = false;
  private stopping: Promise<void> | null = null;
  private cleaned = false;

  constructor(
    readonly dir: string,
    readonly bridge: string,
    private readonly extraDockerdArgs: string[],
  ) {
    this.dockerSocket = join(dir, 'docker.sock');
    this.dockerHost = `unix://${this.dockerSocket}`;
    this.pidfile = join(dir, 'docker.pid');
    this.execRoot = join(dir, 'exec');
    this.dataRoot = join(dir, 'data');
    this.containerdSocket = join(this.execRoot, 'containerd', 'containerd.sock');
    this.dockerdLog = join(dir, 'dockerd.log');
    this.daemonJson = join(dir, 'daemon.json');
    this.clientConfig = join(dir, 'client');
  }

  waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs: number): Promise<T> {
    return waitFor(what, fn, timeoutMs);
  }

  /** A clean environment for the docker client: our socket, our (empty) config, no contexts or TLS. */
  private clientEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of ['DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_TLS']) delete env[k];
    env.DOCKER_HOST = this.dockerHost;
    env.DOCKER_CONFIG = this.clientConfig;
    env.DOCKER_BUILDKIT = '0';
    env.PATH = ENGINE_PATH;
    return env;
  }

  async docker(args: string[], opts: DockerOptions = {}): Promise<{ stdout: string; stderr: string }> {
    const r = await run(DOCKER_CLIENT, args, { env: this.clientEnv(), timeoutMs: opts.timeoutMs ?? 60_000, input: opts.input });
    return { stdout: r.stdout, stderr: r.stderr };
  }

  /** Like docker() but resolves with the exit status instead of rejecting. */
  dockerRaw(args: string[], timeoutMs = 60_000): Promise<RunResult> {
    return run(DOCKER_CLIENT, args, { env: this.clientEnv(), timeoutMs, allowFailure: true });
  }

  /** True when argv belongs to a process started for this rig (names one of our paths). */
  private mentionsRig(argv: readonly string[]): boolean {
    const prefix = `${this.dir}/`;
    return argv.some((a) => a.includes(prefix));
  }

  dockerdPid(): number | null {
    const pid = readPidFile(this.pidfile);
    if (pid === null || !isAlive(pid)) return null;
    const argv = readCmdline(pid);
    if (!argv.includes(this.pidfile) && !argv.includes(`--pidfile=${this.pidfile}`)) return null;
    return pid;
  }

  containerdPid(): number | null {
    const d = this.dockerdPid();
    if (d === null) return null;
    const table = processTable();
    const found = children(d, table).filter((pid) => {
      const st = table.get(pid);
      if (!st || st.state === 'Z' || st.state === 'X') return false;
      const exe = readExe(pid);
      return exe !== null && basename(exe) === 'containerd';
    });
    const pid = found[0] ?? null;
    if (pid !== null) this.seenContainerd.add(pid);
    return pid;
  }

  /** Every containerd of this rig still in /proc (zombies included): seen ones, the pidfile's, live matches. */
  private lingeringContainerds(): number[] {
    const candidates = new Set<number>(this.seenContainerd);
    const fromFile = readPidFile(join(this.execRoot, 'containerd', 'containerd.pid'));
    if (fromFile !== null) candidates.add(fromFile);
    for (const st of processTable().values()) {
      if (st.comm === 'containerd' && this.mentionsRig(readCmdline(st.pid))) candidates.add(st.pid);
    }
    return [...candidates].filter((pid) => {
      const st = readProcStat(pid);
      return st !== null && st.comm === 'containerd';
    });
  }

  async startDockerd(): Promise<void> {
    if (this.stopping) throw new Error('rig is stopped');
    if (this.dockerdPid() !== null) throw new Error(`dockerd ${this.dockerdPid()} of this rig is still running`);
    // A previous dockerd child of ours must have exited (node reaps it).
    const prev = this.dockerdChild;
    if (prev && prev.exitCode === null && prev.signalCode === null) {
      await waitFor('the previous dockerd to exit', () => prev.exitCode !== null || prev.signalCode !== null, 30_000);
    }
    // PID 1 reaps orphans late here: a new dockerd that finds containerd.pid naming a zombie hangs.
    await waitFor('the previous containerd to leave /proc', () => this.lingeringContainerds().length === 0, 30_000);
    this.seenContainerd.clear();

    const args = [
      '--data-root',
      this.dataRoot,
      '--exec-root',
      this.execRoot,
      '-H',
      this.dockerHost,
      '--pidfile',
      this.pidfile,
      '--config-file',
      this.daemonJson,
      '--bridge',
      this.bridge,
      '--iptables=false',
      '--ip-forward=false',
      ...this.extraDockerdArgs,
    ];
    const fd = openSync(this.dockerdLog, 'a');
    let child: ChildProcess;
    try {
      child = spawn(findInPath('dockerd') ?? 'dockerd', args, {
        stdio: ['ignore', fd, fd],
        env: { ...process.env, PATH: ENGINE_PATH },
      });
    } finally {
      closeSync(fd);
    }
    this.dockerdChild = child;
    let spawnError: Error | null = null;
    child.on('error', (e) => {
      spawnError = e;
    });
    await waitFor(
      'dockerd to answer /_ping',
      async () => {
        if (spawnError) throw new EngineStartError(`dockerd failed to start: ${String(spawnError)}`);
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new EngineStartError(`dockerd exited (${child.exitCode ?? child.signalCode}):\n${tail(this.dockerdLog)}`);
        }
        return (await unixGet(this.dockerSocket, '/_ping', 2000)) === 200;
      },
      60_000,
    ).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- dockerd log ---\n${tail(this.dockerdLog)}`);
    });
    await waitFor('dockerd to start its containerd', () => this.containerdPid(), 30_000);
  }

  spawnOwned(cmd: string, args: string[], logName: string): ChildProcess {
    const fd = openSync(join(this.dir, logName), 'a');
    try {
      const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: { ...process.env, PATH: ENGINE_PATH } });
      child.on('error', () => {
        /* reported through exitCode / the log */
      });
      this.owned.add(child);
      return child;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Ids of every container this dockerd created: its data root's containers/ directory, plus every id
   * seen there before (stop() removes containers before it looks for their leftovers).
   */
  containerIds(): string[] {
    try {
      for (const n of readdirSync(join(this.dataRoot, 'containers'))) {
        if (/^[0-9a-f]{64}$/.test(n)) this.knownContainerIds.add(n);
      }
    } catch {
      /* no data root (yet / any more) */
    }
    return [...this.knownContainerIds];
  }

  /**
   * Every process this rig is responsible for, as (pid, start time): dockerd, its containerds and
   * children, the processes it spawned, every engine binary naming one of our paths (shims by -address),
   * processes in our containers' cgroups, and all their descendants. Never anything else.
   */
  private ownedProcesses(): { ids: Identity[]; shims: { address: string; namespace: string; id: string }[] } {
    const table = processTable();
    const roots = new Set<number>();
    const shims: { address: string; namespace: string; id: string }[] = [];
    const d = this.dockerdChild?.pid;
    if (d !== undefined && this.dockerdChild?.exitCode === null && this.dockerdChild.signalCode === null) roots.add(d);
    const fromPidfile = this.dockerdPid();
    if (fromPidfile !== null) roots.add(fromPidfile);
    for (const c of this.owned) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) roots.add(c.pid);
    }
    const containerIds = new Set(this.containerIds());
    for (const st of table.values()) {
      if (st.pid <= 1 || st.pid === process.pid) continue;
      const exe = readExe(st.pid);
      const argv = readCmdline(st.pid);
      if (exe !== null && ENGINE_EXES.has(basename(exe)) && this.mentionsRig(argv)) {
        roots.add(st.pid);
        if (basename(exe) === 'containerd-shim-runc-v2') {
          const address = argValue(argv, '-address');
          const namespace = argValue(argv, '-namespace');
          const id = argValue(argv, '-id');
          if (address && namespace && id) shims.push({ address, namespace, id });
        }
        continue;
      }
      if (containerIds.size > 0) {
        try {
          const cg = readFileSync(`/proc/${st.pid}/cgroup`, 'utf8');
          const m = /\/docker[/-]([0-9a-f]{64})/.exec(cg);
          if (m && containerIds.has(m[1] as string)) roots.add(st.pid);
        } catch {
          /* gone */
        }
      }
    }
    const all = new Set<number>(roots);
    for (const r of roots) for (const p of descendants(r, table)) all.add(p);
    const ids: Identity[] = [];
    for (const pid of all) {
      const st: ProcStat | undefined = table.get(pid);
      if (st && pid > 1 && pid !== process.pid) ids.push({ pid, startTicks: st.startTicks });
    }
    return { ids, shims };
  }

  async stop(): Promise<void> {
    if (!this.stopping) this.stopping = this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    try {
      await this.gracefulStop();
    } catch (e) {
      process.stderr.write(`engine-rig: graceful stop of ${this.dir} failed, killing: ${String(e)}\n`);
    }
    this.cleanupSync();
  }

  /** Best effort, bounded: remove the containers through dockerd, then SIGTERM dockerd and helpers. */
  private async gracefulStop(): Promise<void> {
    this.containerIds();
    for (const id of this.ownedProcesses().ids) signalIdentity(id, 'SIGCONT');
    const d = this.dockerdPid();
    if (d !== null) {
      const pingOk = await unixGet(this.dockerSocket, '/_ping', 2000).then(
        (s) => s === 200,
        () => false,
      );
      const ids = this.containerIds();
      if (pingOk && ids.length > 0) await this.dockerRaw(['rm', '-f', ...ids], 20_000).catch(() => undefined);
      const st = readProcStat(d);
      if (st) signalIdentity({ pid: d, startTicks: st.startTicks }, 'SIGTERM');
      await waitFor('dockerd to exit', () => !isAlive(d), 15_000).catch(() => undefined);
    }
    for (const c of this.owned) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    }
    await waitFor('helpers to exit', () => [...this.owned].every((c) => c.exitCode !== null || c.signalCode !== null), 5000).catch(
      () => undefined,
    );
  }

  /** The hard part, synchronous so it can also run at process exit: kill, unmount, delete. */
  cleanupSync(): void {
    if (this.cleaned) return;
    // 1. Kill every owned process (after SIGCONT: a test may have stopped one), twice to catch stragglers.
    const shimSockets = new Set<string>();
    for (let round = 0; round < 3; round++) {
      const { ids, shims } = this.ownedProcesses();
      for (const s of shims) {
        const hash = createHash('sha256').update(`${s.address}/${s.namespace}/${s.id}`).digest('hex');
        shimSockets.add(`/run/containerd/s/${hash}`);
      }
      if (ids.length === 0) break;
      for (const id of ids) signalIdentity(id, 'SIGCONT');
      for (const id of ids) signalIdentity(id, 'SIGKILL');
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !ids.every(goneOrZombie)) sleepSync(50);
    }
    // containerd dies with dockerd (Pdeathsig) and is reaped late by PID 1; wait so its mounts are gone.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && this.lingeringContainerds().some((pid) => isAlive(pid))) sleepSync(50);

    // 2. Unmount everything under the rig dir (overlays, netns files, dockerd's bind of its data root).
    for (let round = 0; round < 3; round++) {
      const mounts = mountPointsUnder(this.dir);
      if (mounts.length === 0) break;
      for (const mp of mounts) {
        try {
          execFileSync('umount', [mp], { stdio: 'ignore', timeout: 10_000 });
        } catch {
          try {
            execFileSync('umount', ['-l', mp], { stdio: 'ignore', timeout: 10_000 });
          } catch {
            /* retried next round */
          }
        }
      }
    }

    // 3. Leftovers outside the rig dir that are provably ours.
    // A shim a test killed is not in the process table any more: derive its socket from the ids too.
    for (const id of this.containerIds()) {
      for (const ns of ['moby', 'plugins.moby']) {
        shimSockets.add(`/run/containerd/s/${createHash('sha256').update(`${this.containerdSocket}/${ns}/${id}`).digest('hex')}`);
      }
    }
    for (const s of shimSockets) {
      try {
        unlinkSync(s);
      } catch {
        /* containerd removed it */
      }
    }
    for (const id of this.containerIds()) removeCgroups(`docker/${id}`);
    if (this.bridgeCreated) {
      try {
        execFileSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore', timeout: 10_000 });
      } catch {
        /* already gone */
      }
      this.bridgeCreated = false;
    }

    // 4. Delete the directory, but never through a mount that is still there.
    const left = mountPointsUnder(this.dir);
    liveResources.delete(this);
    this.cleaned = true;
    if (left.length > 0) {
      throw new Error(`engine-rig: not deleting ${this.dir}: still mounted: ${left.join(', ')}`);
    }
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }

  /** Creates the rig's bridge with a /24 no interface on the host uses yet. */
  createBridge(): void {
    const used =
      execFileSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8', timeout: 10_000 }) +
      execFileSync('ip', ['-4', 'route', 'show'], { encoding: 'utf8', timeout: 10_000 });
    const free: number[] = [];
    for (let n = 0; n < 256; n++) if (!used.includes(`10.213.${n}.`)) free.push(n);
    const n = free[Math.floor(Math.random() * free.length)];
    if (n === undefined) throw new Error('no free 10.213.N.0/24 subnet for the rig bridge');
    execFileSync('ip', ['link', 'add', this.bridge, 'type', 'bridge'], { stdio: 'pipe', timeout: 10_000 });
    this.bridgeCreated = true;
    execFileSync('ip', ['addr', 'add', `10.213.${n}.1/24`, 'dev', this.bridge], { stdio: 'pipe', timeout: 10_000 });
    execFileSync('ip', ['link', 'set', this.bridge, 'up'], { stdio: 'pipe', timeout: 10_000 });
  }

  writeDaemonConfig(): void {
    writeFileSync(this.daemonJson, '{}\n');
    mkdirSync(this.clientConfig, { recursive: true });
    writeFileSync(join(this.clientConfig, 'config.json'), '{}\n');
  }

  /** Imports rig/busybox: a static busybox with applet symlinks (no registry is reachable). */
  async importImage(): Promise<void> {
    const busybox = findStaticBusybox();
    if (!busybox) throw new Error('no static busybox');
    const rootfs = join(this.dir, 'rootfs');
    for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'www']) mkdirSync(join(rootfs, d), { recursive: true });
    copyFileSync(busybox, join(rootfs, 'bin', 'busybox'));
    for (const applet of [
      'sh',
      'sleep',
      'httpd',
      'dd',
      'cat',
      'echo',
      'ls',
      'true',
      'false',
      'ps',
      'kill',
      'wget',
      'env',
      'id',
      'mkdir',
      'rm',
      'yes',
      'head',
    ]) {
      symlinkSync('busybox', join(rootfs, 'bin', applet));
    }
    writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
    writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    writeFileSync(join(rootfs, 'www', 'index.html'), 'rig\n');
    const tarball = join(this.dir, 'rootfs.tar');
    await run('tar', ['-C', rootfs, '-cf', tarball, '.'], { timeoutMs: 60_000 });
    await this.docker(['import', '--change', 'CMD ["sh"]', tarball, IMAGE], { timeoutMs: 120_000 });
    rmSync(tarball, { force: true });
  }
}

class EngineStartError extends WaitAbort {}

/** rmdir of <controller>/<rel> in every cgroup hierarchy (v1 controllers and v2); only empty ones go. */
function removeCgroups(rel: string): void {
  const roots = ['/sys/fs/cgroup'];
  try {
    for (const e of readdirSync('/sys/fs/cgroup')) {
      const p = join('/sys/fs/cgroup', e);
      try {
        if (statSync(p).isDirectory()) roots.push(p);
      } catch {
        /* skip */
      }
    }
  } catch {
    return;
  }
  for (const r of roots) {
    const p = join(r, rel);
    if (!existsSync(p)) continue;
    try {
      rmdirSync(p);
    } catch {
      /* busy or not empty */
    }
  }
}

/** Deletes bridges `rig-XXXXXX` whose rig directory /tmp/rig.XXXXXX no longer exists (a crashed run). */
function sweepStaleBridges(): void {
  let out: string;
  try {
    out = execFileSync('ip', ['-o', 'link', 'show', 'type', 'bridge'], { encoding: 'utf8', timeout: 10_000 });
  } catch {
    return;
  }
  for (const m of out.matchAll(/^\d+: (rig-([A-Za-z0-9]{6}))[:@]/gm)) {
    const name = m[1] as string;
    if (!existsSync(`/tmp/rig.${m[2] as string}`)) {
      try {
        execFileSync('ip', ['link', 'del', name], { stdio: 'ignore', timeout: 10_000 });
      } catch {
        /* someone else did */
      }
    }
  }
}

/**
 * Starts a private engine: a bridge, dockerd (with its own containerd) on fresh dirs, and the
 * rig/busybox image. On failure everything started so far is stopped again before the error propagates.
 */
export async function startEngineRig(opts: EngineRigOptions = {}): Promise<EngineRig> {
  const a = engineAvailability();
  if (!a.ok) throw new Error(`cannot start the engine rig: ${a.why}`);
  sweepStaleBridges();
  const dir = mkdtempSync('/tmp/rig.');
  const suffix = dir.slice('/tmp/rig.'.length);
  const rig = new Rig(dir, `rig-${suffix}`, opts.extraDockerdArgs ?? []);
  track(rig);
  try {
    rig.writeDaemonConfig();
    rig.createBridge();
    if (opts.execRootTmpfsBytes !== undefined) {
      mkdirSync(rig.execRoot, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${opts.execRootTmpfsBytes},mode=0700`, 'tmpfs', rig.execRoot], { timeout: 10_000 });
    }
    await rig.startDockerd();
    if (!opts.noImage) await rig.importImage();
  } catch (e) {
    await rig.stop().catch(() => undefined);
    throw e;
  }
  return rig;
}

// ---------------------------------------------------------------------------------------------------
// What /proc says the rig's engine is made of (the ground truth the exporter is compared against)

export type Component = 'dockerd' | 'containerd' | 'containerd-shim' | 'runc' | 'docker-proxy' | 'docker-init';
export const COMPONENTS: readonly Component[] = ['dockerd', 'containerd', 'containerd-shim', 'runc', 'docker-proxy', 'docker-init'];

export interface RealTree {
  dockerd: number | null;
  containerd: number | null;
  /** Long-lived shims whose -address is the rig's containerd socket (not `start`/`delete` runs, not fork copies). */
  shims: number[];
  runc: number[];
  proxies: number[];
  inits: number[];
}

/** Reads the rig engine's process tree from /proc. */
export function realTree(rig: Pick<EngineRig, 'dockerdPid' | 'containerdPid' | 'containerdSocket'>): RealTree {
  const table = processTable();
  const live = (pid: number) => {
    const st = table.get(pid);
    return st !== undefined && st.state !== 'Z' && st.state !== 'X';
  };
  const exeBase = (pid: number) => {
    const e = readExe(pid);
    return e === null ? null : basename(e);
  };
  const dockerd = rig.dockerdPid();
  const containerd = rig.containerdPid();
  const shims: number[] = [];
  for (const st of table.values()) {
    if (!live(st.pid) || exeBase(st.pid) !== 'containerd-shim-runc-v2') continue;
    const argv = readCmdline(st.pid);
    if (argValue(argv, '-address') !== rig.containerdSocket) continue;
    const last = argv[argv.length - 1];
    if (last === 'start' || last === 'delete') continue;
    if (exeBase(st.ppid) === 'containerd-shim-runc-v2') continue; // fork copy before exec
    shims.push(st.pid);
  }
  const runc: number[] = [];
  const inits: number[] = [];
  for (const shim of shims) {
    for (const pid of descendants(shim, table)) {
      if (!live(pid)) continue;
      const b = exeBase(pid);
      if (b === 'runc') runc.push(pid);
      else if (b === 'docker-init' && table.get(pid)?.ppid === shim) inits.push(pid);
    }
  }
  // dockerd's own `runc --version` children (it runs one per /info) are not the engine's runc: DESIGN
  // attributes runc through its parent shim only.
  const proxies = dockerd === null ? [] : children(dockerd, table).filter((pid) => live(pid) && exeBase(pid) === 'docker-proxy');
  return { dockerd, containerd, shims, runc, proxies, inits };
}

/** Process counts per component of the rig's engine, as docker_engine_component_processes should say. */
export function realComponentCounts(rig: Pick<EngineRig, 'dockerdPid' | 'containerdPid' | 'containerdSocket'>): Record<Component, number> {
  const t = realTree(rig);
  return {
    dockerd: t.dockerd === null ? 0 : 1,
    containerd: t.containerd === null ? 0 : 1,
    'containerd-shim': t.shims.length,
    runc: t.runc.length,
    'docker-proxy': t.proxies.length,
    'docker-init': t.inits.length,
  };
}

// ---------------------------------------------------------------------------------------------------
// The exporter as a child process

export interface ExporterProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  pid: number;
  /** stdout + stderr so far. */
  logs(): string;
  /** Lines of stdout and stderr, in arrival order, that parse as JSON objects (the log with --log.format=json). */
  jsonLogs(): Record<string, unknown>[];
  /** True once the process has exited. */
  exited(): boolean;
  stop(): Promise<void>;
}

export interface StartExporterOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Defaults to <repo>/dist/main.js. */
  main?: string;
  /** Flags for node itself, before the script (e.g. the ones dist/main.js's shebang passes). */
  nodeArgs?: string[];
  /** How long to wait for /healthz to answer at all (default 20 s). */
  readyTimeoutMs?: number;
  /** Listen on this port (e.g. a restarted exporter on its predecessor's); default a free one. */
  port?: number;
}

/**
 * Spawns the built exporter (`node dist/main.js`) with `args` plus
 * `--web.listen-address=127.0.0.1:<port>` (a free one unless opts.port), and waits until /healthz
 * answers (any status).
 */
export async function startExporter(opts: StartExporterOptions = {}): Promise<ExporterProcess> {
  const main = opts.main ?? join(repoRoot(), 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} not found: run \`npm run build\` first`);
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), main, ...(opts.args ?? []), `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
    cwd: repoRoot(),
  });
  // Complete lines of stdout and stderr in arrival order (the exporter logs to stderr, as exporters do).
  let out = '';
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      out += chunk;
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
    });
    stream?.on('end', () => {
      if (partial !== '') lines.push(partial);
      partial = '';
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  // A test that fails between starting and stopping an exporter must not hold its file open until the
  // runner's timeout: neither the child nor its pipes keep this process alive, and the exit-time
  // cleanup below kills whatever is still running.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  const exitPromise = new Promise<void>((r) => child.once('exit', () => r()));
  let spawnError: Error | null = null;
  child.on('error', (e) => {
    spawnError = e;
  });
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const startTicks = child.pid === undefined ? 0 : (readProcStat(child.pid)?.startTicks ?? 0);
  const resource: SyncCleanup = {
    cleanupSync() {
      liveResources.delete(resource);
      if (child.pid !== undefined && !exited()) signalIdentity({ pid: child.pid, startTicks }, 'SIGKILL');
    },
  };
  track(resource);
  const stop = async () => {
    if (!exited()) {
      child.kill('SIGTERM');
      if (!(await settlesWithin(exitPromise, 5000))) {
        child.kill('SIGKILL');
        await settlesWithin(exitPromise, 5000);
      }
    }
    liveResources.delete(resource);
  };
  try {
    await waitFor(
      'the exporter to answer /healthz',
      async () => {
        if (spawnError) throw new ExporterExited(`could not spawn the exporter: ${String(spawnError)}`);
        if (exited()) throw new ExporterExited(`the exporter exited (${child.exitCode ?? child.signalCode})`);
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        return true;
      },
      opts.readyTimeoutMs ?? 20_000,
      150,
    );
  } catch (e) {
    await stop();
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- exporter output ---\n${out.slice(-4000)}`, { cause: e });
  }
  return {
    url,
    port,
    pid: child.pid as number,
    logs: () => out,
    jsonLogs: () => {
      const parsed: Record<string, unknown>[] = [];
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        try {
          const v: unknown = JSON.parse(line);
          if (v !== null && typeof v === 'object' && !Array.isArray(v)) parsed.push(v as Record<string, unknown>);
        } catch {
          /* not JSON */
        }
      }
      return parsed;
    },
    exited,
    stop,
  };
}

class ExporterExited extends WaitAbort {}
