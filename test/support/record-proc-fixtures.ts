/**
 * Records the /proc fixtures in test/fixtures/proc/ from a real engine started by the rig. Run through
 * scripts/record-proc-fixture.sh (as root). Scenarios, recorded in this order on one rig:
 *
 *   docker-rig       dockerd → containerd, docker-proxy; a plain container (`sleep 1d`) and an `--init`
 *                    container with a published port (shim → docker-init → httpd)
 *   two-engines      the same plus a second, standalone containerd (its own --address/--root/--state,
 *                    namespace k8s.io, like a kubelet's) running one task, so the host has shims of two
 *                    containerds
 *   containerd-down  the docker-rig engine moments after `kill -9` of its containerd, before dockerd
 *                    restarts it: dockerd, shims, proxy, no containerd
 *
 * Each fixture directory is a procfs root (usable as --path.procfs) plus meta.json, the ground truth
 * from the engine itself (docker inspect, the pidfile, ctr), and docker.pid, a copy of dockerd's pidfile.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { realComponentCounts, startEngineRig, waitFor, type EngineRig } from './engine-rig.js';
import {
  argValue,
  bootTimeSeconds,
  children,
  clkTck,
  descendants,
  isKernelThread,
  processTable,
  readCmdline,
  readExe,
  readProcStat,
} from './proc.js';
import { recordProc, type RecordMode } from './proc-snapshot.js';
import { delay, run } from './run.js';

const ENGINE_EXES = new Set(['dockerd', 'containerd', 'containerd-shim-runc-v2', 'runc', 'docker-proxy', 'docker-init']);
const SECOND_NS = 'k8s.io';
const SECOND_TASK = 't1';

const exeBase = (pid: number): string | null => {
  const e = readExe(pid);
  return e === null ? null : basename(e);
};

interface Selection {
  pids: Map<number, RecordMode>;
  engine: number[];
  others: number[];
}

/**
 * The rig's processes and the recorder's own stand-ins for "the rest of the host" (the recorder itself
 * and its decoys). Nothing else of the recording machine: not its init or services, not another engine
 * that happens to run (or look-alikes such as a benchmark's idle processes named containerd-shim), and
 * no kernel threads. This keeps fixtures small, free of the machine's own command lines, and their
 * ground truth exact.
 */
function selectPids(rig: EngineRig, extraRoots: number[], decoyRoots: number[]): Selection {
  const table = processTable();
  const prefix = `${rig.dir}/`;
  const roots = new Set<number>(extraRoots);
  const d = rig.dockerdPid();
  if (d !== null) {
    roots.add(d);
    for (const c of children(d, table)) roots.add(c);
  }
  for (const st of table.values()) {
    const b = exeBase(st.pid);
    if (b !== null && ENGINE_EXES.has(b) && readCmdline(st.pid).some((a) => a.includes(prefix))) roots.add(st.pid);
  }
  const engine = new Set<number>(roots);
  for (const r of roots) for (const p of descendants(r, table)) engine.add(p);
  const others = new Set<number>([process.pid]);
  for (const r of decoyRoots) {
    others.add(r);
    for (const p of descendants(r, table)) others.add(p);
  }
  const pids = new Map<number, RecordMode>();
  for (const p of [...engine, ...others]) {
    const st = table.get(p);
    if (st && !isKernelThread(st)) pids.set(p, 'full');
  }
  return { pids, engine: [...engine].sort((a, b) => a - b), others: [...others].sort((a, b) => a - b) };
}

interface ShimInfo {
  pid: number;
  ppid: number;
  id: string;
  namespace: string;
  address: string;
}

function shimsFor(addressPrefix: string): ShimInfo[] {
  const out: ShimInfo[] = [];
  for (const st of processTable().values()) {
    if (st.state === 'Z' || exeBase(st.pid) !== 'containerd-shim-runc-v2') continue;
    const argv = readCmdline(st.pid);
    const address = argValue(argv, '-address');
    const id = argValue(argv, '-id');
    const namespace = argValue(argv, '-namespace');
    if (address === null || id === null || namespace === null || !address.startsWith(addressPrefix)) continue;
    out.push({ pid: st.pid, ppid: st.ppid, id, namespace, address });
  }
  return out.sort((a, b) => a.pid - b.pid);
}

interface InspectedContainer {
  Id: string;
  Name: string;
  State: { Running: boolean; Pid: number };
  HostConfig: { Init?: boolean | null; PortBindings?: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
}

async function dockerGroundTruth(rig: EngineRig) {
  const ids = (await rig.docker(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter((s) => s !== '');
  const inspected = ids.length === 0 ? [] : (JSON.parse((await rig.docker(['inspect', ...ids])).stdout) as InspectedContainer[]);
  const shims = shimsFor(rig.containerdSocket);
  const table = processTable();
  const d = rig.dockerdPid();
  const proxies =
    d === null
      ? []
      : children(d, table)
          .filter((pid) => exeBase(pid) === 'docker-proxy')
          .map((pid) => {
            const argv = readCmdline(pid);
            return {
              pid,
              proto: argValue(argv, '-proto'),
              hostIp: argValue(argv, '-host-ip'),
              hostPort: Number(argValue(argv, '-host-port')),
              containerIp: argValue(argv, '-container-ip'),
              containerPort: Number(argValue(argv, '-container-port')),
            };
          });
  const containers = inspected.map((c) => {
    const init = c.HostConfig.Init === true;
    const shim = shims.find((s) => s.id === c.Id);
    const ports: string[] = [];
    for (const [port, bindings] of Object.entries(c.HostConfig.PortBindings ?? {})) {
      for (const b of bindings ?? []) ports.push(`${b.HostIp}:${b.HostPort}->${port}`);
    }
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      running: c.State.Running,
      /** State.Pid: the container's PID 1 on the host (docker-init for an --init container). */
      pid: c.State.Pid,
      init,
      initPid: init && c.State.Pid > 0 && exeBase(c.State.Pid) === 'docker-init' ? c.State.Pid : null,
      shimPid: shim?.pid ?? null,
      publishedPorts: ports,
    };
  });
  return { containers, shims, proxies };
}

function versions() {
  const v = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000 }).split('\n')[0]?.trim() ?? null;
    } catch {
      return null;
    }
  };
  return {
    kernel: v('uname', ['-r']),
    dockerd: v('dockerd', ['--version']),
    containerd: v('containerd', ['--version']),
    runc: v('runc', ['--version']),
  };
}

interface OtherEngine {
  containerd: { pid: number; address: string; root: string; state: string; config: string };
  tasks: { namespace: string; id: string; pid: number; shimPid: number | null }[];
  shims: ShimInfo[];
}

async function record(
  rig: EngineRig,
  outRoot: string,
  name: string,
  description: string,
  extra: { otherEngines?: OtherEngine[]; killed?: Record<string, number>; extraRoots?: number[]; decoys: Decoy[] },
): Promise<void> {
  const dir = join(outRoot, name);
  // Ground truth first (docker calls are slow compared to /proc), then the /proc copy right away.
  const truth = await dockerGroundTruth(rig);
  const expected = realComponentCounts(rig);
  const dockerdPid = rig.dockerdPid();
  const containerdPid = rig.containerdPid();
  rmSync(dir, { recursive: true, force: true });
  const sel = selectPids(
    rig,
    extra.extraRoots ?? [],
    extra.decoys.map((x) => x.pid),
  );
  const recordedAt = Date.now() / 1000;
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const { recorded, vanished } = recordProc(dir, sel.pids);
  const lostEngine = vanished.filter((p) => sel.engine.includes(p));
  if (lostEngine.length > 0) throw new Error(`${name}: engine processes exited while recording: ${lostEngine.join(', ')}`);

  const meta = {
    name,
    description,
    recordedAt: new Date(recordedAt * 1000).toISOString(),
    recordedAtUnixSeconds: Number(recordedAt.toFixed(3)),
    uptimeSeconds: uptime,
    bootTimeSeconds: Number(bootTimeSeconds().toFixed(2)),
    clockTicksPerSecond: clkTck(),
    versions: versions(),
    rigDir: rig.dir,
    engine: {
      dockerd: { pid: dockerdPid, pidfile: rig.pidfile, host: rig.dockerHost, execRoot: rig.execRoot, dataRoot: rig.dataRoot },
      containerd: {
        pid: containerdPid,
        address: rig.containerdSocket,
        config: join(rig.execRoot, 'containerd', 'containerd.toml'),
      },
      containers: truth.containers,
      shims: truth.shims,
      proxies: truth.proxies,
      /** docker_engine_component_processes of the watched engine (the rig's dockerd), from /proc. */
      expectedProcesses: expected,
    },
    otherEngines: extra.otherEngines ?? [],
    killed: extra.killed ?? {},
    /** Non-engine processes: the recorder itself and its decoys (no component, whatever their comm says). */
    recorderPid: process.pid,
    decoys: extra.decoys,
    recordedPids: recorded,
  };
  writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  if (dockerdPid !== null) writeFileSync(join(dir, 'docker.pid'), `${dockerdPid}\n`);
  else if (existsSync(rig.pidfile)) writeFileSync(join(dir, 'docker.pid'), readFileSync(rig.pidfile));
  process.stdout.write(
    `recorded ${name}: ${recorded.length} pids (${sel.engine.length} of the engines), expected ${JSON.stringify(expected)}\n`,
  );
}

/** Waits until the engine is quiet: no runc, no short-lived `shim … start`, counts as expected. */
async function settle(rig: EngineRig, want: (c: ReturnType<typeof realComponentCounts>) => boolean): Promise<void> {
  await waitFor(
    'the engine to settle',
    () => {
      const c = realComponentCounts(rig);
      const transient = shimsFor(rig.dir).some((s) => {
        const argv = readCmdline(s.pid);
        const last = argv[argv.length - 1];
        return last === 'start' || last === 'delete';
      });
      return c.runc === 0 && !transient && want(c);
    },
    30_000,
  );
  await delay(500);
}

interface Decoy {
  pid: number;
  comm: string;
  exe: string;
  argv: string[];
  note: string;
}

/**
 * Processes that stand for the rest of the host: a comm-only look-alike (a symlink named
 * containerd-shim to sleep: comm "containerd-shim", exe /usr/bin/sleep, like a benchmark's idle
 * processes) and an ordinary shell with a child. None of them is a component.
 */
function startDecoys(rig: EngineRig): Decoy[] {
  const dir = join(rig.dir, 'decoy');
  execFileSync('mkdir', ['-p', dir]);
  const fake = join(dir, 'containerd-shim');
  symlinkSync('/usr/bin/sleep', fake);
  const a = rig.spawnOwned(fake, ['1d'], 'decoy.log');
  const b = rig.spawnOwned('/bin/sh', ['-c', 'sleep 1d; :'], 'decoy.log');
  const describe = (pid: number | undefined, note: string): Decoy => {
    if (pid === undefined) throw new Error('decoy did not start');
    return { pid, comm: '', exe: '', argv: [], note };
  };
  return [describe(a.pid, 'comm containerd-shim, exe sleep: not a shim'), describe(b.pid, 'an ordinary shell with a sleep child')];
}

/** Fills in what /proc says about each decoy (after they have exec'd). */
function describeDecoys(decoys: Decoy[]): void {
  for (const d of decoys) {
    d.comm = readProcStat(d.pid)?.comm ?? '';
    d.exe = readExe(d.pid) ?? '';
    d.argv = readCmdline(d.pid);
  }
}

async function ctr(address: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return (await run('ctr', ['-a', address, '-n', SECOND_NS, ...args], { timeoutMs })).stdout;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const outIdx = argv.indexOf('--out');
  const outRoot = resolve(outIdx >= 0 ? (argv[outIdx + 1] ?? '') : 'test/fixtures/proc');
  if (outIdx >= 0) argv.splice(outIdx, 2);
  const wanted = new Set(argv.length > 0 ? argv : ['docker-rig', 'two-engines', 'containerd-down']);

  const rig = await startEngineRig();
  let second: ReturnType<EngineRig['spawnOwned']> | null = null;
  const c2 = join(rig.dir, 'c2');
  const c2Address = join(c2, 'containerd.sock');
  let cgroupParentsBefore = new Set<string>();
  try {
    await rig.docker(['run', '-d', '--name', 'plain', 'rig/busybox', 'sleep', '1d']);
    await rig.docker(['run', '-d', '--name', 'init-web', '--init', '-p', '127.0.0.1:18080:80', 'rig/busybox', 'httpd', '-f', '-p', '80']);
    const decoys = startDecoys(rig);
    await settle(rig, (c) => c['containerd-shim'] === 2 && c['docker-init'] === 1 && c['docker-proxy'] === 1);
    await waitFor('the decoys to exec', () => decoys.every((x) => readExe(x.pid) !== null && basename(readExe(x.pid) ?? '') !== 'node'), 5000);
    describeDecoys(decoys);

    if (wanted.has('docker-rig')) {
      await record(rig, outRoot, 'docker-rig', 'The rig engine with a plain container and an --init container with a published port.', {
        decoys,
      });
    }

    if (wanted.has('two-engines')) {
      // A second, standalone containerd, as a kubelet's would be: flags name its socket, root and state;
      // its config (no [grpc] address in it) only disables what a test machine lacks.
      const config = join(c2, 'config.toml');
      execFileSync('mkdir', ['-p', c2]);
      writeFileSync(
        config,
        [
          'version = 2',
          'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs"]',
          '',
        ].join('\n'),
      );
      cgroupParentsBefore = new Set(cgroupDirs(SECOND_NS));
      second = rig.spawnOwned(
        'containerd',
        ['--config', config, '--address', c2Address, '--root', join(c2, 'root'), '--state', join(c2, 'state')],
        'containerd2.log',
      );
      await waitFor(
        'the second containerd to answer',
        async () => (await run('ctr', ['-a', c2Address, 'version'], { timeoutMs: 5000 })).code === 0,
        30_000,
      );
      const tarball = join(rig.dir, 'busybox-image.tar');
      await rig.docker(['save', '-o', tarball, 'rig/busybox']);
      await ctr(c2Address, ['images', 'import', tarball]);
      const image = (await ctr(c2Address, ['images', 'ls', '-q'])).split('\n').find((l) => l.includes('rig/busybox'));
      if (!image) throw new Error('image import into the second containerd failed');
      await ctr(c2Address, ['run', '-d', '--null-io', image, SECOND_TASK, 'sleep', '1d']);
      await waitFor("the second engine's task to run", () => shimsFor(c2Address).length === 1, 30_000);
      await settle(rig, (c) => c['containerd-shim'] === 2);
      const taskLine = (await ctr(c2Address, ['tasks', 'ls'])).split('\n').find((l) => l.startsWith(`${SECOND_TASK} `));
      const taskPid = Number(taskLine?.trim().split(/\s+/)[1]);
      const shims2 = shimsFor(c2Address);
      const secondPid = second.pid as number;
      await record(rig, outRoot, 'two-engines', 'The docker-rig engine plus a standalone containerd (namespace k8s.io) running one task.', {
        extraRoots: [secondPid],
        decoys,
        otherEngines: [
          {
            containerd: { pid: secondPid, address: c2Address, root: join(c2, 'root'), state: join(c2, 'state'), config },
            tasks: [{ namespace: SECOND_NS, id: SECOND_TASK, pid: taskPid, shimPid: shims2.find((s) => s.id === SECOND_TASK)?.pid ?? null }],
            shims: shims2,
          },
        ],
      });
      await stopSecond(c2Address, second, cgroupParentsBefore);
      second = null;
    }

    if (wanted.has('containerd-down')) {
      const old = rig.containerdPid();
      if (old === null) throw new Error('no containerd to kill');
      process.kill(old, 'SIGKILL');
      // dockerd reaps it at once (it is dockerd's child); it restarts a new one ~10 s later.
      await waitFor('the killed containerd to leave /proc', () => readProcStat(old) === null, 5000, 20);
      await record(rig, outRoot, 'containerd-down', 'The docker-rig engine moments after kill -9 of containerd, before dockerd restarted it.', {
        killed: { containerd: old },
        decoys,
      });
      if (rig.containerdPid() !== null) throw new Error('dockerd restarted containerd while recording: record again');
      const recordedContainerd = JSON.parse(readFileSync(join(outRoot, 'containerd-down', 'meta.json'), 'utf8')) as {
        engine: { containerd: { pid: number | null } };
      };
      if (recordedContainerd.engine.containerd.pid !== null) throw new Error('containerd-down recorded a containerd');
    }
  } finally {
    if (second) await stopSecond(c2Address, second, cgroupParentsBefore).catch(() => undefined);
    await rig.stop();
  }
}

function cgroupDirs(rel: string): string[] {
  const out: string[] = [];
  for (const root of ['/sys/fs/cgroup', ...listDirs('/sys/fs/cgroup')]) {
    const p = join(root, rel);
    if (existsSync(p)) out.push(p);
  }
  return out;
}

function listDirs(dir: string): string[] {
  try {
    return execFileSync('find', [dir, '-mindepth', '1', '-maxdepth', '1', '-type', 'd'], { encoding: 'utf8', timeout: 10_000 })
      .split('\n')
      .filter((s) => s !== '');
  } catch {
    return [];
  }
}

/** Removes the second engine's task and stops its containerd; removes the cgroups ctr created. */
async function stopSecond(
  address: string,
  child: { pid?: number | undefined; kill(sig: NodeJS.Signals): boolean; exitCode: number | null; signalCode: NodeJS.Signals | null },
  cgroupParentsBefore: Set<string>,
): Promise<void> {
  await ctr(address, ['tasks', 'kill', '-s', 'SIGKILL', SECOND_TASK], 15_000).catch(() => undefined);
  await waitFor('the second task to stop', async () => !(await ctr(address, ['tasks', 'ls'], 5000)).includes('RUNNING'), 15_000).catch(
    () => undefined,
  );
  await ctr(address, ['tasks', 'delete', SECOND_TASK], 15_000).catch(() => undefined);
  await ctr(address, ['containers', 'delete', SECOND_TASK], 15_000).catch(() => undefined);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await waitFor('the second containerd to exit', () => child.exitCode !== null || child.signalCode !== null, 15_000).catch(() => {
    child.kill('SIGKILL');
  });
  for (const p of cgroupDirs(`${SECOND_NS}/${SECOND_TASK}`)) tryRmdir(p);
  for (const p of cgroupDirs(SECOND_NS)) if (!cgroupParentsBefore.has(p)) tryRmdir(p);
}

function tryRmdir(p: string): void {
  try {
    execFileSync('rmdir', [p], { stdio: 'ignore', timeout: 5000 });
  } catch {
    /* busy or not ours */
  }
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] !== undefined && resolve(process.argv[1]) === self) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
