/**
 * The README's quick start stays true: its test command installs every Debian package .ci/run
 * installs (CI runs exactly what an operator is told to run; a package only CI knows about would make
 * suites skip on a fresh machine that followed the README), and both end in `npm test`. Its run
 * command builds and starts dist/main.js, the package's bin.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { repoPath } from '../support-static/repo.js';

/** Package names of every `apt-get install` in a shell text, flags and line continuations dropped. */
function aptPackages(shell: string): Set<string> {
  const joined = shell.replace(/\\\n/g, ' ');
  const out = new Set<string>();
  for (const m of joined.matchAll(/apt-get install([^\n&;|]*)/g)) {
    for (const word of (m[1] ?? '').trim().split(/\s+/)) if (word !== '' && !word.startsWith('-')) out.add(word);
  }
  return out;
}

function quickStartBlock(): string {
  const readme = readFileSync(repoPath('README.md'), 'utf8');
  const start = readme.indexOf('## Quick start');
  assert.ok(start >= 0, 'README.md has no "## Quick start" section');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(start));
  assert.ok(block?.[1] !== undefined, 'the quick start has no sh block');
  return block[1];
}

describe('README quick start', () => {
  it('parses apt-get install lines (the helper itself)', () => {
    assert.deepEqual([...aptPackages('apt-get install -y -q --no-install-recommends \\\n  a b \\\n  c\nnpm ci')], ['a', 'b', 'c']);
    assert.deepEqual([...aptPackages('sudo apt-get install -y x y && sudo npm test')], ['x', 'y']);
  });

  it('its test command installs every package .ci/run installs', () => {
    const ci = aptPackages(readFileSync(repoPath('.ci', 'run'), 'utf8'));
    const readme = aptPackages(quickStartBlock());
    assert.ok(ci.size > 5, `.ci/run installs only ${[...ci].join(' ')}`);
    const missing = [...ci].filter((p) => !readme.has(p));
    assert.deepEqual(missing, [], `the README's test command does not install: ${missing.join(' ')}`);
  });

  it('its two commands run the exporter from dist/main.js and the suite with npm test', () => {
    const lines = quickStartBlock()
      .replace(/\\\n/g, ' ')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
    assert.equal(lines.length, 2, `expected two commands, got:\n${lines.join('\n')}`);
    assert.match(lines[0]!, /npm ci && npm run build && .*node dist\/main\.js/);
    assert.match(lines[1]!, /npm test$/);
    assert.match(readFileSync(repoPath('.ci', 'run'), 'utf8'), /^npm test$/m);
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.equal(pkg.bin['docker-engine-exporter'], 'dist/main.js');
  });
});
