/**
 * The alert rules (prometheus/rules): promtool accepts them and their unit tests pass, every alert
 * the project promises exists with a severity, a summary, a description and a runbook section, uses
 * only metrics the exporter emits, and is unit-tested both firing and silent.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ALLOWED_METRICS, RECORDED_METRICS } from '../support-static/metrics.js';
import { metricNames } from '../support-static/promql.js';
import { promtoolOrSkip, runPromtool } from '../support-static/promtool.js';
import {
  alertTestCoverage,
  loadAlertRules,
  markdownAnchors,
  parseDuration,
  RULES_PATH,
  RULES_TEST_PATH,
  RUNBOOK_PATH,
  scaleRuleDurations,
} from '../support-static/rules.js';

/** The alerts the rules file must define, at least: each way a link of the chain breaks, and the exporter's own failure. */
const REQUIRED_ALERTS = [
  'DockerdDown',
  'ContainerdDown',
  'ContainerdRestarted',
  'ContainerdCrashLooping',
  'DockerdRestarted',
  'DockerdCrashLooping',
  'ContainerdUnresponsive',
  'DockerdUnresponsive',
  'DockerEngineOrphanShims',
  'DockerEngineRuncStuck',
  'DockerEngineProxyMissing',
  'DockerEngineExporterDown',
  'DockerEngineExporterStale',
];

const rules = loadAlertRules();
const runbook = readFileSync(RUNBOOK_PATH, 'utf8');

/** The runbook's text from the heading whose anchor is `anchor` to the next heading of that level. */
function runbookSection(anchor: string): string | null {
  const lines = runbook.split('\n');
  let fenced = false;
  // Headings outside code blocks (a shell comment in a block starts with "# " too).
  const headings = lines.map((l) => {
    if (/^\s*(```|~~~)/.test(l)) fenced = !fenced;
    return !fenced && /^##?\s/.test(l);
  });
  const start = lines.findIndex((l, k) => headings[k] === true && markdownAnchors(l).has(anchor));
  if (start < 0) return null;
  const end = headings.findIndex((h, k) => k > start && h);
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

describe('alert rules', () => {
  it('promtool check rules accepts the rules file', (t) => {
    const promtool = promtoolOrSkip(t);
    if (promtool === null) return;
    const r = runPromtool(promtool, ['check', 'rules', RULES_PATH]);
    assert.equal(r.status, 0, `promtool check rules failed:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /SUCCESS: \d+ rules found/);
  });

  it('promtool test rules passes the rule unit tests', (t) => {
    const promtool = promtoolOrSkip(t);
    if (promtool === null) return;
    const r = runPromtool(promtool, ['test', 'rules', RULES_TEST_PATH]);
    assert.equal(r.status, 0, `promtool test rules failed:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /SUCCESS/);
  });

  it('has every alert the project promises, once', () => {
    const names = rules.map((r) => r.alert);
    for (const name of REQUIRED_ALERTS) assert.ok(names.includes(name), `missing alert ${name}`);
    assert.equal(new Set(names).size, names.length, `duplicate alert names: ${names.join(', ')}`);
  });

  for (const rule of rules) {
    describe(rule.alert, () => {
      it('has a severity, a summary, a description and a runbook link into docs/runbook.md', () => {
        assert.ok(['critical', 'warning', 'info'].includes(rule.labels['severity'] ?? ''), `severity: ${rule.labels['severity']}`);
        assert.ok((rule.annotations['summary'] ?? '').length > 10, 'summary');
        assert.ok((rule.annotations['description'] ?? '').length > 30, 'description');
        assert.equal(rule.annotations['runbook_url'], `docs/runbook.md#${rule.alert.toLowerCase()}`);
      });

      it('has a runbook section saying what it means, how to confirm it, how to fix it and why its threshold', () => {
        const section = runbookSection(rule.alert.toLowerCase());
        assert.ok(section !== null, `docs/runbook.md has no "## ${rule.alert}" heading`);
        for (const part of ['What it means', 'Confirm on the host', 'Fix', 'Threshold']) {
          assert.ok(section.includes(`**${part}`), `runbook section ${rule.alert} lacks "**${part}"`);
        }
      });

      it("queries only metrics the exporter emits (and the scrape's up)", () => {
        const names = metricNames(rule.expr);
        assert.ok(names.length > 0, `no metric in ${rule.expr}`);
        for (const name of names) {
          assert.ok(
            ALLOWED_METRICS.has(name) || RECORDED_METRICS.has(name),
            `${rule.alert} uses ${name}, which neither the exporter nor a recording rule makes`,
          );
        }
      });

      it('is unit-tested both firing and silent', () => {
        const coverage = alertTestCoverage().get(rule.alert);
        assert.ok(coverage !== undefined && coverage.fires > 0, `no test in docker-engine.rules.test.yml expects ${rule.alert} to fire`);
        assert.ok(coverage.silent > 0, `no test in docker-engine.rules.test.yml expects ${rule.alert} to stay silent`);
      });
    });
  }

  it('waits longer before ContainerdDown than dockerd takes to restart containerd (~10 s)', () => {
    const down = rules.find((r) => r.alert === 'ContainerdDown');
    assert.ok(down?.for != null && parseDuration(down.for) >= 20, `ContainerdDown for: ${down?.for}`);
  });

  it('tests only alerts that exist', () => {
    const names = new Set(rules.map((r) => r.alert));
    for (const name of alertTestCoverage().keys()) assert.ok(names.has(name), `the rule tests name an unknown alert ${name}`);
  });
});

describe('time-scaled rules (for a Prometheus that scrapes every second)', () => {
  const text = readFileSync(RULES_PATH, 'utf8');
  const scaled = scaleRuleDurations(text, 15);

  it('divides every for: and every range window, and keeps everything else', () => {
    const before = loadAlertRules(text);
    const after = loadAlertRules(scaled);
    assert.equal(after.length, before.length);
    for (const [k, rule] of after.entries()) {
      const orig = before[k]!;
      assert.equal(rule.alert, orig.alert);
      assert.deepEqual(rule.annotations, orig.annotations);
      if (orig.for !== null) assert.equal(rule.for, `${Math.max(1, Math.ceil(parseDuration(orig.for) / 15))}s`);
      assert.doesNotMatch(rule.expr, /\[\d+m\]/, `${rule.alert} still has a window in minutes`);
    }
    assert.match(scaled, /\[60s\]/);
  });

  it('is still accepted by promtool', (t) => {
    const promtool = promtoolOrSkip(t);
    if (promtool === null) return;
    const dir = mkdtempSync(join(tmpdir(), 'dee-rules-'));
    try {
      const file = join(dir, 'scaled.rules.yml');
      writeFileSync(file, scaled);
      const r = runPromtool(promtool, ['check', 'rules', file]);
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('runbook', () => {
  it('links only to anchors that exist in itself', () => {
    const anchors = markdownAnchors(runbook);
    for (const m of runbook.matchAll(/\]\(#([^)]+)\)/g)) assert.ok(anchors.has(m[1]!), `broken link #${m[1]}`);
  });
});
