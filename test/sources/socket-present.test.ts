/**
 * assertSocketPresent on a real listening unix socket, a regular file, a missing path and a renamed
 * socket; and with what the scan thread saw (socketFileStateSync), which it then trusts over the path.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertSocketPresent, socketFileStateSync } from '../../src/sources/socket-present.js';

describe('assertSocketPresent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'socket-present-'));
  const path = join(dir, 'daemon.sock');
  let server: Server;
  before(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes for a listening unix socket', async () => {
    await assertSocketPresent(path);
  });

  it('fails for a socket renamed away, and passes again once it is back', async () => {
    renameSync(path, `${path}.away`);
    try {
      await assert.rejects(assertSocketPresent(path), /daemon\.sock: no such file \(removed or renamed\?\)$/);
    } finally {
      renameSync(`${path}.away`, path);
    }
    await assertSocketPresent(path);
  });

  it('fails for a regular file in its place', async () => {
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, '');
    await assert.rejects(assertSocketPresent(file), /not-a-socket is not a socket$/);
  });

  it('fails with the errno for a path it cannot look at', async () => {
    await assert.rejects(assertSocketPresent(join(dir, 'not-a-socket', 'below-a-file')), /: ENOTDIR$/);
  });

  it('reads the same states synchronously, as the scan thread does', () => {
    assert.deepEqual(socketFileStateSync(path), { kind: 'socket' });
    assert.deepEqual(socketFileStateSync(join(dir, 'missing.sock')), { kind: 'error', code: 'ENOENT' });
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    assert.deepEqual(socketFileStateSync(file), { kind: 'not-socket' });
  });

  it('judges by what the scan saw when given it, without looking again', async () => {
    // The scan saw the socket gone a moment ago: that is the answer, though the path is there now.
    await assert.rejects(assertSocketPresent(path, { kind: 'error', code: 'ENOENT' }), /daemon\.sock: no such file \(removed or renamed\?\)$/);
    await assert.rejects(assertSocketPresent(path, { kind: 'not-socket' }), /daemon\.sock is not a socket$/);
    await assert.rejects(assertSocketPresent(path, { kind: 'error', code: 'EACCES' }), /daemon\.sock: EACCES$/);
    // And it saw a socket where there is none now: no stat is made, so the check passes.
    await assertSocketPresent(join(dir, 'missing.sock'), { kind: 'socket' });
  });
});
