/**
 * Hostile decoys for the real-engine suites: copies of test/engine/fixtures/decoy.c named like the
 * engine's binaries, the files they point a root reader at (a FIFO, a symlink to /etc/shadow, a 1 GiB
 * sparse file; /dev/zero needs no file), and a fanotify watcher that says who opened or read them.
 * Everything here is found again and stopped by pid and start time, never by name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { repoRoot, waitFor } from './engine-rig.js';
import { descendants, processTable, readCmdline, readExe, readProcStat, sleepSync } from './proc.js';
import { run } from './run.js';

const NOBODY = 65534;
const NAMES = ['containerd', 'dockerd', 'containerd-shim-runc-v2', 'runc', 'docker-init'] as const;

export interface DecoyDir {
  /** /tmp/decoys.XXXXXX, world-traversable: nobody runs the copies and containers see it at this path. */
  dir: string;
  /** bin/decoy, the launcher and watcher (its name is no component's). */
  decoy: string;
  fifo: string;
  sparse: string;
}

/** Compiles decoy.c statically (a busybox container has no libc) and lays out the decoy directory. */
export async function makeDecoyDir(): Promise<DecoyDir> {
  const dir = mkdtempSync('/tmp/decoys.');
  chmodSync(dir, 0o755);
  const bin = join(dir, 'bin');
  mkdirSync(bin, { mode: 0o755 });
  const decoy = join(bin, 'decoy');
  const src = join(repoRoot(), 'test', 'engine', 'fixtures', 'decoy.c');
  await run('gcc', ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-o', decoy, src], { timeoutMs: 60_000 });
  for (const name of NAMES) {
    copyFileSync(decoy, join(bin, name));
    chmodSync(join(bin, name), 0o755);
  }
  const fifo = join(dir, 'fifo');
  await run('mkfifo', ['-m', '0644', fifo]);
  chownSync(fifo, NOBODY, NOBODY);
  symlinkSync('/etc/shadow', join(dir, 'shadow'));
  const sparse = join(dir, 'sparse');
  const fd = openSync(sparse, 'w', 0o644);
  try {
    ftruncateSync(fd, 1024 * 1024 * 1024);
  } finally {
    closeSync(fd);
  }
  chownSync(sparse, NOBODY, NOBODY);
  return { dir, decoy, fifo, sparse };
}

interface Identity {
  pid: number;
  startTicks: number;
}

/** Every live process whose exe is one of the decoy copies, and all their descendants. */
function decoyProcesses(d: DecoyDir): Identity[] {
  const table = processTable();
  const prefix = `${join(d.dir, 'bin')}/`;
  const found = new Set<number>();
  for (const st of table.values()) {
    if (st.pid <= 1 || st.pid === process.pid) continue;
    const exe = readExe(st.pid);
    // Inside a container the exe is the same path: the directory is bind-mounted at its own path.
    if (exe !== null && exe.startsWith(prefix)) {
      found.add(st.pid);
      for (const p of descendants(st.pid, table)) found.add(p);
    }
  }
  return [...found].flatMap((pid) => {
    const st = table.get(pid);
    return st ? [{ pid, startTicks: st.startTicks }] : [];
  });
}

function kill(id: Identity, sig: NodeJS.Signals): void {
  const st = readProcStat(id.pid);
  if (!st || st.startTicks !== id.startTicks || id.pid <= 1) return;
  try {
    process.kill(id.pid, sig);
  } catch {
    /* gone meanwhile */
  }
}

/** SIGKILLs the process tree under root (root included), then waits until no live process of it is left. */
export async function killTree(root: Identity): Promise<void> {
  const st = readProcStat(root.pid);
  if (!st || st.startTicks !== root.startTicks) return;
  const ids = [
    root,
    ...descendants(root.pid).flatMap((pid) => {
      const s = readProcStat(pid);
      return s ? [{ pid, startTicks: s.startTicks }] : [];
    }),
  ];
  for (const id of ids) kill(id, 'SIGKILL');
  await waitFor('the decoy tree to be gone', () => ids.every((id) => gone(id)), 10_000);
}

function gone(id: Identity): boolean {
  const st = readProcStat(id.pid);
  return !st || st.startTicks !== id.startTicks || st.state === 'Z' || st.state === 'X';
}

/** Synchronous last resort (also from an exit hook): kills every decoy and its children, a few rounds. */
export function killAllDecoysSync(d: DecoyDir): void {
  for (let round = 0; round < 5; round++) {
    const ids = decoyProcesses(d).filter((id) => !gone(id));
    if (ids.length === 0) return;
    for (const id of ids) kill(id, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !ids.every(gone)) sleepSync(50);
  }
}

export function removeDecoyDir(d: DecoyDir): void {
  rmSync(d.dir, { recursive: true, force: true });
}

/** What a decoy set looks like in /proc once it is complete: the launcher's tree by exe name and state. */
export interface DecoyShape {
  live: Record<string, number>;
  zombies: number;
}

export const COMPLETE_SHAPE: DecoyShape = {
  live: { containerd: 5, dockerd: 1, 'containerd-shim-runc-v2': 1, runc: 1, 'docker-init': 1 },
  zombies: 3,
};

export function decoyShape(root: number): DecoyShape {
  const table = processTable();
  const live: Record<string, number> = {};
  let zombies = 0;
  for (const pid of descendants(root, table)) {
    const st = table.get(pid);
    if (!st) continue;
    if (st.state === 'Z') {
      zombies++;
      continue;
    }
    const exe = readExe(pid);
    if (exe !== null) live[basename(exe)] = (live[basename(exe)] ?? 0) + 1;
  }
  return { live, zombies };
}

export interface DecoySetOptions {
  /** The engine's real containerd socket: the fake shim's -address. */
  address: string;
  /** The fake shim's -id. */
  id: string;
}

function launcherEnv(d: DecoyDir, o: DecoySetOptions): Record<string, string> {
  return { DECOY_ROLE: 'launcher', DECOY_DIR: d.dir, DECOY_ADDRESS: o.address, DECOY_ID: o.id };
}

/** Starts the whole decoy set on the host as nobody; resolves with the launcher once the set is complete. */
export async function startDecoysAsNobody(d: DecoyDir, o: DecoySetOptions): Promise<Identity> {
  const child = spawn(d.decoy, [], { uid: NOBODY, gid: NOBODY, env: launcherEnv(d, o), stdio: 'ignore', detached: false });
  child.on('error', () => undefined);
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the decoy launcher');
  const startTicks = readProcStat(pid)?.startTicks ?? 0;
  await waitComplete(pid);
  return { pid, startTicks };
}

/** The docker exec arguments that start the decoy set inside `container` (as its root, in its namespaces). */
export function dockerExecArgs(d: DecoyDir, o: DecoySetOptions, container: string, tag: string): string[] {
  const env = Object.entries(launcherEnv(d, o)).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  return ['exec', '-d', ...env, container, d.decoy, tag];
}

/** Finds (by exe and tag) the launcher docker exec started, waits for its set to be complete. */
export async function findContainerLauncher(d: DecoyDir, tag: string): Promise<Identity> {
  const pid = await waitFor<number | null>(
    `the decoy launcher tagged ${tag}`,
    () => {
      for (const st of processTable().values()) {
        if (readExe(st.pid) === d.decoy && readCmdline(st.pid)[1] === tag) return st.pid;
      }
      return null;
    },
    15_000,
  );
  if (pid === null) throw new Error(`no decoy launcher tagged ${tag}`);
  await waitComplete(pid);
  return { pid, startTicks: readProcStat(pid)?.startTicks ?? 0 };
}

async function waitComplete(pid: number): Promise<void> {
  await waitFor(
    `decoy set under ${pid} to be complete (${JSON.stringify(COMPLETE_SHAPE)})`,
    () => JSON.stringify(sortShape(decoyShape(pid))) === JSON.stringify(sortShape(COMPLETE_SHAPE)),
    10_000,
  ).catch((e: unknown) => {
    throw new Error(`${e instanceof Error ? e.message : String(e)}; have ${JSON.stringify(decoyShape(pid))}`);
  });
}

function sortShape(s: DecoyShape): DecoyShape {
  return { live: Object.fromEntries(Object.entries(s.live).sort(([a], [b]) => a.localeCompare(b))), zombies: s.zombies };
}

/** A fanotify watcher (root) on paths: every open and read, with the opener's pid. */
export interface FileWatch {
  events(): { kind: 'open' | 'access'; pid: number; path: string }[];
  stop(): Promise<void>;
}

export async function watchFiles(d: DecoyDir, paths: string[]): Promise<FileWatch> {
  const child: ChildProcess = spawn(d.decoy, ['watch', ...paths], { env: { DECOY_ROLE: 'watch' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
  child.on('error', (e) => (err += String(e)));
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  await waitFor(
    'the fanotify watcher to be ready',
    () => {
      if (exited()) throw new Error(`watcher exited: ${err}`);
      return out.startsWith('ready\n');
    },
    10_000,
  );
  const pid = child.pid as number;
  const startTicks = readProcStat(pid)?.startTicks ?? 0;
  return {
    events: () =>
      out
        .split('\n')
        .slice(1)
        .flatMap((line) => {
          const m = /^(open|access) (\d+) (.*)$/.exec(line);
          return m ? [{ kind: m[1] as 'open' | 'access', pid: Number(m[2]), path: m[3] as string }] : [];
        }),
    stop: async () => {
      kill({ pid, startTicks }, 'SIGKILL');
      await waitFor('the watcher to exit', exited, 5000).catch(() => undefined);
    },
  };
}

/** Threads and peak RSS (VmHWM, bytes) of a process, from /proc/<pid>/status. */
export function threadsAndPeak(pid: number): { threads: number; peakBytes: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const threads = Number(/^Threads:\s+(\d+)/m.exec(s)?.[1]);
    const peakKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(s)?.[1]);
    return Number.isFinite(threads) && Number.isFinite(peakKb) ? { threads, peakBytes: peakKb * 1024 } : null;
  } catch {
    return null;
  }
}
