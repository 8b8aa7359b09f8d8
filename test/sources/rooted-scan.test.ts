/**
 * The scan that follows the engine from its roots, against this machine's real /proc. Real processes
 * stand in for the engine: copies of sleep named containerd, dockerd and runc (the scan decides by
 * comm; the exe is a real binary), started by a shell that takes commands on its stdin, so a test can
 * make a daemon's supervisor start a child when it wants. The clock handed to the scan is the test's:
 * an audit is due when the test says so, not after a real minute.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const shells: ChildProcess[] = [];
after(() => {
  for (const sh of shells) {
    // The shell's own children first (pkill -P takes a parent pid: only what these shells started).
    if (sh.pid !== undefined) spawn('pkill', ['-KILL', '-P', String(sh.pid)]);
    sh.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A shell that runs, in the background, each line written to it: a supervisor the test drives. */
function supervisor(): { pid: number; start: (name: string) => Promise<number>; reap: (pid: number) => Promise<void> } {
  const sh = spawn('sh', ['-c', 'while read -r line; do eval "$line &"; done'], { cwd: dir, stdio: ['pipe', 'ignore', 'ignore'] });
  shells.push(sh);
  const pid = sh.pid as number;
  return {
    pid,
    start: async (name) => {
      sh.stdin?.write(`exec ./${name} 300\n`);
      return waitForChild(pid, name);
    },
    // The shell reaps a dead child when it next runs a command: until then the child is a zombie,
    // which the scans rightly still see.
    reap: async (child) => {
      for (let i = 0; i < 200 && existsSync(`/proc/${child}`); i++) {
        sh.stdin?.write(':\n');
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(!existsSync(`/proc/${child}`), `pid ${child} was not reaped`);
    },
  };
}

/** The pid of `parent`'s child whose comm is `name`, once exec has made it so. */
async function waitForChild(parent: number, name: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim().split(' ').filter(Boolean);
    for (const child of children) {
      try {
        if (readFileSync(`/proc/${child}/comm`, 'utf8').trim() === name) return Number(child);
      } catch {
        // gone already
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no child ${name} of ${parent}`);
}

function has(snap: ProcessSnapshot, pid: number): boolean {
  return snap.processes.some((p) => p.pid === pid);
}

function engineScanner(pidfilePath: string | null, fullIntervalMs = 60_000) {
  const opts: EngineScanOptions = { procfsPath: '/proc', pidfilePath, fullIntervalMs };
  const scratch = createProcfsScratch();
  const state = createEngineScanState();
  let now = 1_000_000;
  return (advanceMs: number): ProcessSnapshot => {
    now += advanceMs;
    return scanEngine(opts, scratch, state, now);
  };
}

test('rooted scans find what a supervisor of the engine starts, without reading every pid', async () => {
  const sup = supervisor();
  const containerd = await sup.start('containerd');
  const scan = engineScanner(null);
  const first = scan(0);
  assert.deepEqual(first.scan, { kind: 'full', reason: 'start', missed: [] });
  assert.ok(has(first, containerd));

  const runc = await sup.start('runc');
  const second = scan(1000);
  assert.equal(second.scan?.kind, 'rooted');
  assert.ok(has(second, containerd), 'the daemon is read again');
  assert.equal(second.processes.find((p) => p.pid === runc)?.ppid, sup.pid, 'the new child of the root is found');
  assert.ok(second.scannedPids < first.scannedPids, `rooted: ${second.scannedPids} comms read, full: ${first.scannedPids}`);
});

test('the audit finds a candidate the rooted scan cannot reach, and it is followed from then on', async () => {
  const sup = supervisor();
  await sup.start('containerd');
  const scan = engineScanner(null);
  scan(0);
  // Forced miss: a runc started by a shell that is no root (it had no candidate child at the last scan).
  const stranger = supervisor();
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
  const sup = supervisor();
  const dockerd = await sup.start('dockerd');
  const containerd = await sup.start('containerd');
  const pidfile = join(dir, 'docker.pid');
  writeFileSync(pidfile, `${dockerd}\n`);
  const scan = engineScanner(pidfile);
  scan(0);
  assert.equal(scan(1000).scan?.kind, 'rooted');

  process.kill(containerd, 'SIGKILL');
  await sup.reap(containerd);
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
  const none = engineScanner(null);
  none(0);
  // This machine may run other engines (other suites' rigs): only assert when none was seen.
  const again = none(1000);
  if (!again.processes.some((p) => p.comm === 'dockerd' || p.comm === 'containerd')) {
    assert.deepEqual([again.scan?.kind, again.scan?.reason], ['full', 'no-engine']);
  }

  const sup = supervisor();
  await sup.start('containerd');
  const always = engineScanner(null, 0);
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
