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
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProcfsScratch } from '../../src/sources/procfs/scan-procfs.js';
import { createEngineScanState, scanEngine, type EngineScanOptions } from '../../src/sources/procfs/rooted-scan.js';
import type { ProcessSnapshot } from '../../src/engine/process-model.js';
import { compileFixture } from '../support/c-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'dee-rooted-'));
for (const name of ['containerd', 'dockerd', 'runc']) {
  copyFileSync('/bin/sleep', join(dir, name));
  chmodSync(join(dir, name), 0o755);
}
// A shim stand-in that takes a shim's arguments (sleep would reject them), and the subreaper wrapper.
const idle = await compileFixture('idle', join(dir, 'idle'));
copyFileSync(idle, join(dir, 'containerd-shim-runc-v2'));
chmodSync(join(dir, 'containerd-shim-runc-v2'), 0o755);
const subreaper = await compileFixture('subreaper', join(dir, 'subreaper'));
const SHIM_ARGS = '-namespace moby -id x -address /run/containerd/containerd.sock';
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
async function world(): Promise<{ proc: string; supervisor: (opts?: { subreaper?: boolean }) => Promise<Supervisor> }> {
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
    supervisor: async (opts: { subreaper?: boolean } = {}) => {
      // A shell reading its own FIFO, started by the namespace's init: pid 1 is its parent. As a
      // subreaper, orphans below it are re-parented to it rather than to init.
      const fifo = join(dir, `${made++}-${Date.now()}.fifo`);
      spawnSync('mkfifo', [fifo]);
      const before = new Set(childrenOf(proc, 1));
      ns.stdin?.write(`exec ${opts.subreaper ? `${subreaper} ` : ''}sh -c '${READ_LOOP}' < ${fifo}\n`);
      const fd = openSync(fifo, 'r+'); // read-write: a FIFO opened so never waits for the other end
      w.fds.push(fd);
      let pid = 0;
      await until(() => (pid = childrenOf(proc, 1).find((c) => !before.has(c) && comm(proc, c) === 'sh') ?? 0) > 0, 'the supervisor');
      const run = (line: string): void => void writeSync(fd, `${line}\n`);
      return {
        pid,
        run,
        // The way a shim daemonizes: a child (`shim start`) starts it and exits at once, so it is
        // adopted by the nearest subreaper above, or by init. Resolves with its pid once adopted.
        daemonize: async (adopter) => {
          const before = new Set(childrenOf(proc, adopter));
          run(`(./containerd-shim-runc-v2 ${SHIM_ARGS} &)`);
          let shim = 0;
          await until(
            () => (shim = childrenOf(proc, adopter).find((c) => !before.has(c) && comm(proc, c) === 'containerd-shim') ?? 0) > 0,
            `a shim adopted by ${adopter}`,
          );
          return shim;
        },
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
  run: (line: string) => void;
  daemonize: (adopter: number) => Promise<number>;
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

/**
 * How a rooted pass finds new children: `children` reads the roots' children files; `new-pids` reads
 * the pids handed out since the last pass. The kernel counts those in the reader's pid namespace
 * (/proc/loadavg), not the test's private one, so for `new-pids` the test says the last pid: the
 * highest pid its namespace has shown so far (a stand-in that only grows, as the kernel's does until
 * it wraps). Every test runs both ways.
 */
type Way = 'children' | 'new-pids';
const WAYS: readonly Way[] = ['children', 'new-pids'];

function both(name: string, body: (way: Way) => Promise<void>): void {
  for (const way of WAYS) test(`${name} (${way})`, () => body(way));
}

function highestPid(procfsPath: string): () => number {
  let highest = 0;
  return () => {
    for (const name of readdirSync(procfsPath)) if (/^\d+$/.test(name)) highest = Math.max(highest, Number(name));
    return highest;
  };
}

/**
 * A scanner on the test's clock. The `new-pids` way reads children files in the first pass after a
 * full scan (it learns the young children to watch there), so that scanner runs that pass at once,
 * on the same clock, and checks that every later pass at most 3 s after the last (pid_max 32768: no
 * turn of the pid space is possible in that time) found new children by their pids.
 */
function engineScanner(procfsPath: string, pidfilePath: string | null, way: Way, fullIntervalMs = 60_000) {
  const opts: EngineScanOptions = {
    procfsPath,
    pidfilePath,
    fullIntervalMs,
    ...(way === 'new-pids' ? { lastPid: highestPid(procfsPath) } : {}),
  };
  const scratch = createProcfsScratch();
  const state = createEngineScanState();
  let now = Date.now();
  let lastKind: string | null = null;
  return (advanceMs: number): ProcessSnapshot => {
    now += advanceMs;
    const snap = scanEngine(opts, scratch, state, now);
    if (snap.scan?.kind === 'rooted') {
      const expected = way === 'new-pids' && lastKind === 'rooted' && advanceMs < 3000 ? 'new-pids' : 'children';
      assert.equal(snap.scan.reason, expected, `a rooted pass ${advanceMs} ms after a ${lastKind} one`);
    }
    lastKind = snap.scan?.kind ?? null;
    if (way === 'new-pids' && snap.scan?.kind === 'full' && fullIntervalMs > 0) {
      assert.equal(scanEngine(opts, scratch, state, now).scan?.reason, 'children');
      lastKind = 'rooted';
    }
    return snap;
  };
}

both('rooted scans find what a supervisor of the engine starts, without reading every pid', async (way) => {
  const w = await world();
  const sup = await w.supervisor();
  const containerd = await sup.start('containerd');
  const scan = engineScanner(w.proc, null, way);
  const first = scan(0);
  assert.deepEqual(first.scan, { kind: 'full', reason: 'start', missed: [] });
  assert.ok(has(first, containerd));

  const runc = await sup.start('runc');
  const second = scan(1000);
  assert.equal(second.scan?.kind, 'rooted');
  assert.ok(has(second, containerd), 'the daemon is read again');
  assert.equal(second.processes.find((p) => p.pid === runc)?.ppid, sup.pid, 'the new child of the root is found');
});

both('the audit finds an engine daemon the rooted scan cannot reach, and it is followed from then on', async (way) => {
  const w = await world();
  const sup = await w.supervisor();
  await sup.start('containerd');
  const scan = engineScanner(w.proc, null, way);
  scan(0);
  // Forced miss: a containerd started by a shell that is no root (nothing of the engine's hung off it).
  const stranger = await w.supervisor();
  const second = await stranger.start('containerd');
  const rooted = scan(1000);
  assert.equal(rooted.scan?.kind, 'rooted');
  assert.ok(!has(rooted, second), 'the rooted scan cannot see it: its parent is not a root');

  const audit = scan(60_000);
  assert.equal(audit.scan?.kind, 'full');
  assert.equal(audit.scan?.reason, 'audit');
  assert.deepEqual(audit.scan?.missed, [{ pid: second, ppid: stranger.pid, comm: 'containerd' }]);
  assert.ok(has(audit, second));

  const next = scan(1000);
  assert.equal(next.scan?.kind, 'rooted');
  assert.ok(has(next, second), 'it is read again, and its parent is a root now');
});

both('a look-alike under a program that is no root is only seen by full scans, and is no miss of the audit', async (way) => {
  const w = await world();
  const sup = await w.supervisor();
  await sup.start('containerd');
  const loner = await w.supervisor();
  const runc = await loner.start('runc');
  const scan = engineScanner(w.proc, null, way);
  assert.ok(has(scan(0), runc), 'the full scan reads it');
  const rooted = scan(1000);
  assert.equal(rooted.scan?.kind, 'rooted');
  assert.ok(!has(rooted, runc), 'not read again by pid: it hangs off nothing of the engine');
  const audit = scan(60_000);
  assert.equal(audit.scan?.reason, 'audit');
  assert.ok(has(audit, runc));
  assert.deepEqual(audit.scan?.missed, [], 'not the engine: not a miss');
  assert.ok(!has(scan(1000), runc), 'and not followed after the audit either');
});

both('a shim that daemonizes is found by the next rooted scan, adopted by init or by a subreaper above containerd', async (way) => {
  const w = await world();
  const reaper = await w.supervisor({ subreaper: true });
  const containerd = await reaper.start('containerd');
  const plain = await w.supervisor();
  const scan = engineScanner(w.proc, null, way);
  const first = scan(0);
  assert.deepEqual(first.processes.find((p) => p.pid === containerd)?.ancestors, [reaper.pid, 1], "containerd's ancestry");

  const adopted = await reaper.daemonize(reaper.pid); // a supervisor that reaps (systemd --user, tini -s)
  const toInit = await plain.daemonize(1); // a containerd-only node: containerd under systemd, shims under pid 1
  const next = scan(1000);
  assert.equal(next.scan?.kind, 'rooted');
  assert.equal(next.processes.find((p) => p.pid === adopted)?.ppid, reaper.pid, 'the shim adopted by the subreaper');
  assert.equal(next.processes.find((p) => p.pid === toInit)?.ppid, 1, 'the shim adopted by init');
  assert.deepEqual(next.scan?.missed, []);
});

both('exec: a young child of a root that becomes an engine binary is found at once; an old one by the audit', async (way) => {
  const w = await world();
  const sup = await w.supervisor();
  await sup.start('containerd');
  const gates = [join(dir, `gate-young-${Date.now()}`), join(dir, `gate-old-${Date.now()}`)];
  const kids: number[] = [];
  for (const gate of gates) {
    spawnSync('mkfifo', [gate]);
    const before = new Set(childrenOf(w.proc, sup.pid));
    sup.run(`sh -c "read x < ${gate}; exec ./runc 300"`);
    let kid = 0;
    await until(() => (kid = childrenOf(w.proc, sup.pid).find((c) => !before.has(c) && comm(w.proc, c) === 'sh') ?? 0) > 0, 'the child shell');
    kids.push(kid);
  }
  const [young, old] = kids as [number, number];
  const scan = engineScanner(w.proc, null, way);
  scan(0);
  const open = async (gate: string, pid: number): Promise<void> => {
    const fd = openSync(gate, 'w');
    writeSync(fd, 'go\n');
    closeSync(fd);
    await until(() => comm(w.proc, pid) === 'runc', `pid ${pid} exec'ing runc`);
  };
  await open(gates[0] as string, young);
  assert.ok(has(scan(1000), young), 'same pid, new comm: read again while young');

  // The test's clock says 31 s later: the other child is old and known by pid and start, not read again.
  assert.ok(!has(scan(31_000), old));
  await open(gates[1] as string, old);
  const rooted = scan(1000);
  assert.equal(rooted.scan?.kind, 'rooted');
  assert.ok(!has(rooted, old), 'the blind spot: an old child that execs later');
  // Polls 2 s apart until the audit, as a 1 s poller's would be: every pass is as blind as the last.
  let audit = scan(2000);
  while (audit.scan?.kind !== 'full') {
    assert.ok(!has(audit, old), 'no rooted pass finds it');
    audit = scan(2000);
  }
  assert.equal(audit.scan.reason, 'audit');
  assert.deepEqual(
    audit.scan?.missed.map((m) => m.pid),
    [old],
    'the audit catches it',
  );
});

both(
  'a daemon that is gone is reported at once and makes the next scan full; so does a rewritten pidfile; a restart under its supervisor is found',
  async (way) => {
    const w = await world();
    const sup = await w.supervisor();
    const dockerd = await sup.start('dockerd');
    const containerd = await sup.start('containerd');
    const pidfile = join(dir, 'docker.pid');
    writeFileSync(pidfile, `${dockerd}\n`);
    const scan = engineScanner(w.proc, pidfile, way);
    scan(0);
    assert.equal(scan(1000).scan?.kind, 'rooted');
    // Daemons count as gone only once they have lived 30 s (look-alikes come and go); the test's clock says so.
    assert.equal(scan(31_000).scan?.kind, 'rooted');

    await sup.kill(containerd);
    // The poll that no longer finds it says so without a full scan of the host first; the next looks
    // for where its children went.
    const afterKill = scan(1000);
    assert.equal(afterKill.scan?.kind, 'rooted');
    assert.ok(!has(afterKill, containerd));
    const owed = scan(1000);
    assert.deepEqual([owed.scan?.kind, owed.scan?.reason], ['full', 'daemon-gone']);
    assert.ok(!has(owed, containerd));

    const restarted = await sup.start('containerd');
    const found = scan(1000);
    assert.equal(found.scan?.kind, 'rooted');
    assert.ok(has(found, restarted), 'the supervisor of a daemon stays a root');

    writeFileSync(pidfile, `${restarted}\n`);
    const afterPidfile = scan(1000);
    assert.deepEqual([afterPidfile.scan?.kind, afterPidfile.scan?.reason], ['full', 'pidfile']);
    assert.equal(afterPidfile.dockerdPidfilePid, restarted);
  },
);

both('without an engine a scan is full every 5 s; with --scan.full-interval=0 or without children files, every scan is', async (way) => {
  const w = await world();
  const none = engineScanner(w.proc, null, way);
  none(0);
  const idle = none(1000);
  assert.equal(idle.scan?.kind, 'rooted', 'no engine: pid 1 and the supervisors are still read');
  assert.ok(idle.scannedPids >= 1, 'a rooted scan with nothing to follow still saw a process (pid 1)');
  const again = none(4000);
  assert.deepEqual([again.scan?.kind, again.scan?.reason], ['full', 'no-engine']);
  assert.equal(none(1000).scan?.kind, 'rooted');

  const sup = await w.supervisor();
  await sup.start('containerd');
  const always = engineScanner(w.proc, null, way, 0);
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

test("in the exporter's own pid namespace, new children are found from the kernel's last pid, and threads are not taken for processes", () => {
  const own = mkdtempSync(join(dir, 'own-ns-'));
  const script = new URL('../support/scan-in-own-pid-ns.js', import.meta.url).pathname;
  const run = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, script, own], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { reports: { kind: string; reason: string }[]; containerds: number[]; child: number; threads: number };
  assert.deepEqual(
    out.reports.map((r) => `${r.kind}/${r.reason}`),
    ['full/start', 'rooted/children', 'rooted/new-pids'],
  );
  assert.ok(out.threads >= 5, `the child has ${out.threads} threads`);
  assert.deepEqual(out.containerds, [out.child], 'one containerd: the child, none of its threads');
});
