import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseYaml, YamlSubsetError } from '../support-static/yaml.js';

describe('YAML subset reader', () => {
  it('reads nested mappings and sequences, including a sequence at its key\'s indent', () => {
    const doc = parseYaml(
      [
        'a: 1',
        'b:',
        '  c: two',
        '  d:',
        '  - x',
        '  - y: 3',
        '    z: [1, "two", {k: v}]',
        'e:',
        '  - - nested',
        '    - seq',
        'f: {}',
        'g: []',
        'h:',
      ].join('\n'),
    );
    assert.deepEqual(doc, {
      a: 1,
      b: { c: 'two', d: ['x', { y: 3, z: [1, 'two', { k: 'v' }] }] },
      e: [['nested', 'seq']],
      f: {},
      g: [],
      h: null,
    });
  });

  it('reads scalars: quoted, plain, numbers, booleans, null', () => {
    const doc = parseYaml(
      [
        `a: 'it''s # not a comment'`,
        'b: "tab\\there \\"q\\" \\u00e9"',
        'c: plain text: with colon-free tail  # comment',
        'd: 9733',
        'e: -1.5e3',
        'f: true',
        'g: ~',
        'h: 127.0.0.1:9733:9733',
        'i: 1x3 0x8',
        'j: "#not-comment"',
      ].join('\n'),
    );
    assert.deepEqual(doc, {
      a: "it's # not a comment",
      b: 'tab\there "q" é',
      c: 'plain text: with colon-free tail',
      d: 9733,
      e: -1500,
      f: true,
      g: null,
      h: '127.0.0.1:9733:9733',
      i: '1x3 0x8',
      j: '#not-comment',
    });
  });

  it('reads literal and folded block scalars with each chomping indicator', () => {
    const doc = parseYaml(
      [
        'keep: |',
        '  line one',
        '    indented # not a comment',
        '',
        '  line three',
        'strip: |-',
        '  a',
        '  b',
        '',
        'folded: >',
        '  one',
        '  two',
        '',
        '  three',
        'after: x',
      ].join('\n'),
    );
    assert.deepEqual(doc, {
      keep: 'line one\n  indented # not a comment\n\nline three\n',
      strip: 'a\nb',
      folded: 'one two\nthree\n',
      after: 'x',
    });
  });

  it('skips comments and a leading document marker', () => {
    assert.deepEqual(parseYaml('# head\n---\n# c\nk: v # tail\n  # indented comment\nl: w\n'), { k: 'v', l: 'w' });
  });

  for (const [what, text] of [
    ['an alias', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a multi-line quoted scalar', 'a: "one\n  two"\n'],
    ['a multi-line flow sequence', 'a: [1,\n  2]\n'],
    ['two documents', 'a: 1\n---\nb: 2\n'],
    ['a tab in the indentation', 'a:\n\tb: 1\n'],
    ['bad indentation', 'a: 1\n   b: 2\n'],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseYaml(text), YamlSubsetError);
    });
  }
});
