/**
 * Both process sources against this machine's real /proc and `ps`, with the same assertions: a process
 * we start under an engine binary's name is found with the right pid, parent, argv and start time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessSource } from '../../src/sources/process-source.js';
import { createProcfsSource } from '../../src/sources/procfs/procfs-source.js';
import { createPsListSource } from '../../src/sources/ps-list/ps-list-source.js';
import { untilAsleep } from '../support/proc.js';
import { createProcfsScratch, scanProcfs } from '../../src/sources/procfs/scan-procfs.js';

/**
 * A real process whose binary is called `runc` (a copy of sleep): a candidate for both sources.
 * Resolves once it is runc asleep, so its comm and state are the ones the tests expect.
 */
async function startFakeRunc(dir: string): Promise<ChildProcess> {
  const bin = join(dir, 'runc');
  copyFileSync('/bin/sleep', bin);
  chmodSync(bin, 0o755);
  const child = spawn(bin, ['300'], { stdio: 'ignore' });
  try {
    await untilAsleep(child.pid as number, 'runc');
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return child;
}

const sources: [string, (pidfile: string) => ProcessSource][] = [
  ['procfs', (pidfile) => createProcfsSource({ procfsPath: '/proc', pidfilePath: pidfile })],
  ['ps-list', (pidfile) => createPsListSource({ pidfilePath: pidfile })],
];

for (const [name, make] of sources) {
  test(`${name} source finds a candidate process with its pid, parent, argv, start time and the pidfile`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dee-src-'));
    const child = await startFakeRunc(dir);
    const pidfile = join(dir, 'docker.pid');
    writeFileSync(pidfile, `${child.pid}\n`);
    const source = make(pidfile);
    try {
      const snap = await source.scan();
      const found = snap.processes.find((p) => p.pid === child.pid);
      assert.ok(found, `pid ${child.pid} not found among ${snap.processes.length} candidates`);
      assert.equal(found.ppid, process.pid);
      assert.deepEqual(found.argv, [join(dir, 'runc'), '300']);
      assert.equal(found.exe, join(dir, 'runc'));
      assert.ok(found.startTimeSeconds !== null && Math.abs(found.startTimeSeconds - Date.now() / 1000) < 60);
      assert.equal(snap.dockerdPidfilePid, child.pid);
      assert.ok(snap.scannedPids > 10);
      assert.ok(!snap.processes.some((p) => p.pid === process.pid), 'node itself is no candidate');
    } finally {
      child.kill('SIGKILL');
      await source.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('procfs source: resources of a live process are read; a malformed pidfile is an error, not a crash', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dee-src-'));
  const child = await startFakeRunc(dir);
  const pidfile = join(dir, 'docker.pid');
  writeFileSync(pidfile, 'not a pid\n');
  const source = createProcfsSource({ procfsPath: '/proc', pidfilePath: pidfile });
  try {
    const snap = await source.scan();
    const found = snap.processes.find((p) => p.pid === child.pid);
    assert.ok(found);
    assert.ok((found.residentBytes ?? 0) > 0);
    assert.ok((found.openFds ?? -1) >= 3);
    assert.equal(found.threads, 1);
    assert.equal(found.state, 'S');
    assert.equal(snap.dockerdPidfilePid, null);
    assert.deepEqual(
      snap.errors.map((e) => `${e.file}/${e.reason}`),
      ['pidfile/malformed'],
    );
  } finally {
    child.kill('SIGKILL');
    await source.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'procfs scan as an unprivileged user: exe and fds of root processes are unknown, not wrong',
  { skip: process.getuid?.() !== 0 ? 'needs root to switch user' : false },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dee-src-'));
    chmodSync(dir, 0o755);
    const child = await startFakeRunc(dir);
    try {
      const scan = new URL('../../src/sources/procfs/scan-procfs.js', import.meta.url).href;
      const script = `import(${JSON.stringify(scan)}).then(m => process.stdout.write(JSON.stringify(m.scanProcfs({procfsPath:'/proc',pidfilePath:null}, m.createProcfsScratch()))))`;
      const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        uid: 65534,
        gid: 65534,
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(out.status, 0, out.stderr);
      const snap = JSON.parse(out.stdout) as ReturnType<typeof scanProcfs>;
      const found = snap.processes.find((p) => p.pid === child.pid);
      assert.ok(found, 'still found through comm, stat and cmdline');
      assert.equal(found.exe, null);
      assert.equal(found.openFds, null);
      assert.deepEqual(found.argv, [join(dir, 'runc'), '300']);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('procfs scan of a recorded-style tree with a malformed stat and a vanished pid keeps going', () => {
  const root = mkdtempSync(join(tmpdir(), 'dee-proc-'));
  try {
    writeFileSync(join(root, 'uptime'), '100.00 50.00\n');
    const mk = (pid: number, files: Record<string, string>): void => {
      mkdirSync(join(root, String(pid)));
      for (const [f, text] of Object.entries(files)) writeFileSync(join(root, String(pid), f), text);
    };
    mk(10, {
      comm: 'dockerd\n',
      stat: '10 (dockerd) S 1 10 10 0 -1 0 0 0 0 0 5 5 0 0 20 0 9 0 500 0 0 0',
      status: 'VmRSS:\t100 kB\nThreads:\t9\n',
      cmdline: 'dockerd\0',
    });
    mk(11, { comm: 'containerd\n', stat: '11 (containerd) S garbage' });
    mk(12, { comm: 'runc\n' }); // exited between reading comm and stat
    const snap = scanProcfs({ procfsPath: root, pidfilePath: null }, createProcfsScratch());
    assert.deepEqual(
      snap.processes.map((p) => p.pid),
      [10],
    );
    assert.equal(snap.processes[0]?.startTimeSeconds !== null, true);
    assert.deepEqual(
      snap.errors.map((e) => `${e.file}/${e.reason}`),
      ['stat/malformed'],
    );
    assert.equal(snap.vanished, 1);
    assert.equal(snap.scannedPids, 3);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('procfs source: a worker that runs out of heap fails that scan with a clear error, and the next worker gets twice the limit', async () => {
  // A real V8 heap limit, set far too low for the worker to even load the scan code: it runs out of
  // memory as it would on a host with more processes than the limit was sized for.
  const source = createProcfsSource({ procfsPath: '/proc', pidfilePath: null, workerHeapMb: 1 });
  const failures: string[] = [];
  try {
    for (let i = 0; i < 8; i++) {
      try {
        const snap = await source.scan();
        assert.ok(snap.scannedPids > 1, `the scan walked ${snap.scannedPids} pids`);
        break;
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  } finally {
    await source.close();
  }
  assert.ok(failures.length >= 1, 'a 1 MiB heap must not be enough');
  assert.ok(failures.length < 8, `the limit doubles until a scan succeeds:\n${failures.join('\n')}`);
  failures.forEach((msg, i) => assert.match(msg, new RegExp(`^procfs scan worker ran out of heap; the next scan gets ${2 ** (i + 1)} MiB: `)));
});

test('procfs source: the socket paths and pids a scan is asked about are read in its thread, with the scan', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dee-sock-'));
  const sock = join(dir, 'daemon.sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  writeFileSync(join(dir, 'plain'), '');
  const source = createProcfsSource({ procfsPath: '/proc', pidfilePath: null });
  try {
    const snap = await source.scan({ sockets: [sock, join(dir, 'plain'), join(dir, 'gone.sock')], pids: [process.pid, 4_194_304 + 7] });
    const ownState = snap.pidStates?.get(process.pid);
    assert.ok(ownState === 'R' || ownState === 'S', `this process's state: ${ownState}`);
    assert.equal(snap.pidStates?.get(4_194_304 + 7), null, 'a pid above any pid_max is gone');
    assert.deepEqual(
      [...(snap.socketFiles ?? new Map())],
      [
        [sock, { kind: 'socket' }],
        [join(dir, 'plain'), { kind: 'not-socket' }],
        [join(dir, 'gone.sock'), { kind: 'error', code: 'ENOENT' }],
      ],
    );
    // Not asked: not looked at, and the probes stat for themselves.
    const plain = await source.scan();
    assert.equal(plain.socketFiles, undefined);
    assert.equal(plain.pidStates, undefined);
  } finally {
    await source.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
});
