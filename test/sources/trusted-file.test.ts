/**
 * The careful reader of files other processes name (trusted-file.ts), on real files of each kind an
 * attacker can point a containerd --config or a pidfile at. Each refusal must come back at once: a
 * blocking open of the FIFO would hang this test (the runner's timeout fails it), a read of /dev/zero
 * would never end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadRefused, readTrustedFile, TRUSTED_FILE_MAX_BYTES } from '../../src/sources/procfs/trusted-file.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'dee-trusted-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function refusedAs(fn: () => unknown, why: ReadRefused['why']): void {
  assert.throws(fn, (err: unknown) => err instanceof ReadRefused && err.why === why && !err.message.includes('\n'));
}

const CONFIG = 'version = 2\n[grpc]\n  address = "/run/containerd/containerd.sock"\n';

test('a good config file of the reading user (root on the engine) is read', () => {
  withDir((dir) => {
    const path = join(dir, 'containerd.toml');
    writeFileSync(path, CONFIG);
    assert.equal(readTrustedFile(path, { owners: [process.getuid?.() ?? 0] }), CONFIG);
  });
});

test('a missing file is null, not an error', () => {
  withDir((dir) => assert.equal(readTrustedFile(join(dir, 'absent'), { owners: [] }), null));
});

test('a FIFO is refused at once, without waiting for a writer', () => {
  withDir((dir) => {
    const path = join(dir, 'fifo');
    assert.equal(spawnSync('mkfifo', [path]).status, 0, 'mkfifo');
    refusedAs(() => readTrustedFile(path, { owners: [process.getuid?.() ?? 0] }), 'type');
  });
});

test('/dev/zero and /dev/null are refused: not regular files', () => {
  refusedAs(() => readTrustedFile('/dev/zero', { owners: [] }), 'type');
  refusedAs(() => readTrustedFile('/dev/null', { owners: [] }), 'type');
});

test('a symlink is refused, even to a readable root file', () => {
  withDir((dir) => {
    const path = join(dir, 'link');
    symlinkSync('/etc/passwd', path);
    refusedAs(() => readTrustedFile(path, { owners: [0] }), 'symlink');
    const shadow = join(dir, 'shadow');
    symlinkSync('/etc/shadow', shadow);
    refusedAs(() => readTrustedFile(shadow, { owners: [0] }), 'symlink');
  });
});

test('a 1 GB sparse file is refused by its size without being read', () => {
  withDir((dir) => {
    const path = join(dir, 'huge.toml');
    const fd = openSync(path, 'w');
    ftruncateSync(fd, 1024 * 1024 * 1024);
    closeSync(fd);
    const before = process.memoryUsage().rss;
    refusedAs(() => readTrustedFile(path, { owners: [process.getuid?.() ?? 0] }), 'size');
    assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, 'no buffer of the file size was allocated');
  });
});

test('a file one byte over the limit is refused; one at the limit is read', () => {
  withDir((dir) => {
    const over = join(dir, 'over');
    writeFileSync(over, Buffer.alloc(TRUSTED_FILE_MAX_BYTES + 1, 0x61));
    refusedAs(() => readTrustedFile(over, { owners: [process.getuid?.() ?? 0] }), 'size');
    const at = join(dir, 'at');
    writeFileSync(at, Buffer.alloc(TRUSTED_FILE_MAX_BYTES, 0x61));
    assert.equal(readTrustedFile(at, { owners: [process.getuid?.() ?? 0] })?.length, TRUSTED_FILE_MAX_BYTES);
  });
});

test('a file owned by nobody is refused unless nobody is the daemon', { skip: isRoot ? false : 'chown needs root' }, () => {
  withDir((dir) => {
    const path = join(dir, 'containerd.toml');
    writeFileSync(path, CONFIG);
    chownSync(path, NOBODY, NOBODY);
    refusedAs(() => readTrustedFile(path, { owners: [] }), 'owner');
    refusedAs(() => readTrustedFile(path, { owners: [1000] }), 'owner');
    assert.equal(readTrustedFile(path, { owners: [NOBODY] }), CONFIG);
  });
});

test('a directory is refused', () => {
  withDir((dir) => refusedAs(() => readTrustedFile(dir, { owners: [process.getuid?.() ?? 0] }), 'type'));
});
