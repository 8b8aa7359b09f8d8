/**
 * The headroom reads of the engine's processes: a real child's fd limit, and the cgroup walk on
 * written trees. The cgroup trees are files, not a mounted cgroupfs: this machine has one cgroup
 * version, and the walk must be shown on both (v1 `pids` hierarchy, v2 unified) and on limits set
 * at an ancestor, which only a written tree can show everywhere.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readHeadroom } from '../../src/sources/procfs/headroom.js';
import { untilAsleep } from '../support/proc.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function startTicksOf(pid: number, procfs = '/proc'): number {
  const stat = readFileSync(`${procfs}/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

/** A written /proc with one process (pid 42) in `cgroupLine`, and a written cgroup tree under root. */
function fakeHost(cgroupLine: string, files: Record<string, string>): { procfs: string; rootfs: string } {
  const base = mkdtempSync('/tmp/headroom-reads.');
  dirs.push(base);
  const procfs = join(base, 'proc');
  const rootfs = join(base, 'root');
  write(join(procfs, '42', 'stat'), '42 (containerd) S 1 42 42 0 -1 4194560 0 0 0 0 1 1 0 0 20 0 3 0 777 0 0\n');
  write(
    join(procfs, '42', 'limits'),
    'Limit Soft Limit Hard Limit Units\nMax open files            512                  4096                 files     \n',
  );
  write(join(procfs, '42', 'task', '42', 'stat'), '42 (containerd) S 1\n');
  write(join(procfs, '42', 'task', '43', 'stat'), '43 (containerd) D 1\n');
  write(join(procfs, '42', 'task', '44', 'stat'), '44 (my) D) S 1\n');
  write(join(procfs, '42', 'cgroup'), cgroupLine);
  write(join(procfs, 'sys', 'kernel', 'pid_max'), '32768\n');
  write(join(procfs, 'sys', 'kernel', 'threads-max'), '1000\n');
  for (const [path, text] of Object.entries(files)) write(join(rootfs, 'sys', 'fs', 'cgroup', path), text);
  return { procfs, rootfs };
}

describe('headroom reads', () => {
  it("reads a real process's soft fd limit and its task states, and skips a pid whose start time changed", async () => {
    const child = spawn('sh', ['-c', 'ulimit -n 123 && exec sleep 30'], { stdio: 'ignore' });
    try {
      const pid = child.pid as number;
      await untilAsleep(pid, 'sleep'); // the shell has set the limit, and execve (maybe in D) is over
      const target = { pid, startTicks: startTicksOf(pid), cgroup: false };
      const got = readHeadroom({ procfsPath: '/proc', rootfsPath: '/' }, { processes: [target] });
      assert.deepEqual(got.processes, [{ pid, maxFds: 123, uninterruptibleThreads: 0, cgroupPids: null }]);
      assert.ok(got.pidMax !== null && got.pidMax > 0 && got.threadsMax !== null && got.threadsMax > 0);
      const reused = readHeadroom({ procfsPath: '/proc', rootfsPath: '/' }, { processes: [{ ...target, startTicks: target.startTicks + 1 }] });
      assert.deepEqual(reused.processes, []);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('walks a v1 pids hierarchy to the tightest pids.max, counting D threads by their own stat', () => {
    const host = fakeHost('9:pids:/system.slice/docker.service\n0::/\n', {
      'pids/system.slice/docker.service/pids.max': 'max\n',
      'pids/system.slice/docker.service/pids.current': '50\n',
      'pids/system.slice/pids.max': '100\n',
      'pids/system.slice/pids.current': '95\n',
    });
    const got = readHeadroom({ procfsPath: host.procfs, rootfsPath: host.rootfs }, { processes: [{ pid: 42, startTicks: 777, cgroup: true }] });
    assert.deepEqual(got.processes, [{ pid: 42, maxFds: 512, uninterruptibleThreads: 1, cgroupPids: { max: 100, current: 95 } }]);
    assert.equal(got.pidMax, 32768);
    assert.equal(got.threadsMax, 1000);
  });

  it('reads v2 (TasksMax on the unit) and leaves levels without the controller alone', () => {
    const host = fakeHost('0::/system.slice/containerd.service\n', {
      'system.slice/containerd.service/pids.max': '4915\n',
      'system.slice/containerd.service/pids.current': '4000\n',
    });
    const got = readHeadroom({ procfsPath: host.procfs, rootfsPath: host.rootfs }, { processes: [{ pid: 42, startTicks: 777, cgroup: true }] });
    assert.deepEqual(got.processes[0]?.cgroupPids, { max: 4915, current: 4000 });
    assert.deepEqual(got.errors, []);
  });

  it('a malformed pids.max or limits file is a counted error, never a number', () => {
    const host = fakeHost('0::/a\n', { 'a/pids.max': 'lots\n', 'a/pids.current': '1\n' });
    const got = readHeadroom({ procfsPath: host.procfs, rootfsPath: host.rootfs }, { processes: [{ pid: 42, startTicks: 777, cgroup: true }] });
    assert.equal(got.processes[0]?.cgroupPids, null);
    assert.deepEqual(
      got.errors.map((e) => [e.file, e.reason]),
      [['pids.max', 'malformed']],
    );
    writeFileSync(join(host.procfs, '42', 'limits'), 'Max open files  lots  lots files\n');
    const bad = readHeadroom(
      { procfsPath: host.procfs, rootfsPath: host.rootfs },
      { processes: [{ pid: 42, startTicks: 777, cgroup: false }] },
    );
    assert.deepEqual(bad.processes, []);
    assert.deepEqual(
      bad.errors.map((e) => [e.file, e.reason]),
      [['limits', 'malformed']],
    );
  });
});
