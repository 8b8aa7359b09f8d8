/**
 * A procfs scan that blocks in the kernel, against the real built exporter (node dist/main.js) and the
 * real `check` command. The procfs is a copy of a recorded tree (test/fixtures/proc/docker-rig) plus one
 * pid directory whose `comm` is a FIFO: open() of a FIFO blocks until a writer comes, as a read of a
 * process stuck in the kernel does. The real /proc cannot hold a FIFO, and a real kernel-stuck read
 * cannot be made on demand and released again; the FIFO is the stand-in for that fault.
 *
 * Asserted: the exporter keeps one stuck thread, not one per poll (Threads in /proc/<pid>/status),
 * its RSS does not climb, /metrics answers with poll errors rising, /healthz is 503, and one log line
 * marks the state; releasing the FIFO resumes scanning by itself; SIGTERM ends it within 5 s while a
 * thread is blocked (and with status 0 when none is); `check` ends within 5 s with UNKNOWN.
 *
 * And a statfs blocked in the kernel (the data root on a FUSE mount that never answers): the scan is
 * not behind it, so polls go on; SIGTERM still ends the process within 5 s.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  constants,
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compileFixture } from '../support/c-fixture.js';
import { fuseUnavailable, threadsHeldInD } from '../support/fuse.js';
import { delay, freePort, metric, repoRoot, scrape, waitFor } from '../support/engine-rig.js';

const BLOCKED_PID = '99999';
const POLL_ERRORS = 'docker_engine_exporter_poll_errors_total';

interface Spawned {
  child: ChildProcess;
  url: string;
  output: () => string;
  jsonLogs: () => Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live: ChildProcess[] = [];
const dirs: string[] = [];

/** A copy of a recorded procfs whose pid 99999 has a FIFO as its comm. */
function blockingProcfs(): { root: string; procfs: string; fifo: string } {
  const root = mkdtempSync(join(tmpdir(), 'dee-blocked-'));
  dirs.push(root);
  const procfs = join(root, 'proc');
  cpSync(join(repoRoot(), 'test', 'fixtures', 'proc', 'docker-rig'), procfs, { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(procfs, BLOCKED_PID));
  const fifo = join(procfs, BLOCKED_PID, 'comm');
  const made = spawnSync('mkfifo', ['-m', '0600', fifo]);
  assert.equal(made.status, 0, `mkfifo: ${made.stderr?.toString()}`);
  return { root, procfs, fifo };
}

/** Wakes every reader blocked opening `fifo` (they read end-of-file); false when none waits. */
function releaseReaders(fifo: string): boolean {
  let fd: number;
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return false; // ENXIO: no reader; ENOENT: gone
  }
  try {
    writeSync(fd, 'bash\n');
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Replaces the FIFO by a regular comm (the next scans read it), then wakes the blocked reader. */
function unblock(fifo: string): void {
  const tmp = `${fifo}.new`;
  writeFileSync(tmp, 'bash\n');
  const holder = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK); // a reader waits: succeeds
  renameSync(tmp, fifo);
  writeSync(holder, 'bash\n');
  closeSync(holder);
}

function flags(root: string, procfs: string): string[] {
  return [
    `--path.procfs=${procfs}`,
    `--docker.host=unix://${join(root, 'no-dockerd.sock')}`,
    '--docker.pidfile=',
    `--containerd.address=${join(root, 'no-containerd.sock')}`,
  ];
}

async function spawnExporter(args: string[]): Promise<Spawned> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(repoRoot(), 'dist', 'main.js'), ...args, '--log.format=json', `--web.listen-address=127.0.0.1:${port}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  live.push(child);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'the exporter to answer /healthz',
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the exporter exited:\n${out}`);
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return true;
    },
    20_000,
    150,
  );
  const jsonLogs = (): Record<string, unknown>[] =>
    out.split('\n').flatMap((l) => {
      try {
        return l.startsWith('{') ? [JSON.parse(l) as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  return { child, url, output: () => out, jsonLogs, exited };
}

/** Threads and VmRSS (bytes) from /proc/<pid>/status. */
function threadsAndRss(pid: number): { threads: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { threads: field('Threads'), rss: field('VmRSS') * 1024 };
}

async function healthStatus(url: string): Promise<{ status: number; lastError: unknown }> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as { lastError?: unknown };
  return { status: res.status, lastError: body.lastError };
}

/** Waits at most `ms` for the process to exit; null when it did not. */
async function exitWithin(s: Spawned, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | null> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([s.exited, new Promise<null>((res) => (timer = setTimeout(() => res(null), ms)))]);
  clearTimeout(timer);
  return r;
}

describe('a procfs scan blocked in the kernel', { timeout: 180_000 }, () => {
  after(() => {
    // Anything that may still be blocked in the kernel is killed; blocked readers (a check's child
    // process among them) are woken, then the directories go.
    for (const c of live) if (c.exitCode === null && c.signalCode === null && c.pid) c.kill('SIGKILL');
    for (const d of dirs) {
      const fifo = join(d, 'proc', BLOCKED_PID, 'comm');
      for (let i = 0; i < 20 && releaseReaders(fifo); i++);
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('holds one thread, fails polls fast, resumes when the read returns, and SIGTERM still stops it in 5 s', async (t) => {
    const { root, procfs, fifo } = blockingProcfs();
    // 200 ms polls: the scan counts as blocked after 2 s (ten intervals, at least 2 s).
    const ex = await spawnExporter([...flags(root, procfs), '--poll.interval=200ms']);
    const pid = ex.child.pid as number;
    await waitFor(
      'the first blocked scan to fail a poll',
      async () => (metric(await scrape(ex.url), POLL_ERRORS, { source: 'procfs' }) ?? 0) >= 1,
      20_000,
      200,
    );

    const first = threadsAndRss(pid);
    const errorsAtStart = metric(await scrape(ex.url), POLL_ERRORS, { source: 'procfs' }) ?? 0;
    const samples: { threads: number; rss: number }[] = [];
    // 8 s: four scan timeouts, ~40 polls. A worker replaced per timeout would show here.
    const until = Date.now() + 8000;
    while (Date.now() < until) {
      samples.push(threadsAndRss(pid));
      const health = await healthStatus(ex.url);
      assert.equal(health.status, 503, 'a blocked scan leaves no fresh state: /healthz is 503');
      assert.match(String(health.lastError), /^procfs scan blocked for \d+ s/);
      await delay(200);
    }
    const errorsAtEnd = metric(await scrape(ex.url), POLL_ERRORS, { source: 'procfs' }) ?? 0;
    const maxThreads = Math.max(...samples.map((s) => s.threads));
    t.diagnostic(
      `blocked for 8 s: threads ${first.threads} → max ${maxThreads}, RSS ${(first.rss / 1048576).toFixed(1)} → ` +
        `${((samples[samples.length - 1]?.rss ?? 0) / 1048576).toFixed(1)} MiB, ${errorsAtEnd - errorsAtStart} failed polls`,
    );
    assert.ok(maxThreads <= first.threads + 1, `threads grew from ${first.threads} to ${maxThreads} while the scan was blocked`);
    const lastRss = samples[samples.length - 1]?.rss ?? 0;
    assert.ok(
      lastRss - first.rss < 8 * 1024 * 1024,
      `RSS climbed by ${((lastRss - first.rss) / 1048576).toFixed(1)} MiB while the scan was blocked`,
    );
    assert.ok(errorsAtEnd - errorsAtStart >= 15, `polls keep failing fast: ${errorsAtEnd - errorsAtStart} failures in 8 s at 200 ms`);
    const failedLines = ex.jsonLogs().filter((l) => l.msg === 'poll failed');
    assert.equal(failedLines.length, 1, `one log line when the blocked state begins, not one per poll:\n${ex.output().slice(-3000)}`);
    assert.match(String(failedLines[0]?.err), /^procfs scan blocked for \d+ s/);

    // The read returns: the stale answer is dropped and scanning resumes by itself.
    unblock(fifo);
    const pidDirs = readdirSync(procfs).filter((n) => /^\d+$/.test(n)).length;
    await waitFor(
      'scanning to resume (/healthz 200, every pid directory scanned)',
      async () => {
        const m = await scrape(ex.url);
        return (await healthStatus(ex.url)).status === 200 && metric(m, 'docker_engine_exporter_scanned_processes') === pidDirs;
      },
      15_000,
      200,
    );
    assert.equal(ex.jsonLogs().filter((l) => l.msg === 'poll recovered').length, 1, 'one log line when it ends');
    const resumed = metric(await scrape(ex.url), POLL_ERRORS, { source: 'procfs' }) ?? 0;
    await delay(1000);
    assert.equal(metric(await scrape(ex.url), POLL_ERRORS, { source: 'procfs' }), resumed, 'no poll fails once the read has returned');
    assert.ok(threadsAndRss(pid).threads <= first.threads + 1, 'the same worker scans again: no thread added');

    // Blocked again, then SIGTERM: the process must end within 5 s though a thread never returns.
    const again = join(procfs, BLOCKED_PID, 'comm.fifo');
    assert.equal(spawnSync('mkfifo', ['-m', '0600', again]).status, 0);
    renameSync(again, fifo);
    await waitFor(
      'the scan to block again',
      async () => String((await healthStatus(ex.url)).lastError).startsWith('procfs scan blocked'),
      15_000,
      200,
    );
    ex.child.kill('SIGTERM');
    const sigtermAt = Date.now();
    const end = await exitWithin(ex, 5000);
    t.diagnostic(`SIGTERM with a blocked scan thread: exited after ${Date.now() - sigtermAt} ms`);
    assert.ok(end, `the exporter did not exit within 5 s of SIGTERM with a blocked scan thread:\n${ex.output().slice(-2000)}`);
    // process.exit() would wait for the blocked thread for good; it ends by the signal it was sent.
    assert.deepEqual(end, { code: null, signal: 'SIGTERM' });
    assert.ok(ex.jsonLogs().some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'));
  });

  it('SIGTERM with no blocked thread is the graceful stop, exit status 0', async () => {
    const { root } = blockingProcfs();
    const ex = await spawnExporter([...flags(root, join(repoRoot(), 'test', 'fixtures', 'proc', 'docker-rig')), '--poll.interval=200ms']);
    await waitFor('a successful poll', async () => (await healthStatus(ex.url)).status === 200, 15_000, 200);
    ex.child.kill('SIGTERM');
    const end = await exitWithin(ex, 5000);
    assert.deepEqual(end, { code: 0, signal: null }, ex.output().slice(-2000));
  });

  it('check ends within 5 s with UNKNOWN and one line saying why', async () => {
    const { root, procfs } = blockingProcfs();
    const started = Date.now();
    const child = spawn(process.execPath, [join(repoRoot(), 'dist', 'main.js'), 'check', ...flags(root, procfs)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const end = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 5000);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    });
    assert.ok(end, `check did not end within 5 s:\n${stdout}\n${stderr}`);
    assert.deepEqual(end, { code: 3, signal: null }, `${stdout}\n${stderr}`);
    assert.ok(Date.now() - started < 5000);
    const firstLine = stdout.split('\n')[0] ?? '';
    assert.match(firstLine, /^DOCKER ENGINE UNKNOWN - cannot scan processes: procfs scan blocked for \d+ s/);
  });
});

/**
 * The engine's data root on a filesystem that never answers (the `silent-fuse` fixture mounted where
 * --path.rootfs puts the recorded dockerd's --data-root): its statfs waits in the kernel as one of a
 * dead NFS server does. Needs root and /dev/fuse; skipped without them, except under CI=true.
 */
describe('a statfs of the data root blocked in the kernel', { timeout: 120_000, skip: fuseUnavailable() }, () => {
  const servers: ChildProcess[] = [];
  const mounts: string[] = [];
  after(() => {
    for (const s of servers) s.kill('SIGKILL'); // the kernel aborts the connection: the statfs returns
    for (const m of mounts) spawnSync('umount', ['-l', m]);
  });

  it('does not stop the scan: polls go on, the volume is an error, SIGTERM still stops it in 5 s', async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'dee-hung-data-root-'));
    dirs.push(root);
    // The recorded dockerd runs with --data-root /tmp/rig.AGSWGc/data --exec-root /tmp/rig.AGSWGc/exec.
    const rootfs = join(root, 'rootfs');
    const dataRoot = join(rootfs, 'tmp', 'rig.AGSWGc', 'data');
    mkdirSync(dataRoot, { recursive: true });
    mkdirSync(join(rootfs, 'tmp', 'rig.AGSWGc', 'exec', 'containerd', 'daemon'), { recursive: true });
    const fuse = await compileFixture('silent-fuse', join(root, 'silent-fuse'));
    const server = spawn(fuse, [dataRoot], { stdio: 'ignore' });
    servers.push(server);
    mounts.push(dataRoot);
    await waitFor('the FUSE mount', () => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${dataRoot} `), 10_000);

    const procfs = join(repoRoot(), 'test', 'fixtures', 'proc', 'docker-rig');
    const ex = await spawnExporter([...flags(root, procfs), `--path.rootfs=${rootfs}`, '--poll.interval=200ms']);
    const pid = ex.child.pid as number;
    const statfsErrors = async (): Promise<number> =>
      metric(await scrape(ex.url), 'docker_engine_exporter_read_errors_total', { file: 'statfs', reason: 'io' }) ?? 0;
    await waitFor('the data root statfs to count as blocked', async () => (await statfsErrors()) >= 1, 20_000, 200);

    const before = await scrape(ex.url);
    const lastPoll = metric(before, 'docker_engine_exporter_last_poll_timestamp_seconds') ?? 0;
    await delay(2000);
    const m = await scrape(ex.url);
    assert.equal(metric(m, POLL_ERRORS, { source: 'procfs' }) ?? 0, 0, 'no poll failed: the scan is not behind the statfs');
    assert.ok((metric(m, 'docker_engine_exporter_last_poll_timestamp_seconds') ?? 0) > lastPoll, 'polls go on');
    assert.equal((await healthStatus(ex.url)).status, 200);
    assert.equal(metric(m, 'docker_engine_storage_avail_bytes', { volume: 'data_root' }), undefined, 'no figure for the hung volume');
    assert.equal(metric(m, 'docker_engine_storage_avail_bytes', { volume: 'containerd_root' }), undefined, 'nor for one on its mount');
    assert.ok((metric(m, 'docker_engine_storage_avail_bytes', { volume: 'exec_root' }) ?? 0) > 0, 'the other volumes still read');
    assert.equal(await threadsHeldInD(pid), 1, 'one thread waits on the mount, not one per read');

    ex.child.kill('SIGTERM');
    const sigtermAt = Date.now();
    const end = await exitWithin(ex, 5000);
    t.diagnostic(`SIGTERM with a blocked statfs: exited after ${Date.now() - sigtermAt} ms`);
    assert.ok(end, `the exporter did not exit within 5 s of SIGTERM with a blocked statfs:\n${ex.output().slice(-2000)}`);
    assert.deepEqual(end, { code: null, signal: 'SIGTERM' }, 'process.exit() would wait for the pool thread for good');
  });
});
