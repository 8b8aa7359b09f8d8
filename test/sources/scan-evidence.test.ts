/**
 * The procfs scan on a small procfs tree written for the test (the layout of test/fixtures/proc, plus
 * the ns/mnt links, socket fd links and net/unix that recorded fixtures lack): what it reads for
 * attribution (uid, mount namespace, listening sockets) and when it opens a file a containerd's
 * --config names. The config files are real files of each hostile kind; a blocking open of the FIFO
 * would hang the scan and fail this test by the runner's timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { attributeEngine, EMPTY_MEMORY } from '../../src/engine/attribute.js';
import { createProcfsScratch, scanProcfs } from '../../src/sources/procfs/scan-procfs.js';

const HOST_NS = 'mnt:[4026531841]';
const POD_NS = 'mnt:[4026532999]';
const NOBODY = 65534;
const CONFIG_PATH = '/etc/containerd/config.toml';
const SOCK = '/run/docker/containerd/containerd.sock';
const isRoot = process.getuid?.() === 0;

interface FakeProcess {
  pid: number;
  ppid: number;
  comm: string;
  uid: number;
  ns: string;
  argv: string[];
  exe: string;
  /** fd link targets, e.g. socket:[100] */
  fds?: string[];
  netUnix?: string;
}

function writeProcess(root: string, f: FakeProcess): string {
  const dir = join(root, String(f.pid));
  mkdirSync(join(dir, 'fd'), { recursive: true });
  mkdirSync(join(dir, 'ns'));
  mkdirSync(join(dir, 'net'));
  writeFileSync(join(dir, 'comm'), `${f.comm}\n`);
  writeFileSync(join(dir, 'stat'), `${f.pid} (${f.comm}) S ${f.ppid} 1 1 0 -1 4194560 0 0 0 0 10 5 0 0 20 0 1 0 ${f.pid * 10} 1000 100\n`);
  writeFileSync(
    join(dir, 'status'),
    `Name:\t${f.comm}\nState:\tS (sleeping)\nUid:\t${f.uid}\t${f.uid}\t${f.uid}\t${f.uid}\nThreads:\t1\nVmRSS:\t  100 kB\n`,
  );
  writeFileSync(join(dir, 'cmdline'), f.argv.join('\0') + '\0');
  symlinkSync(f.exe, join(dir, 'exe'));
  symlinkSync(f.ns, join(dir, 'ns', 'mnt'));
  (f.fds ?? ['pipe:[1]']).forEach((target, i) => symlinkSync(target, join(dir, 'fd', String(i))));
  writeFileSync(join(dir, 'net', 'unix'), f.netUnix ?? 'Num       RefCount Protocol Flags    Type St Inode Path\n');
  return dir;
}

function fakeProc(processes: FakeProcess[], pidfilePid: number | null): { root: string; pidfile: string; dirs: Map<number, string> } {
  const root = mkdtempSync(join(tmpdir(), 'dee-scan-'));
  writeFileSync(join(root, 'uptime'), '1000.00 500.00\n');
  mkdirSync(join(root, '1', 'ns'), { recursive: true });
  symlinkSync(HOST_NS, join(root, '1', 'ns', 'mnt'));
  writeFileSync(join(root, '1', 'comm'), 'init\n');
  const dirs = new Map(processes.map((f) => [f.pid, writeProcess(root, f)]));
  const pidfile = join(root, 'docker.pid');
  if (pidfilePid !== null) writeFileSync(pidfile, `${pidfilePid}\n`);
  return { root, pidfile, dirs };
}

const dockerd = (pid: number, over: Partial<FakeProcess> = {}): FakeProcess => ({
  pid,
  ppid: 1,
  comm: 'dockerd',
  uid: 0,
  ns: HOST_NS,
  argv: ['/usr/sbin/dockerd'],
  exe: '/usr/sbin/dockerd',
  ...over,
});
const containerd = (pid: number, ppid: number, over: Partial<FakeProcess> = {}): FakeProcess => ({
  pid,
  ppid,
  comm: 'containerd',
  uid: 0,
  ns: HOST_NS,
  argv: ['containerd', '--config', CONFIG_PATH],
  exe: '/usr/bin/containerd',
  ...over,
});

/** Puts a config file of the given kind where /proc/<pid>/root<CONFIG_PATH> finds it. */
function plantConfig(dir: string, kind: 'good' | 'fifo' | 'dev-zero' | 'dev-zero-node' | 'symlink' | 'sparse' | 'nobody'): void {
  const path = join(dir, 'root', CONFIG_PATH);
  mkdirSync(dirname(path), { recursive: true });
  const good = `version = 2\n[grpc]\n  address = "${SOCK}"\n`;
  switch (kind) {
    case 'good':
      writeFileSync(path, good);
      break;
    case 'fifo':
      assert.equal(spawnSync('mkfifo', [path]).status, 0);
      break;
    case 'dev-zero':
      symlinkSync('/dev/zero', path); // a final symlink: refused before anything is read
      break;
    case 'dev-zero-node':
      assert.equal(spawnSync('mknod', [path, 'c', '1', '5']).status, 0, 'mknod (a device node reading as /dev/zero)');
      break;
    case 'symlink':
      symlinkSync('/etc/shadow', path);
      break;
    case 'sparse': {
      const fd = openSync(path, 'w');
      ftruncateSync(fd, 1024 * 1024 * 1024);
      closeSync(fd);
      break;
    }
    case 'nobody':
      writeFileSync(path, good);
      chownSync(path, NOBODY, NOBODY);
      break;
  }
}

function scanTwice(root: string, pidfile: string) {
  const scratch = createProcfsScratch();
  const first = scanProcfs({ procfsPath: root, pidfilePath: pidfile }, scratch);
  const second = scanProcfs({ procfsPath: root, pidfilePath: pidfile }, scratch);
  return { first, second };
}

test('the scan reads uid, mount namespace and the host mount namespace', () => {
  const { root, pidfile } = fakeProc([dockerd(10), containerd(20, 10, { uid: NOBODY, ns: POD_NS, argv: ['containerd'] })], 10);
  try {
    const snap = scanProcfs({ procfsPath: root, pidfilePath: pidfile }, createProcfsScratch());
    assert.equal(snap.hostMountNs, HOST_NS);
    const byPid = new Map(snap.processes.map((p) => [p.pid, p]));
    assert.equal(byPid.get(10)?.uid, 0);
    assert.equal(byPid.get(10)?.mountNs, HOST_NS);
    assert.equal(byPid.get(20)?.uid, NOBODY);
    assert.equal(byPid.get(20)?.mountNs, POD_NS);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("listening sockets: containerd's gRPC address from its own socket inodes, a forged net/unix line dropped", () => {
  const header = 'Num       RefCount Protocol Flags    Type St Inode Path\n';
  const netUnix =
    header +
    `0000000000000001: 00000002 00000000 00010000 0001 01   100 ${SOCK}\n` +
    `0000000000000002: 00000002 00000000 00010000 0001 01   101 ${SOCK}.ttrpc\n` +
    '0000000000000003: 00000003 00000000 00000000 0001 03   102 /run/other.sock\n' + // connected, not listening
    '0000000000000004: 00000002 00000000 00010000 0001 01   103 @abstract\n' +
    // A path with a newline, bound by someone else, forging a second line for inode 104:
    '0000000000000005: 00000002 00000000 00010000 0001 01   999 /tmp/x\n' +
    '0000000000000006: 00000002 00000000 00010000 0001 01   104 /run/forged.sock\n' +
    '0000000000000007: 00000002 00000000 00010000 0001 01   104 /run/real-debug.sock\n';
  const { root, pidfile } = fakeProc(
    [
      dockerd(10),
      containerd(20, 10, { fds: ['socket:[100]', 'socket:[101]', 'socket:[102]', 'socket:[103]', 'socket:[104]', 'pipe:[5]'], netUnix }),
    ],
    10,
  );
  try {
    const snap = scanProcfs({ procfsPath: root, pidfilePath: pidfile }, createProcfsScratch());
    const c = snap.processes.find((p) => p.pid === 20);
    assert.deepEqual(
      c?.listening?.map((l) => l.path),
      [SOCK, `${SOCK}.ttrpc`],
    );
    assert.equal(c?.containerdAddress, SOCK, 'learnt from the sockets, the config is not needed');
    assert.deepEqual(snap.errors, []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('sockets are not looked up for a containerd of nobody or in a container (its net/unix may be huge)', () => {
  const netUnix =
    'Num       RefCount Protocol Flags    Type St Inode Path\n' + `0000000000000001: 00000002 00000000 00010000 0001 01   100 ${SOCK}\n`;
  const fake = { fds: ['socket:[100]'], netUnix, argv: ['containerd'] };
  const { root, pidfile } = fakeProc(
    [dockerd(10), containerd(20, 1, { ...fake, uid: NOBODY }), containerd(21, 1, { ...fake, ns: POD_NS }), containerd(22, 1, fake)],
    10,
  );
  try {
    const byPid = new Map(scanProcfs({ procfsPath: root, pidfilePath: pidfile }, createProcfsScratch()).processes.map((p) => [p.pid, p]));
    assert.equal(byPid.get(20)?.listening, undefined);
    assert.equal(byPid.get(21)?.listening, undefined);
    assert.deepEqual(
      byPid.get(22)?.listening?.map((l) => l.path),
      [SOCK],
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const HOSTILE = ['fifo', 'dev-zero', 'symlink', 'sparse', ...(isRoot ? (['nobody', 'dev-zero-node'] as const) : [])] as const;

for (const kind of HOSTILE) {
  for (const [who, over] of [
    ['run by nobody', { uid: NOBODY, ppid: 1 }],
    ['in another mount namespace', { ns: POD_NS, ppid: 1 }],
    ['a child of dockerd in another mount namespace', { ns: POD_NS }],
    ["root on the host but no child of the pidfile's dockerd", { ppid: 1 }],
  ] as const) {
    test(`a containerd ${who} whose --config is ${kind}: never opened`, () => {
      const { root, pidfile, dirs } = fakeProc([dockerd(10), containerd(20, 10, over)], 10);
      try {
        plantConfig(dirs.get(20) as string, kind);
        const { first, second } = scanTwice(root, pidfile);
        for (const snap of [first, second]) {
          assert.deepEqual(snap.errors, [], 'nothing was opened, so nothing was refused');
          assert.equal(snap.processes.find((p) => p.pid === 20)?.containerdAddress, null);
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }

  test(`dockerd's own containerd whose --config is ${kind}: refused, a read error counted every poll`, () => {
    const { root, pidfile, dirs } = fakeProc([dockerd(10), containerd(20, 10)], 10);
    try {
      plantConfig(dirs.get(20) as string, kind);
      const { first, second } = scanTwice(root, pidfile);
      for (const snap of [first, second]) {
        assert.deepEqual(
          snap.errors.map((e) => `${e.file}/${e.reason}`),
          ['config/refused'],
        );
        assert.ok(!snap.errors[0]?.message.includes('\n'));
        assert.equal(snap.processes.find((p) => p.pid === 20)?.containerdAddress, null);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

test("dockerd's own containerd with a good root-owned config: its address is read, once", () => {
  const { root, pidfile, dirs } = fakeProc([dockerd(10), containerd(20, 10)], 10);
  try {
    plantConfig(dirs.get(20) as string, 'good');
    const scratch = createProcfsScratch();
    const snap = scanProcfs({ procfsPath: root, pidfilePath: pidfile }, scratch);
    assert.deepEqual(snap.errors, []);
    assert.equal(snap.processes.find((p) => p.pid === 20)?.containerdAddress, SOCK);
    rmSync(join(dirs.get(20) as string, 'root', CONFIG_PATH)); // the next poll keeps what it read
    assert.equal(scanProcfs({ procfsPath: root, pidfilePath: pidfile }, scratch).processes.find((p) => p.pid === 20)?.containerdAddress, SOCK);
    const view = attributeEngine(snap, { dockerdExpected: true, containerdAddress: null }, EMPTY_MEMORY);
    assert.equal(view.containerd?.pid, 20);
    assert.equal(view.containerdAddress, SOCK);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a pidfile that is a FIFO, a symlink or a stranger's file is refused at once and counted", () => {
  const { root, pidfile } = fakeProc([dockerd(10)], null);
  try {
    const check = (why: string) => {
      const snap = scanProcfs({ procfsPath: root, pidfilePath: pidfile }, createProcfsScratch());
      assert.equal(snap.dockerdPidfilePid, null, why);
      assert.equal(snap.dockerdPidfileFailed, true, why);
      assert.deepEqual(
        snap.errors.map((e) => `${e.file}/${e.reason}`),
        ['pidfile/refused'],
        why,
      );
    };
    assert.equal(spawnSync('mkfifo', [pidfile]).status, 0);
    check('fifo');
    rmSync(pidfile);
    const real = join(root, 'real.pid');
    writeFileSync(real, '10\n');
    symlinkSync(real, pidfile);
    check('symlink');
    if (isRoot) {
      rmSync(pidfile);
      writeFileSync(pidfile, '10\n');
      chownSync(pidfile, NOBODY, NOBODY);
      check('owned by nobody');
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
