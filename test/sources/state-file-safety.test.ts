/**
 * The --state.file as an attacker sees it: the exporter runs as root, so a symlink at the path or at a
 * temporary name, a FIFO, a file or directory someone else owns or may write, and garbage values must
 * each be refused with a one-line reason, never followed, never fatal. Real files, real ownership
 * (chown to uid 65534 needs root), and the real built exporter for the end-to-end case.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { initialTrackerState } from '../../src/engine/tracker.js';
import { toPersisted, type PersistedState } from '../../src/engine/persisted-state.js';
import { MAX_STATE_FILE_BYTES, readStateFile, writeStateFile } from '../../src/sources/state-file.js';
import { metric, repoRoot, scrape, startExporter, waitFor } from '../support/engine-rig.js';

const NOBODY = 65534;
const root = process.getuid?.() === 0;
const VICTIM_TEXT = 'owned by the test: must never change\n';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fresh(): { dir: string; path: string; victim: string } {
  const base = mkdtempSync(join(tmpdir(), 'dee-statesafe-'));
  dirs.push(base);
  const dir = join(base, 'state');
  mkdirSync(dir, { mode: 0o700 });
  const victim = join(base, 'victim.txt');
  writeFileSync(victim, VICTIM_TEXT, { mode: 0o644 });
  return { dir, path: join(dir, 'state.json'), victim };
}

function aState(savedAtMs = 1_000): PersistedState {
  const t = initialTrackerState();
  t.singletons.containerd = { ...t.singletons.containerd, last: { pid: 42, start: 100, startTimeSeconds: 1_700_000_000 }, restarts: 3 };
  t.memory = { ...t.memory, containerdMode: 'managed', containerdAddress: '/run/docker/containerd/containerd.sock' };
  return toPersisted(t, null, savedAtMs);
}

describe('state file: what is refused', () => {
  it('a symlink at the state path is refused on read and write, and never written through', () => {
    const { path, victim } = fresh();
    writeFileSync(victim, JSON.stringify(aState()) + '\n'); // a valid state, so only the link is wrong
    const victimBefore = readFileSync(victim, 'utf8');
    symlinkSync(victim, path);
    const read = readStateFile(path);
    assert.equal(read.state, null);
    assert.match(read.error ?? '', /refused: it is a symlink$/);
    assert.match(writeStateFile(path, aState(2_000)) ?? '', /refused: it is a symlink$/);
    assert.equal(readFileSync(victim, 'utf8'), victimBefore, 'the link target is untouched');
    assert.ok(lstatSync(path).isSymbolicLink(), 'the link is left for whoever planted it to explain');
  });

  it('a symlink planted at the temporary name is never followed (and the old fixed name is not used)', () => {
    const { dir, path, victim } = fresh();
    // The name the writer will pick, made predictable for this test only.
    const planted = join(dir, '.state.json.chosen.tmp');
    symlinkSync(victim, planted);
    const err = writeStateFile(path, aState(), () => 'chosen');
    assert.match(err ?? '', /EEXIST/);
    assert.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT);
    assert.ok(lstatSync(planted).isSymbolicLink(), 'a planted link is not ours to remove');
    assert.equal(existsSync(path), false);
    // The name the exporter used to write to (<path>.tmp-<pid>): a link there is simply not used.
    symlinkSync(victim, `${path}.tmp-${process.pid}`);
    assert.equal(writeStateFile(path, aState(3_000)), null);
    assert.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT);
    assert.equal(readStateFile(path).state?.savedAtMs, 3_000);
    const st = statSync(path);
    assert.equal(st.mode & 0o777, 0o600);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.tmp') && !n.includes('chosen')),
      [],
      'no temporary file is left behind',
    );
  });

  it('a directory writable by others, or a symlink, is refused on read and write', () => {
    const { dir, path } = fresh();
    assert.equal(writeStateFile(path, aState()), null);
    chmodSync(dir, 0o777);
    assert.match(readStateFile(path).error ?? '', /refused: directory .* is writable by group or others \(mode 777\)/);
    assert.match(writeStateFile(path, aState()) ?? '', /refused: directory .* is writable by group or others/);
    chmodSync(dir, 0o700);
    const linked = join(dir, '..', 'linked');
    symlinkSync(dir, linked);
    assert.match(readStateFile(join(linked, 'state.json')).error ?? '', /refused: directory .* is a symlink/);
    assert.match(writeStateFile(join(linked, 'state.json'), aState()) ?? '', /refused: directory .* is a symlink/);
  });

  it('a directory owned by another uid is refused', { skip: root ? false : 'needs root to chown' }, () => {
    const { dir, path } = fresh();
    assert.equal(writeStateFile(path, aState()), null);
    chownSync(dir, NOBODY, NOBODY);
    assert.match(readStateFile(path).error ?? '', new RegExp(`refused: directory .* is owned by uid ${NOBODY}`));
    assert.match(writeStateFile(path, aState()) ?? '', new RegExp(`refused: directory .* is owned by uid ${NOBODY}`));
  });

  it('a file owned by nobody, or writable by others, is refused', { skip: root ? false : 'needs root to chown' }, () => {
    const { path } = fresh();
    assert.equal(writeStateFile(path, aState()), null);
    chownSync(path, NOBODY, NOBODY);
    assert.match(readStateFile(path).error ?? '', new RegExp(`refused: it is owned by uid ${NOBODY}`));
    chownSync(path, 0, 0);
    chmodSync(path, 0o666);
    assert.match(readStateFile(path).error ?? '', /refused: it is writable by group or others \(mode 666\)/);
    chmodSync(path, 0o600);
    assert.equal(readStateFile(path).error, null, 'the same file with a sane owner and mode is read');
  });

  it('a FIFO is refused at once instead of blocking, and so is a file over 1 MiB', () => {
    const { path } = fresh();
    assert.equal(spawnSync('mkfifo', ['-m', '0600', path]).status, 0);
    assert.match(readStateFile(path).error ?? '', /refused: it is not a regular file$/);
    assert.match(writeStateFile(path, aState()) ?? '', /refused: it is not a regular file$/);
    rmSync(path);
    writeFileSync(path, ' '.repeat(MAX_STATE_FILE_BYTES + 1), { mode: 0o600 });
    assert.match(readStateFile(path).error ?? '', /refused: it is larger than 1048576 bytes$/);
  });

  it('restored garbage values are refused, the whole file, with the reason', () => {
    const { path } = fresh();
    const valid = JSON.parse(JSON.stringify(aState())) as Record<string, unknown>;
    // Each case sets one value, at a path into the valid state.
    const cases: [string, string[], unknown, RegExp][] = [
      ['infinite time', ['savedAtMs'], 'INF', /savedAtMs is not an integer/],
      ['pid 0', ['singletons', 'containerd', 'last', 'pid'], 0, /singletons\.containerd\.last\.pid is not an integer from 1 to 4194304/],
      ['pid past PID_MAX_LIMIT', ['singletons', 'containerd', 'last', 'pid'], 4_194_305, /last\.pid is not an integer/],
      ['fractional restarts', ['singletons', 'dockerd', 'restarts'], 1.5, /singletons\.dockerd\.restarts is not an integer/],
      ['negative CPU', ['retiredCpuSeconds', 'runc'], -1, /retiredCpuSeconds\.runc is not a non-negative finite number/],
      ['relative socket', ['containerdAddress'], 'run/containerd.sock', /containerdAddress is not an absolute socket path/],
      ['socket with ..', ['containerdAddress'], '/run/../etc/shadow', /containerdAddress is not an absolute socket path/],
      ['socket with NUL', ['containerdAddress'], '/run/a\u0000b', /containerdAddress is not an absolute socket path/],
      [
        'socket over 107 bytes',
        ['containerdAddress'],
        '/' + 'a'.repeat(107),
        /containerdAddress is not an absolute socket path of at most 107 bytes/,
      ],
      ['unknown mode', ['containerdMode'], 'rootless', /containerdMode is not one of/],
      [
        'long key',
        ['liveCpu'],
        [{ key: 'k'.repeat(257), component: 'runc', cpuSeconds: 1 }],
        /liveCpu\[0\]\.key is not a string of at most 256/,
      ],
      ['unknown key', ['extra'], 1, /top level has an unknown key "extra"/],
      ['task exits not a count', ['taskExits'], { moby: 'many' }, /taskExits\["moby"\] is not an integer/],
    ];
    for (const [what, at, value, reason] of cases) {
      const data = JSON.parse(JSON.stringify(valid)) as Record<string, unknown>;
      setAt(data, at, value);
      const text = JSON.stringify(data).replace('"INF"', '1e400'); // JSON.parse turns 1e400 into Infinity
      writeFileSync(path, text, { mode: 0o600 });
      const r = readStateFile(path);
      assert.equal(r.state, null, what);
      assert.match(r.error ?? '', reason, what);
      assert.ok(!(r.error ?? '').includes('\n'), `${what}: one line`);
    }
    // The valid one, for contrast, is read.
    writeFileSync(path, JSON.stringify(valid), { mode: 0o600 });
    assert.equal(readStateFile(path).error, null);
  });
});

describe('state file: the exporter with a symlink at --state.file', () => {
  it('starts fresh, counts the refused read and writes, and never writes through the link', async () => {
    const { dir, path, victim } = fresh();
    symlinkSync(victim, path);
    const ex = await startExporter({
      args: [
        `--path.procfs=${join(repoRoot(), 'test', 'fixtures', 'proc', 'docker-rig')}`,
        `--docker.host=unix://${join(dir, 'no-dockerd.sock')}`,
        '--docker.pidfile=',
        `--containerd.address=${join(dir, 'no-containerd.sock')}`,
        '--poll.interval=200ms',
        '--log.format=json',
        `--state.file=${path}`,
      ],
    });
    try {
      const m = (await waitFor<Map<string, number> | undefined>(
        'a refused write after a poll',
        async () => {
          const s = await scrape(ex.url);
          return (metric(s, 'docker_engine_exporter_state_file_errors_total', { operation: 'write' }) ?? 0) >= 1 ? s : undefined;
        },
        15_000,
        200,
      )) as Map<string, number>;
      assert.equal(metric(m, 'docker_engine_exporter_state_file_errors_total', { operation: 'read' }), 1);
      const ignored = ex.jsonLogs().find((l) => l.msg === 'state file ignored: starting without restart memory');
      assert.match(String(ignored?.err), /refused: it is a symlink$/);
      assert.equal(ex.jsonLogs().filter((l) => l.msg === 'state file not written').length, 1, 'one line, not one per write');
    } finally {
      await ex.stop();
    }
    assert.equal(readFileSync(victim, 'utf8'), VICTIM_TEXT);
    assert.ok(lstatSync(path).isSymbolicLink());
  });
});

/** Sets `value` at `path` (object keys) inside `root`, as `root.a.b = value` would. */
function setAt(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at = root;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[path.at(-1) ?? ''] = value;
}
