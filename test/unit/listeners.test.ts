/** The parsers attribution's socket evidence rests on: net/unix listeners, containerd's gRPC socket, status uid. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grpcAddressAmong, parseStatusUid, parseUnixListeners, socketInode } from '../../src/sources/procfs/parse-proc.js';

const HEADER = 'Num       RefCount Protocol Flags    Type St Inode Path\n';

test('net/unix: only listening, path-named entries of the wanted inodes', () => {
  const text =
    HEADER +
    '0000000000000000: 00000002 00000000 00010000 0001 01 20 /run/a.sock\n' +
    '0000000000000000: 00000002 00000000 00010000 0001 01 21 /run/with space.sock\n' +
    '0000000000000000: 00000003 00000000 00000000 0001 03 22 /run/connected.sock\n' +
    '0000000000000000: 00000002 00000000 00010000 0001 01 23 @abstract\n' +
    '0000000000000000: 00000002 00000000 00010000 0001 01 24\n' +
    '0000000000000000: 00000002 00000000 00010000 0001 01 25 /run/not-ours.sock\n';
  assert.deepEqual(
    [...parseUnixListeners(text, new Set([20, 21, 22, 23, 24])).entries()],
    [
      [20, '/run/a.sock'],
      [21, '/run/with space.sock'],
    ],
  );
});

test('net/unix: an inode on two lines (a forged line from a path with a newline) is dropped', () => {
  const text =
    HEADER +
    '0000000000000000: 00000002 00000000 00010000 0001 01 20 /run/x\n0000000000000000: 00000002 00000000 00010000 0001 01 20 /run/a.sock\n';
  assert.equal(parseUnixListeners(text, new Set([20])).size, 0);
});

test("containerd's gRPC socket is the one with a .ttrpc twin", () => {
  assert.equal(grpcAddressAmong(['/run/c/containerd.sock', '/run/c/containerd.sock.ttrpc']), '/run/c/containerd.sock');
  assert.equal(grpcAddressAmong(['/run/c/debug.sock', '/run/c/containerd.sock', '/run/c/containerd.sock.ttrpc']), '/run/c/containerd.sock');
  assert.equal(grpcAddressAmong(['/run/c/containerd.sock']), '/run/c/containerd.sock');
  assert.equal(grpcAddressAmong(['/run/a.sock', '/run/b.sock']), null, 'two candidates: not guessed');
  assert.equal(grpcAddressAmong([]), null);
});

test('status uid and socket fd links', () => {
  assert.equal(parseStatusUid('Name:\tx\nUid:\t65534\t0\t0\t0\nGid:\t0\n'), 65534);
  assert.equal(parseStatusUid('Name:\tx\n'), null);
  assert.equal(socketInode('socket:[4242]'), 4242);
  assert.equal(socketInode('pipe:[4242]'), null);
  assert.equal(socketInode('/tmp/socket:[1]'), null);
});
