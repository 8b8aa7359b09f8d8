import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MalformedProcFileError,
  cleanExeLink,
  parseCmdline,
  parseContainerdConfigAddress,
  parsePidfile,
  parseProcStat,
  parseProcStatus,
  parseUptime,
} from '../../src/sources/procfs/parse-proc.js';
import { containerdAddressFromArgv, flagValue } from '../../src/engine/argv.js';

// A real containerd line from the test engine (bookworm, containerd 1.6.20).
const CONTAINERD_STAT =
  '18674 (containerd) S 18666 18674 18674 0 -1 4194560 3383 0 0 0 6 4 0 0 20 0 8 0 28702 1953525760 9826 18446744073709551615 1 1 0 0 0 0 1002055680 0 2143420159 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0';

test('parseProcStat reads state, ppid, cpu, threads and start ticks', () => {
  const s = parseProcStat(CONTAINERD_STAT);
  assert.deepEqual(s, {
    pid: 18674,
    comm: 'containerd',
    state: 'S',
    ppid: 18666,
    cpuTicks: 10,
    numThreads: 8,
    startTicks: 28702,
    exitSignal: 17,
  });
});

test('parseProcStat tells a thread read by its id (exit_signal -1) from a process, and a short line has no exit signal', () => {
  const thread = CONTAINERD_STAT.replace(/^18674/, '18680').replace(' 17 1 0 0', ' -1 1 0 0');
  assert.equal(parseProcStat(thread).exitSignal, -1);
  assert.equal(parseProcStat('42 (x) S 7 42 42 0 -1 0 0 0 0 0 100 50 0 0 20 0 3 0 999 0 0 0').exitSignal, null);
});

test('parseProcStat cuts the name at the last ")" even with spaces and ")" in it', () => {
  const line = '42 (evil) name ) x) R 7 42 42 0 -1 0 0 0 0 0 100 50 0 0 20 0 3 0 999 0 0 0';
  const s = parseProcStat(line);
  assert.equal(s.comm, 'evil) name ) x');
  assert.equal(s.state, 'R');
  assert.equal(s.ppid, 7);
  assert.equal(s.cpuTicks, 150);
  assert.equal(s.numThreads, 3);
  assert.equal(s.startTicks, 999);
});

test('parseProcStat keeps a 15-byte truncated name as the kernel gives it', () => {
  const line = '3125 (containerd-shim) S 1 3125 2997 0 -1 1077936384 1 0 0 0 0 1 0 0 20 0 11 0 3000 0 0 0';
  assert.equal(parseProcStat(line).comm, 'containerd-shim');
});

test('parseProcStat reads a zombie', () => {
  const line = '2997 (containerd) Z 1 2997 2997 0 -1 4228 0 0 0 0 12 9 0 0 20 0 1 0 2800 0 0 18446744073709551615 0 0';
  const s = parseProcStat(line);
  assert.equal(s.state, 'Z');
  assert.equal(s.ppid, 1);
  assert.equal(s.cpuTicks, 21);
});

test('parseProcStat rejects truncated or garbled lines with a one-line reason', () => {
  assert.throws(() => parseProcStat(''), MalformedProcFileError);
  assert.throws(() => parseProcStat('12 (x) S 1 2'), /malformed stat: only/);
  assert.throws(() => parseProcStat('12 x S 1 2 3'), /no "\(name\)"/);
  assert.throws(() => parseProcStat('12 (x) 7 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20'), /bad state/);
  assert.throws(() => parseProcStat('ab (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20'), /bad pid/);
});

test('parseProcStatus takes VmRSS in kB and Threads; a zombie has no VmRSS', () => {
  const live = 'Name:\tdockerd\nState:\tS (sleeping)\nVmRSS:\t   77660 kB\nThreads:\t10\n';
  assert.deepEqual(parseProcStatus(live), { residentBytes: 77660 * 1024, threads: 10 });
  const zombie = 'Name:\tcontainerd\nState:\tZ (zombie)\nThreads:\t1\n';
  assert.deepEqual(parseProcStatus(zombie), { residentBytes: null, threads: 1 });
  assert.throws(() => parseProcStatus('VmRSS:\tlots\n'), /malformed status/);
  assert.throws(() => parseProcStatus('Threads:\tmany\n'), /malformed status: bad Threads/);
});

test('parseCmdline splits on NUL; empty for zombies and kernel threads', () => {
  assert.deepEqual(parseCmdline('containerd\0--config\0/x/containerd.toml\0'), ['containerd', '--config', '/x/containerd.toml']);
  assert.deepEqual(parseCmdline('no-trailing-nul\0arg'), ['no-trailing-nul', 'arg']);
  assert.deepEqual(parseCmdline(''), []);
});

test('parseUptime, parsePidfile', () => {
  assert.equal(parseUptime('287.45 512.10\n'), 287.45);
  assert.throws(() => parseUptime('x y'), /malformed uptime/);
  assert.equal(parsePidfile('18666\n'), 18666);
  assert.equal(parsePidfile(''), null);
  assert.throws(() => parsePidfile('dockerd'), /malformed pidfile/);
  assert.throws(() => parsePidfile('0'), /malformed pidfile/);
});

test('cleanExeLink drops the " (deleted)" of a replaced binary', () => {
  assert.equal(cleanExeLink('/usr/sbin/dockerd (deleted)'), '/usr/sbin/dockerd');
  assert.equal(cleanExeLink('/usr/bin/containerd'), '/usr/bin/containerd');
});

test('containerd address from flags and from its config file', () => {
  assert.equal(containerdAddressFromArgv(['containerd', '--address', '/a.sock']), '/a.sock');
  assert.equal(containerdAddressFromArgv(['containerd', '--address=/b.sock']), '/b.sock');
  assert.equal(containerdAddressFromArgv(['containerd', '-a', '/c.sock']), '/c.sock');
  assert.equal(containerdAddressFromArgv(['containerd', '--config', '/x.toml']), null);
  assert.equal(flagValue(['dockerd', '--exec-root=/e'], ['--exec-root']), '/e');
  // As dockerd writes it for its managed containerd.
  const toml =
    'disabled_plugins = ["cri"]\nroot = "/r/data/containerd/daemon"\n\n[grpc]\n  address = "/r/exec/containerd/containerd.sock"\n  uid = 0\n\n[ttrpc]\n  address = "/r/exec/containerd/containerd.sock.ttrpc"\n';
  assert.equal(parseContainerdConfigAddress(toml), '/r/exec/containerd/containerd.sock');
  assert.equal(parseContainerdConfigAddress('[ttrpc]\naddress = "/t"\n'), null);
});

test("a MalformedProcFileError names its kind of file in `file` (the read-error metric's label)", () => {
  const fileOf = (parse: () => unknown): string | null => {
    try {
      parse();
      return null;
    } catch (err) {
      assert.ok(err instanceof MalformedProcFileError, String(err));
      return err.file;
    }
  };
  assert.equal(
    fileOf(() => parseProcStat('12 (x) S 1 2')),
    'stat',
  );
  // A colon inside the quoted bad value does not change the kind.
  assert.equal(
    fileOf(() => parseProcStatus('VmRSS: a:b kB\n')),
    'status',
  );
  assert.equal(
    fileOf(() => parseProcStatus('Threads: x:y\n')),
    'status',
  );
  assert.equal(
    fileOf(() => parseUptime('up: 1')),
    'uptime',
  );
  assert.equal(
    fileOf(() => parsePidfile('12:34')),
    'pidfile',
  );
});
