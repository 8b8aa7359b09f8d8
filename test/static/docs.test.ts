/**
 * The configuration snippets in docs/prometheus.md and docs/runbook.md: every YAML block parses,
 * and every Prometheus configuration among them passes `promtool check config`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promtoolOrSkip, runPromtool } from '../support-static/promtool.js';
import { repoPath } from '../support-static/repo.js';
import { RULES_PATH } from '../support-static/rules.js';
import { isMapping, parseYaml } from '../support-static/yaml.js';

const DOCS = [repoPath('docs', 'prometheus.md'), repoPath('docs', 'runbook.md')];

function yamlBlocks(markdown: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  const lines = markdown.split('\n');
  for (let k = 0; k < lines.length; k++) {
    if (!/^```ya?ml\s*$/.test(lines[k]!)) continue;
    const end = lines.findIndex((l, j) => j > k && /^```\s*$/.test(l));
    assert.ok(end > k, `unterminated code block at line ${k + 1}`);
    out.push({ line: k + 1, text: lines.slice(k + 1, end).join('\n') + '\n' });
    k = end;
  }
  return out;
}

describe('configuration snippets in the docs', () => {
  for (const doc of DOCS) {
    const name = doc.slice(repoPath().length + 1);
    const blocks = yamlBlocks(readFileSync(doc, 'utf8'));

    it(`${name}: every YAML block parses`, () => {
      for (const b of blocks) {
        assert.doesNotThrow(() => parseYaml(b.text), `${name} block at line ${b.line}`);
      }
    });

    it(`${name}: every Prometheus configuration passes promtool check config`, (t) => {
      const configs = blocks.filter((b) => {
        const v = parseYaml(b.text);
        return isMapping(v) && 'scrape_configs' in v;
      });
      if (configs.length === 0) return;
      const promtool = promtoolOrSkip(t);
      if (promtool === null) return;
      const dir = mkdtempSync(join(tmpdir(), 'dee-docs-'));
      try {
        for (const b of configs) {
          // Files a snippet names on the Prometheus host: the rules file is the repository's.
          const text = b.text.split('/etc/prometheus/rules/docker-engine.rules.yml').join(RULES_PATH);
          const file = join(dir, `prometheus-${b.line}.yml`);
          writeFileSync(file, text);
          const r = runPromtool(promtool, ['check', 'config', file]);
          // Debian builds Prometheus without some service discoveries (Kubernetes among them); such a
          // block cannot be checked by this promtool, only parsed above.
          const unsupported = /field (\w+_sd_configs) not found/.exec(r.stdout + r.stderr);
          if (r.status !== 0 && unsupported) {
            t.diagnostic(`${name} block at line ${b.line}: this promtool lacks ${unsupported[1]}, not checked`);
            continue;
          }
          assert.equal(r.status, 0, `${name} block at line ${b.line}:\n${r.stdout}${r.stderr}`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it(`${name}: relative links point at files that exist`, () => {
      const text = readFileSync(doc, 'utf8');
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        assert.ok(existsSync(resolve(dirname(doc), target)), `${name} links to missing ${target}`);
      }
    });
  }
});
