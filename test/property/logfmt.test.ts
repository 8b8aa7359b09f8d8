/**
 * Property tests of the logfmt encoder (src/log/logger.ts, jsonLineToLogfmt) and of the logger built
 * on it: every record pino writes becomes exactly one line, and a logfmt reader gets every value back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as fc from 'fast-check';
import { createLogger, jsonLineToLogfmt } from '../../src/log/logger.js';
import { anyString, params } from '../support/property.js';

/**
 * A logfmt reader as go-logfmt reads a line: `key=value` pairs separated by spaces, a value bare (up to
 * the next space) or a double-quoted string with JSON escapes. Returns null when the line is not logfmt.
 */
function readLogfmt(line: string): [string, string][] | null {
  if (!line.endsWith('\n')) return null;
  const body = line.slice(0, -1);
  const out: [string, string][] = [];
  let i = 0;
  while (i < body.length) {
    const eq = body.indexOf('=', i);
    if (eq <= i) return null;
    const key = body.slice(i, eq);
    if (/[\s="]/.test(key)) return null;
    let j = eq + 1;
    let value: string;
    if (body[j] === '"') {
      let k = j + 1;
      while (k < body.length && body[k] !== '"') k += body[k] === '\\' ? 2 : 1;
      if (k >= body.length) return null;
      try {
        value = JSON.parse(body.slice(j, k + 1)) as string;
      } catch {
        return null;
      }
      j = k + 1;
    } else {
      const sp = body.indexOf(' ', j);
      const end = sp < 0 ? body.length : sp;
      value = body.slice(j, end);
      j = end;
    }
    out.push([key, value]);
    if (j < body.length && body[j] !== ' ') return null;
    i = j + 1;
  }
  return out;
}

/** What the encoder promises for a value: strings as they are, objects as JSON, null as empty. */
function expectedText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`not a JSON value: ${typeof v}`);
}

/** Keys as this code base writes them (identifiers), apart from the three the encoder moves first. */
const identifierKey = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/).filter((k) => !['time', 'level', 'msg', 'ts'].includes(k));
const value = fc.oneof(
  anyString(60),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('', ' ', '"', '=', '\\', '\n', '\r\n', '\u2028', 'a b', 'x=y'),
);

const pinoRecord = fc.record({
  level: fc.constantFrom('debug', 'info', 'warn', 'error'),
  time: fc.date({ min: new Date(0), max: new Date(4_102_444_800_000), noInvalidDate: true }).map((d) => d.toISOString()),
  msg: anyString(80),
  fields: fc.dictionary(identifierKey, value, { maxKeys: 6 }),
});

describe('jsonLineToLogfmt', () => {
  it('a pino line becomes one logfmt line from which every value reads back', () => {
    fc.assert(
      fc.property(pinoRecord, (r) => {
        const line = JSON.stringify({ level: r.level, time: r.time, msg: r.msg, ...r.fields }) + '\n';
        const out = jsonLineToLogfmt(line);
        assert.equal(out.indexOf('\n'), out.length - 1, `one line: ${JSON.stringify(out)}`);
        assert.ok(!out.includes('\r'), `no carriage return: ${JSON.stringify(out)}`);
        const pairs = readLogfmt(out);
        assert.ok(pairs, `not logfmt: ${JSON.stringify(out)}`);
        assert.deepEqual(pairs, [
          ['ts', r.time],
          ['level', r.level],
          ['msg', r.msg],
          ...Object.entries(r.fields).map(([k, v]): [string, string] => [k, expectedText(v)]),
        ]);
      }),
      params(2000),
    );
  });

  it('any key still gives one line of logfmt', () => {
    // Keys are not quoted: a key holding a newline, a space, "=" or '"' breaks the line or the pairs.
    fc.assert(
      fc.property(fc.dictionary(anyString(10), value, { minKeys: 1, maxKeys: 4 }), (fields) => {
        const out = jsonLineToLogfmt(JSON.stringify({ level: 'info', msg: 'm', ...fields }) + '\n');
        assert.equal(out.indexOf('\n'), out.length - 1, `one line: ${JSON.stringify(out)}`);
        assert.ok(readLogfmt(out), `not logfmt: ${JSON.stringify(out)}`);
      }),
      params(1000),
    );
  });

  it('no value reaches the terminal raw: control characters are quoted and escaped', () => {
    // go-logfmt quotes any rune below 0x20 (and DEL is a control character too); a bare ESC or NUL in a
    // log line is a terminal escape sequence or a truncated line in some viewers.
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ' ', '\x1b', '\x00', '\x07', '\x7f', '\x9b', 'é'), maxLength: 10 }), (s) => {
        const out = jsonLineToLogfmt(JSON.stringify({ level: 'info', msg: 'm', v: s }) + '\n');
        assert.ok(!/[\x00-\x09\x0b-\x1f\x7f]/.test(out), `raw control character in ${JSON.stringify(out)}`);
      }),
      params(500),
    );
  });

  it('any string in, a string out: never a throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyString(),
          fc.json({ maxDepth: 3 }).map((j) => j + '\n'),
        ),
        (line) => {
          assert.equal(typeof jsonLineToLogfmt(line), 'string');
        },
      ),
      params(2000),
    );
  });
});

describe('createLogger (logfmt)', () => {
  it('every call writes exactly one logfmt line, whatever the message and fields', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'debug' | 'info' | 'warn' | 'error'>('debug', 'info', 'warn', 'error'),
        anyString(80),
        fc.dictionary(identifierKey, value, { maxKeys: 5 }),
        fc.boolean(),
        (level, msg, fields, withError) => {
          const writes: string[] = [];
          const logger = createLogger('debug', 'logfmt', (l) => writes.push(l));
          logger[level](withError ? { ...fields, err: new Error(`boom\n${msg}`) } : fields, msg);
          assert.equal(writes.length, 1);
          const out = writes[0] as string;
          assert.equal(out.indexOf('\n'), out.length - 1, `one line: ${JSON.stringify(out)}`);
          const pairs = readLogfmt(out);
          assert.ok(pairs, `not logfmt: ${JSON.stringify(out)}`);
          assert.deepEqual(
            pairs.find(([k]) => k === 'msg'),
            ['msg', msg],
          );
        },
      ),
      params(1000),
    );
  });
});
