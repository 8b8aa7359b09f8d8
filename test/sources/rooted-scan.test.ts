/**
 * The scan that follows the engine from its roots, against a real procfs: that of a private pid
 * namespace (unshare), so that other engines on this machine (other suites' rigs) neither appear nor
 * vanish under the test. Real processes stand in for the engine: copies of sleep named containerd,
 * dockerd and runc (the scan decides by comm; the exe is a real binary), started by shells that take
 * commands on a FIFO, so a test can make a daemon's supervisor start a child when it wants. The clock
 * handed to the scan is the test's: an audit is due when the test says so, not after a real minute.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProcfsScratch } from '../../src/sources/procfs/scan-procfs.js';
import { createEngineScanState, scanEngine, type EngineScanOptions } from '../../src/sources/procfs/rooted-scan.js';
import type { ProcessSnapshot } from '../../src/engine/process-model.js';

const dir = mkdtempSync(join(tmpdir(), 'dee-rooted-'));
for (const name of ['containerd', 'dockerd', 'runc']) {
  copyFileSync('/bin/sleep', join(dir, name));
  chmodSync(join(dir, name), 0o755);
}
const worlds: { ns: ChildProcess; proc: string; fds: number[] }[] = [];
after(() => {
  for (const w of worlds) {
    for (const fd of w.fds) closeSync(fd);
    w.ns.kill('SIGKILL'); // --kill-child: the namespace's init dies with it, and every process in it
    spawnSync('umount', ['-l', w.proc]);
  }
  rmSync(dir, { recursive: true, force: true });
});

const READ_LOOP = 'while read -r line; do eval "$line &"; done';

/** A pid namespace whose procfs is mounted at `proc`; its init (pid 1) runs each line written to it. */
async function world(): Promise<{ proc: string; supervisor: () => Promise<Supervisor> }> {
  const proc = mkdtempSync(join(dir, 'proc-'));
  const ns = spawn('unshare', ['--pid', '--kill-child', 'sh', '-c', `mount -t proc proc ${proc} && exec sh -c '${READ_LOOP}'`], {
    cwd: dir,
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const w = { ns, proc, fds: [] as number[] };
  worlds.push(w);
  await until(() => existsSync(`${proc}/1/task/1/children`), 'the namespace procfs');
  let made = 0;
  return {
    proc,
    supervisor: async () => {
      // A shell reading its own FIFO, started by the namespace's init: pid 1 is its parent.
      const fifo = join(dir, `${made++}-${Date.now()}.fifo`);
      spawnSync('mkfifo', [fifo]);
      const before = new Set(childrenOf(proc, 1));
      ns.stdin?.write(`exec sh -c '${READ_LOOP}' < ${fifo}\n`);
      const fd = openSync(fifo, 'r+'); // read-write: a FIFO opened so never waits for the other end
      w.fds.push(fd);
      let pid = 0;
      await until(() => (pid = childrenOf(proc, 1).find((c) => !before.has(c) && comm(proc, c) === 'sh') ?? 0) > 0, 'the supervisor');
      const run = (line: string): void => void writeSync(fd, `${line}\n`);
      return {
        pid,
        start: async (name) => {
          run(`exec ./${name} 300`);
          let child = 0;
          await until(() => (child = childrenOf(proc, pid).find((c) => comm(proc, c) === name) ?? 0) > 0, `${name} under ${pid}`);
          return child;
        },
        // The shell reaps a dead child when it next runs a command: until then the child is a
        // zombie, which the scans rightly still see.
        kill: async (child) => {
          run(`kill -9 ${child}`);
          await until(() => {
            run(':');
            return !existsSync(`${proc}/${child}`);
          }, `pid ${child} reaped`);
        },
      };
    },
  };
}

interface Supervisor {
  pid: number;
  start: (name: string) => Promise<number>;
  kill: (pid: number) => Promise<void>;
}

function childrenOf(proc: string, pid: number): number[] {
  try {
    return readFileSync(`${proc}/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function comm(proc: string, pid: number): string {
  try {
    return readFileSync(`${proc}/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function has(snap: ProcessSnapshot, pid: number): boolean {
  return snap.processes.some((p) => p.pid === pid);
}

function engineScanner(procfsPath: string, pidfilePath: string | null, fullIntervalMs = 60_000) {
  const opts: EngineScanOptions = { procfsPath, pidfilePath, fullIntervalMs };
  const scratch = createProcfsScratch();
  const state = createEngineScanState();
  let now = Date.now();
  return (advanceMs: number): ProcessSnapshot => {
    now += advanceMs;
    return scanEngine(opts, scratch, state, now);
  };
}

test('rooted scans find what a supervisor of the engine starts, without reading every pid', async () => {
  const w = await world();
  const sup = await w.supervisor();
  const containerd = await sup.start('containerd');
  const scan = engineScanner(w.proc, null);
  const first = scan(0);
  assert.deepEqual(first.scan, { kind: 'full', reason: 'start', missed: [] });
  assert.ok(has(first, containerd));

  const runc = await sup.start('runc');
  const second = scan(1000);
  assert.equal(second.scan?.kind, 'rooted');
  assert.ok(has(second, containerd), 'the daemon is read again');
  assert.equal(second.processes.find((p) => p.pid === runc)?.ppid, sup.pid, 'the new child of the root is found');
});

test('the audit finds a candidate the rooted scan cannot reach, and it is followed from then on', async () => {
  const w = await world();
  const sup = await w.supervisor();
  await sup.start('containerd');
  const scan = engineScanner(w.proc, null);
  scan(0);
  // Forced miss: a runc started by a shell that is no root (it had no candidate child at the last scan).
  const stranger = await w.supervisor();
  const runc = await stranger.start('runc');
  const rooted = scan(1000);
  assert.equal(rooted.scan?.kind, 'rooted');
  assert.ok(!has(rooted, runc), 'the rooted scan cannot see it: its parent is not a root');

  const audit = scan(60_000);
  assert.equal(audit.scan?.kind, 'full');
  assert.equal(audit.scan?.reason, 'audit');
  assert.deepEqual(
    audit.scan?.missed.filter((m) => m.pid === runc),
    [{ pid: runc, ppid: stranger.pid, comm: 'runc' }],
  );
  assert.ok(has(audit, runc));

  const next = scan(1000);
  assert.equal(next.scan?.kind, 'rooted');
  assert.ok(has(next, runc), 'its parent is a root now');
});

test('a daemon that is gone or a rewritten pidfile makes the next scan full; a restart under its supervisor is found', async () => {
  const w = await world();
  const sup = await w.supervisor();
  const dockerd = await sup.start('dockerd');
  const containerd = await sup.start('containerd');
  const pidfile = join(dir, 'docker.pid');
  writeFileSync(pidfile, `${dockerd}\n`);
  const scan = engineScanner(w.proc, pidfile);
  scan(0);
  assert.equal(scan(1000).scan?.kind, 'rooted');
  // Daemons count as gone only once they have lived 30 s (look-alikes come and go); the test's clock says so.
  assert.equal(scan(31_000).scan?.kind, 'rooted');

  await sup.kill(containerd);
  const afterKill = scan(1000);
  assert.deepEqual([afterKill.scan?.kind, afterKill.scan?.reason], ['full', 'daemon-gone']);
  assert.ok(!has(afterKill, containerd));

  const restarted = await sup.start('containerd');
  const found = scan(1000);
  assert.equal(found.scan?.kind, 'rooted');
  assert.ok(has(found, restarted), 'the supervisor of a daemon stays a root');

  writeFileSync(pidfile, `${restarted}\n`);
  const afterPidfile = scan(1000);
  assert.deepEqual([afterPidfile.scan?.kind, afterPidfile.scan?.reason], ['full', 'pidfile']);
  assert.equal(afterPidfile.dockerdPidfilePid, restarted);
});

test('without an engine, with --scan.full-interval=0, or on a procfs without children files, every scan is full', async () => {
  const w = await world();
  const none = engineScanner(w.proc, null);
  none(0);
  const again = none(1000);
  assert.deepEqual([again.scan?.kind, again.scan?.reason], ['full', 'no-engine']);

  const sup = await w.supervisor();
  await sup.start('containerd');
  const always = engineScanner(w.proc, null, 0);
  always(0);
  assert.deepEqual([always(1000).scan?.kind, always(1000).scan?.reason], ['full', 'unsupported']);

  const fixture = mkdtempSync(join(tmpdir(), 'dee-nochildren-'));
  try {
    const state = createEngineScanState();
    const opts = { procfsPath: fixture, pidfilePath: null, fullIntervalMs: 60_000 };
    scanEngine(opts, createProcfsScratch(), state, 0);
    assert.equal(scanEngine(opts, createProcfsScratch(), state, 1000).scan?.reason, 'unsupported');
  } finally {
    rmSync(fixture, { recursive: true, force: true });
  }
});
