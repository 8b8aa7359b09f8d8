/** The one sanitizer of untrusted text (src/one-line.ts) and the outputs that go through it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { isOneLine, oneLine, type UnsafeShownAs } from '../../src/one-line.js';
import { jsonLineToLogfmt } from '../../src/log/logger.js';
import { WebConfigError } from '../../src/http/web-config.js';
import { params } from '../support/property.js';

// ESC [2J (clear screen), a C1 CSI (0x9b: the same in one byte on 8-bit terminals), NEL, BEL, U+2028.
const HOSTILE = 'a\u001b[2Jb\u009b31mc\u0085d\u0007e\u2028f\r\ng\th';

test('escaped: each unsafe character by its escape, the rest as it was', () => {
  assert.equal(oneLine(HOSTILE), 'a\\u001b[2Jb\\u009b31mc\\u0085d\\u0007e\\u2028f\\r\\ng\\th');
  assert.equal(oneLine('plain text, ünïcode, emoji 🐳'), 'plain text, ünïcode, emoji 🐳');
});

test("question-mark: one '?' per unsafe character, so columns stay where they were", () => {
  assert.equal(oneLine(HOSTILE, 'question-mark'), 'a?[2Jb?31mc?d?e?f??g?h');
});

test('space: a run of unsafe characters and the whitespace around it is one space; ends trimmed', () => {
  assert.equal(oneLine('bad YAML at line 2:\n\n  key: *x\n     ^^\n', 'space'), 'bad YAML at line 2: key: *x ^^');
  assert.equal(oneLine(HOSTILE, 'space'), 'a [2Jb 31mc d e f g h');
});

test('isOneLine says whether oneLine would change anything', () => {
  assert.equal(isOneLine('dockerd 26.1.5 (ünïcode)'), true);
  for (const c of ['\n', '\u001b', '\u007f', '\u009b', '\u2028', '\u2029', '\u0000'])
    assert.equal(isOneLine(`x${c}y`), false, JSON.stringify(c));
});

test('property: any text comes out as one line without a control character, in every form', () => {
  const unsafe = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
  const forms: UnsafeShownAs[] = ['escaped', 'question-mark', 'space'];
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom(...forms), (text, form) => {
      const out = oneLine(text, form);
      assert.ok(!unsafe.test(out), `${form}: ${JSON.stringify(out)}`);
      assert.ok(isOneLine(out));
      if (isOneLine(text) && form !== 'space') assert.equal(out, text, 'safe text is left alone');
    }),
    params(2000),
  );
});

test("the web config's errors: the C1 controls are gone too, not only C0", () => {
  const message = new WebConfigError(`basic_auth_users: user "${HOSTILE}" is not valid`).message;
  assert.ok(isOneLine(message), JSON.stringify(message));
  assert.equal(message, 'basic_auth_users: user "a [2Jb 31mc d e f g h" is not valid');
});

test('logfmt quotes a value with unsafe characters and escapes every one of them', () => {
  const out = jsonLineToLogfmt(JSON.stringify({ level: 'warn', msg: 'm', v: HOSTILE }) + '\n');
  assert.equal(out, 'level=warn msg=m v="a\\u001b[2Jb\\u009b31mc\\u0085d\\u0007e\\u2028f\\r\\ng\\th"\n');
});
