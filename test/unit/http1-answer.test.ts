/**
 * The HTTP/1.1 answer reader behind the per-poll /_ping (src/sources/docker/http1-answer.ts): the
 * answers real servers send (dockerd's, byte for byte as Go's net/http frames it; Node's), each body
 * framing, and hostile bytes as errors. Arbitrary bytes and arbitrary splits: test/property/http1-answer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readHttp1Answer } from '../../src/sources/docker/http1-answer.js';

const MAX = 16 * 1024;
const read = (text: string, ended = false) => readHttp1Answer(Buffer.from(text, 'latin1'), ended, MAX);

// What dockerd 20.10–26 answers to GET /_ping (Go net/http: the handler's "OK" gets a Content-Length).
const DOCKERD_PING =
  'HTTP/1.1 200 OK\r\nApi-Version: 1.43\r\nBuilder-Version: 2\r\nCache-Control: no-cache, no-store, must-revalidate\r\n' +
  'Content-Length: 2\r\nContent-Type: text/plain; charset=utf-8\r\nDocker-Experimental: false\r\nOstype: linux\r\n' +
  'Pragma: no-cache\r\nServer: Docker/24.0.7 (linux)\r\nDate: Wed, 02 Dec 2026 07:00:00 GMT\r\n\r\nOK';

describe('readHttp1Answer', () => {
  it("reads dockerd's /_ping answer whole, and says the connection may carry another", () => {
    const a = read(DOCKERD_PING);
    assert.equal(a.kind, 'done');
    if (a.kind !== 'done') return;
    assert.equal(a.status, 200);
    assert.equal(a.body.toString(), 'OK');
    assert.equal(a.consumed, Buffer.byteLength(DOCKERD_PING, 'latin1'));
    assert.equal(a.reusable, true);
  });

  it('is incomplete at every shorter prefix, and an error at each prefix once the peer has closed', () => {
    for (let n = 0; n < DOCKERD_PING.length; n++) {
      assert.deepEqual(read(DOCKERD_PING.slice(0, n)), { kind: 'incomplete' }, `prefix of ${n} bytes`);
      assert.equal(read(DOCKERD_PING.slice(0, n), true).kind, 'error', `prefix of ${n} bytes, then the close`);
    }
  });

  it('reads a chunked body, with extensions and trailers', () => {
    const a = read('HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\nOK\r\n3\r\n!!!\r\n0\r\nX-T: 1\r\n\r\n');
    assert.equal(a.kind, 'done');
    if (a.kind !== 'done') return;
    assert.equal(a.status, 503);
    assert.equal(a.body.toString(), 'OK!!!');
    assert.equal(a.reusable, true);
  });

  it('reads a body framed by the close, and then only', () => {
    const text = 'HTTP/1.0 200 OK\r\nServer: x\r\n\r\nOK';
    assert.deepEqual(read(text), { kind: 'incomplete' });
    const a = read(text, true);
    assert.equal(a.kind, 'done');
    if (a.kind === 'done') assert.deepEqual([a.body.toString(), a.reusable], ['OK', false]);
  });

  it('honours Connection: close and HTTP/1.0 keep-alive', () => {
    const close = read('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    assert.ok(close.kind === 'done' && !close.reusable);
    const keep = read('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n');
    assert.ok(keep.kind === 'done' && keep.reusable);
  });

  it('skips an interim 1xx answer and has no body for 204', () => {
    const text = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n';
    const a = read(text);
    assert.ok(a.kind === 'done');
    if (a.kind === 'done') assert.deepEqual([a.status, a.body.length, a.consumed], [204, 0, text.length]);
  });

  it('counts the bytes it took, so the caller sees bytes that were not asked for', () => {
    const a = read(`${DOCKERD_PING}HTTP/1.1 200 OK\r\n`);
    assert.ok(a.kind === 'done' && a.consumed === Buffer.byteLength(DOCKERD_PING, 'latin1'));
  });

  for (const [what, text] of [
    ['not HTTP', 'SSH-2.0-OpenSSH_9.2\r\n\r\n'],
    ['HTTP/2', 'HTTP/2 200\r\n\r\n'],
    ['a status of two digits', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['a header without a colon', 'HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nOK'],
    ['a header name with a space', 'HTTP/1.1 200 OK\r\nContent Length: 2\r\n\r\nOK'],
    ['a negative Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nOK!'],
    ['a Content-Length beyond the cap', 'HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n'],
    ['gzip transfer coding', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'],
    ['chunked and Content-Length', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n0\r\n\r\n'],
    ['a chunk size that is not hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['a chunk without its CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nOKX\r\n'],
  ] as const) {
    it(`an error for ${what}`, () => assert.equal(read(text).kind, 'error'));
  }

  it('an error, not a wait, for headers that never end within the cap', () => {
    const a = readHttp1Answer(Buffer.alloc(MAX + 1, 'a'), false, MAX);
    assert.equal(a.kind, 'error');
  });
});
