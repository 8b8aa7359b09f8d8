/**
 * The pipeline's one-way layers, read from the import lines of src/: the view models (src/report)
 * read only the engine model; the model knows nothing of its presentation; the status page and
 * `check`'s output render what the report gives them; and one module sanitizes untrusted text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoPath } from '../support-static/repo.js';

const SRC = repoPath('src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every module specifier a file imports or re-exports from, as written. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)].map(
    (m) => (m[1] ?? m[2]) as string,
  );
}

const all = sources(SRC).map((file) => ({ name: relative(SRC, file), imports: importsOf(file), text: readFileSync(file, 'utf8') }));
const under = (dir: string) => all.filter((f) => f.name.startsWith(`${dir}/`));

test('the import reader sees imports (the rules below are not vacuous)', () => {
  // The composition root (wired for main.ts) builds the status page's tree from the report.
  const root = all.find((f) => f.name === 'exporter.ts');
  assert.ok(root && root.imports.includes('./report/engine-tree.js'), JSON.stringify(root?.imports));
  assert.ok(under('report').length >= 4);
});

test('src/report imports only src/engine and itself', () => {
  for (const f of under('report')) {
    for (const spec of f.imports) assert.match(spec, /^\.\/|^\.\.\/engine\//, `${f.name} imports ${spec}`);
  }
});

test('src/engine imports no stage after it (poller, metrics, report, http, cli)', () => {
  for (const f of under('engine')) {
    for (const spec of f.imports) assert.doesNotMatch(spec, /^\.\.\/(poller|metrics|report|http|cli)\//, `${f.name} imports ${spec}`);
  }
});

test("the status page and check's output take the tree from the report, not the engine", () => {
  for (const name of ['http/status-page.ts', 'cli/check-output.ts']) {
    const f = all.find((x) => x.name === name);
    assert.ok(f, name);
    assert.ok(
      f.imports.some((s) => s.startsWith('../report/')),
      `${name} renders the report`,
    );
    for (const spec of f.imports) assert.doesNotMatch(spec, /\/engine\//, `${name} imports ${spec}`);
  }
});

test('one sanitizer: no other module lists the control characters itself', () => {
  const controlClass = /\\(u0000|x00|u001f|x1f|u009f|x9f)/;
  const holders = all.filter((f) => controlClass.test(f.text)).map((f) => f.name);
  assert.deepEqual(holders, ['one-line.ts']);
});
