/**
 * Property tests of the HTTP/1.1 answer reader (src/sources/docker/http1-answer.ts): any bytes give an
 * answer, "incomplete" or an error and never throw; an answer never claims more bytes than it was
 * given; and a well-formed answer reads the same whole as it does fed in pieces, however it is split.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as fc from 'fast-check';
import { readHttp1Answer } from '../../src/sources/docker/http1-answer.js';
import { params } from '../support/property.js';

const MAX = 4096;

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
const headerValue = fc.stringMatching(/^[ -~]{0,30}$/).map((v) => v.trim());
const body = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b));

/** A well-formed answer: some headers, then a body framed by Content-Length or chunked. */
const wellFormed = fc
  .record({
    status: fc.integer({ min: 200, max: 599 }).filter((s) => s !== 204 && s !== 304),
    headers: fc.array(fc.tuple(token, headerValue), { maxLength: 6 }),
    body,
    chunked: fc.boolean(),
    chunkSize: fc.integer({ min: 1, max: 64 }),
  })
  .map(({ status, headers, body, chunked, chunkSize }) => {
    const kept = headers.filter(([n]) => !['content-length', 'transfer-encoding', 'connection'].includes(n.toLowerCase()));
    const head = [`HTTP/1.1 ${status} X`, ...kept.map(([n, v]) => `${n}: ${v}`)];
    let framed: Buffer;
    if (chunked) {
      head.push('Transfer-Encoding: chunked');
      const parts: Buffer[] = [];
      for (let i = 0; i < body.length; i += chunkSize) {
        const c = body.subarray(i, i + chunkSize);
        parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
      }
      framed = Buffer.concat([...parts, Buffer.from('0\r\n\r\n')]);
    } else {
      head.push(`Content-Length: ${body.length}`);
      framed = body;
    }
    return { status, body, bytes: Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), framed]) };
  });

describe('readHttp1Answer, properties', () => {
  it('never throws on any bytes, ended or not, and never consumes more than it was given', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
      fc
        .array(
          fc.constantFrom(
            'HTTP/1.1 200 OK\r\n',
            'Content-Length: 3\r\n',
            'Transfer-Encoding: chunked\r\n',
            '\r\n',
            '5\r\n',
            'abc',
            '0\r\n',
            ': \r\n',
            'HTTP/1.1 100 Continue\r\n\r\n',
          ),
          { maxLength: 20 },
        )
        .map((p) => Buffer.from(p.join(''), 'latin1')),
    );
    fc.assert(
      fc.property(bytes, fc.boolean(), (buf, ended) => {
        const a = readHttp1Answer(buf, ended, MAX);
        if (a.kind === 'done') assert.ok(a.consumed <= buf.length && a.body.length <= buf.length);
      }),
      params(2000),
    );
  });

  it('reads a well-formed answer the same at any split: incomplete before it is whole, done after', () => {
    fc.assert(
      fc.property(wellFormed, fc.nat(), ({ status, body: expected, bytes }, cut) => {
        const at = cut % bytes.length;
        assert.deepEqual(readHttp1Answer(bytes.subarray(0, at), false, MAX), { kind: 'incomplete' });
        const a = readHttp1Answer(bytes, false, MAX);
        assert.ok(a.kind === 'done', JSON.stringify(a));
        assert.equal(a.status, status);
        assert.deepEqual(a.body, expected);
        assert.equal(a.consumed, bytes.length);
        assert.equal(a.reusable, true);
      }),
      params(500),
    );
  });
});
