/**
 * statfs of the engine's places, beside the scan (src/sources/procfs/storage-statfs.ts): figures
 * against `df`, a missing place, the mount table lookup, and a filesystem that never answers.
 *
 * The hung filesystem is real: test/engine/fixtures/silent-fuse.c mounts a FUSE filesystem through
 * /dev/fuse and never reads a request, so a statfs of it waits in the kernel (state D) exactly as
 * one of a dead NFS server does, until the FUSE process exits and the kernel aborts the connection.
 * That needs root and /dev/fuse: without them the case is skipped, except under CI=true, where it fails.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createProcfsSource } from '../../src/sources/procfs/procfs-source.js';
import { createStorageStatfs, mountOf, mountPoints } from '../../src/sources/procfs/storage-statfs.js';
import { compileFixture } from '../support/c-fixture.js';
import { waitFor } from '../support/engine-rig.js';
import { fuseUnavailable, threadsHeldInD, threadsInD } from '../support/fuse.js';

const dirs: string[] = [];
const servers: ChildProcess[] = [];
const mounts: string[] = [];
after(() => {
  // The FUSE server first: its exit returns every statfs still waiting on it (this process could not end otherwise).
  for (const s of servers) s.kill('SIGKILL');
  for (const m of mounts) unmount(m);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function unmount(path: string): void {
  try {
    execFileSync('umount', ['-l', path], { stdio: 'ignore' });
  } catch {
    /* not mounted */
  }
}

describe('statfs of the engine places', () => {
  it("matches df's figures", async () => {
    const got = await createStorageStatfs('/', 1000).read([{ volume: 'data_root', path: '/tmp' }]);
    const [size, avail, inodes] = (
      execFileSync('df', ['-B1', '--output=size,avail,itotal', '/tmp'], { encoding: 'utf8' }).trim().split('\n')[1] ?? ''
    )
      .trim()
      .split(/\s+/)
      .map(Number);
    const s = got.storage[0];
    assert.ok(s && size !== undefined && avail !== undefined && inodes !== undefined);
    assert.equal(s.volume, 'data_root');
    assert.equal(s.sizeBytes, size);
    assert.ok(Math.abs(s.availBytes - avail) <= 0.05 * avail, `${s.availBytes} vs df ${avail}`);
    assert.equal(s.inodes, inodes);
    assert.deepEqual(got.errors, []);
  });

  it('a place that is not there is a counted read error, not a figure; the others are still read', async () => {
    const got = await createStorageStatfs('/', 1000).read([
      { volume: 'exec_root', path: '/nonexistent/exec' },
      { volume: 'data_root', path: '/tmp' },
    ]);
    assert.deepEqual(
      got.storage.map((s) => s.volume),
      ['data_root'],
    );
    assert.equal(got.errors.length, 1);
    assert.equal(got.errors[0]?.file, 'statfs');
    assert.match(got.errors[0]?.message ?? '', /ENOENT/);
  });

  it('reads each place under --path.rootfs', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dee-statfs-'));
    dirs.push(root);
    mkdirSync(join(root, 'var', 'lib', 'docker'), { recursive: true });
    const got = await createStorageStatfs(`${root}/`, 1000).read([
      { volume: 'data_root', path: '/var/lib/docker' },
      { volume: 'exec_root', path: '/var/run/docker' },
    ]);
    assert.deepEqual(
      got.storage.map((s) => s.volume),
      ['data_root'],
    );
    assert.match(got.errors[0]?.message ?? '', /ENOENT/);
  });

  it('finds the mount a path is on by name, with the kernel escapes undone', () => {
    const table = [
      '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
      '30 22 0:25 / /run rw,nosuid shared:5 - tmpfs tmpfs rw',
      '31 22 0:26 / /var/lib rw shared:6 - nfs srv:/export rw',
      '32 22 0:27 / /mnt/with\\040space rw shared:7 - ext4 /dev/sdb1 rw',
      '',
    ].join('\n');
    const mounts = mountPoints(table);
    assert.deepEqual(mounts, ['/', '/run', '/var/lib', '/mnt/with space']);
    assert.equal(mountOf('/var/lib/docker', mounts), '/var/lib');
    assert.equal(mountOf('/var/lib', mounts), '/var/lib');
    assert.equal(mountOf('/var/lib2/docker', mounts), '/');
    assert.equal(mountOf('/run/containerd', mounts), '/run');
    assert.equal(mountOf('/mnt/with space/x', mounts), '/mnt/with space');
    assert.equal(mountOf('/etc', mounts), '/');
  });
});

describe('a filesystem whose statfs never returns', { skip: fuseUnavailable() }, () => {
  it('blocks one pool thread, not the scan, not one per read, and is read again once it answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dee-hung-statfs-'));
    dirs.push(dir);
    const fuse = await compileFixture('silent-fuse', join(dir, 'silent-fuse'));
    const hung = join(dir, 'hung');
    mkdirSync(hung);
    const server = spawn(fuse, [hung], { stdio: ['ignore', 'pipe', 'inherit'] });
    servers.push(server);
    mounts.push(hung);
    await waitFor('the FUSE mount', () => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${hung} `), 10_000);
    assert.equal(await threadsHeldInD('self'), 0);

    const source = createProcfsSource({ procfsPath: '/proc', pidfilePath: null, rootfsPath: '/', statfsTimeoutMs: 300 });
    try {
      // data_root and containerd_root on the hung mount, exec_root elsewhere (this test's own directory).
      const request = {
        processes: [],
        storage: [
          { volume: 'data_root' as const, path: hung },
          { volume: 'containerd_root' as const, path: `${hung}/containerd` },
          { volume: 'exec_root' as const, path: dir },
        ],
      };
      for (let round = 1; round <= 4; round++) {
        const got = await source.readHeadroom(request);
        assert.deepEqual(
          got.storage.map((s) => s.volume),
          ['exec_root'],
          `round ${round}: only the place on a filesystem that answers has figures`,
        );
        const messages = got.errors.filter((e) => e.file === 'statfs').map((e) => e.message);
        assert.equal(messages.length, 2, `round ${round}: ${messages.join(' | ')}`);
        for (const m of messages) assert.match(m, /blocked in the kernel since/);
        // The scan goes on while the statfs waits: it is not in the scan's thread.
        const snapshot = await source.scan();
        assert.ok(snapshot.processes.length > 0 || snapshot.scannedPids > 0, `round ${round}: the scan saw the host`);
        assert.equal(await threadsHeldInD('self'), 1, `round ${round}: one thread waits on the mount, whatever the rounds and volumes`);
        assert.equal(source.threadBlocked?.(), true, 'a blocked statfs keeps the process from exit(0)');
      }

      server.kill('SIGKILL'); // the kernel aborts the connection: the waiting statfs fails with ENOTCONN
      await waitFor('the statfs to return', () => source.threadBlocked?.() === false && threadsInD('self') === 0, 10_000);
      unmount(hung);
      const after = await source.readHeadroom(request);
      assert.deepEqual(
        after.storage.map((s) => s.volume),
        ['data_root', 'exec_root'],
        'the mount point is read again (containerd_root does not exist under it)',
      );
    } finally {
      await source.close();
    }
  });
});
