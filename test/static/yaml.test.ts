/**
 * What the static tests rely on from their YAML reader (test/support-static/yaml.ts) beyond the `yaml`
 * package's defaults: nothing is read past an error, a warning or a duplicate key.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseYaml, parseYamlDocuments } from '../support-static/yaml.js';

describe('YAML reader of the static tests', () => {
  for (const [what, text] of [
    ['a duplicate key', 'a: 1\nb:\n  c: 2\n  c: 3\n'],
    ['two documents where one is expected', 'a: 1\n---\nb: 2\n'],
    ['a tab in the indentation', 'a:\n\tb: 1\n'],
    ['an unterminated quoted scalar', 'a: "one\n'],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseYaml(text), /^Error: YAML: /);
    });
  }

  it('reads every document of a stream, without those of only comments', () => {
    assert.deepEqual(parseYamlDocuments('# head\n---\na: 1\n---\n# nothing\n---\nb: [x, {c: 2}]\n'), [{ a: 1 }, { b: ['x', { c: 2 }] }]);
    assert.throws(() => parseYamlDocuments('a: 1\n---\na: 1\na: 2\n'), /unique/);
  });
});
