/**
 * The alert rules, for tests: where they are, what they say, and a time-scaled copy for a test that
 * runs them in a real Prometheus scraping and evaluating every second.
 */
import { readFileSync } from 'node:fs';
import { repoPath } from './repo.js';
import { asMapping, asSequence, asString, isMapping, parseYaml, type YamlValue } from './yaml.js';

export const RULES_PATH = repoPath('prometheus', 'rules', 'docker-engine.rules.yml');
export const RULES_TEST_PATH = repoPath('prometheus', 'rules', 'docker-engine.rules.test.yml');
export const RUNBOOK_PATH = repoPath('docs', 'runbook.md');

export interface AlertRule {
  alert: string;
  expr: string;
  for: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

function stringRecord(v: YamlValue | undefined, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  const m = asMapping(v, what);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(m)) out[k] = asString(val, `${what}.${k}`);
  return out;
}

export function loadAlertRules(text: string = readFileSync(RULES_PATH, 'utf8')): AlertRule[] {
  const doc = asMapping(parseYaml(text), 'rules file');
  const out: AlertRule[] = [];
  for (const group of asSequence(doc['groups'], 'groups')) {
    const g = asMapping(group, 'group');
    for (const rule of asSequence(g['rules'], `group ${JSON.stringify(g['name'])} rules`)) {
      const r = asMapping(rule, 'rule');
      if (r['alert'] === undefined) continue; // a recording rule
      const name = asString(r['alert'], 'alert');
      out.push({
        alert: name,
        expr: asString(r['expr'], `${name}.expr`),
        for: r['for'] === undefined ? null : asString(r['for'], `${name}.for`),
        labels: stringRecord(r['labels'], `${name}.labels`),
        annotations: stringRecord(r['annotations'], `${name}.annotations`),
      });
    }
  }
  return out;
}

/** The recording rules: what each records and from which expression. */
export function loadRecordingRules(text: string = readFileSync(RULES_PATH, 'utf8')): { record: string; expr: string }[] {
  const doc = asMapping(parseYaml(text), 'rules file');
  return asSequence(doc['groups'], 'groups').flatMap((group) =>
    asSequence(asMapping(group, 'group')['rules'], 'rules').flatMap((rule) => {
      const r = asMapping(rule, 'rule');
      return r['record'] === undefined ? [] : [{ record: asString(r['record'], 'record'), expr: asString(r['expr'], 'record expr') }];
    }),
  );
}

/** Per alert name: whether some rule test expects it to fire, and whether one expects silence. */
export function alertTestCoverage(text: string = readFileSync(RULES_TEST_PATH, 'utf8')): Map<string, { fires: number; silent: number }> {
  const doc = asMapping(parseYaml(text), 'rule test file');
  const out = new Map<string, { fires: number; silent: number }>();
  for (const test of asSequence(doc['tests'], 'tests')) {
    const t = asMapping(test, 'test');
    for (const case_ of asSequence(t['alert_rule_test'] ?? [], 'alert_rule_test')) {
      if (!isMapping(case_)) continue;
      const name = asString(case_['alertname'], 'alertname');
      const expected = asSequence(case_['exp_alerts'] ?? [], `${name} exp_alerts`);
      const entry = out.get(name) ?? { fires: 0, silent: 0 };
      if (expected.length > 0) entry.fires++;
      else entry.silent++;
      out.set(name, entry);
    }
  }
  return out;
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

export function parseDuration(d: string): number {
  const parts = [...d.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== d) throw new Error(`not a Prometheus duration: "${d}"`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_SECONDS[p[2]!]!, 0);
}

/**
 * The rules with every `for:` and every range window divided by `divisor` (rounded up to whole
 * seconds, at least 1 s), for a Prometheus that scrapes and evaluates every second. With 15:
 * `for: 30s` → 2s, `[15m]` → `[60s]`, `for: 5m` → 20s. Thresholds and annotations stay as they are.
 */
export function scaleRuleDurations(text: string, divisor: number): string {
  if (!(divisor >= 1)) throw new Error(`divisor must be >= 1, got ${divisor}`);
  const scale = (d: string): string => `${Math.max(1, Math.ceil(parseDuration(d) / divisor))}s`;
  return text
    .replace(/^(\s*for:\s*)([0-9a-z]+)\s*$/gm, (_m, head: string, d: string) => `${head}${scale(d)}`)
    .replace(/\[([0-9]+(?:ms|s|m|h|d|w|y)(?:[0-9]+(?:ms|s|m|h|d|w|y))*)\]/g, (_m, d: string) => `[${scale(d)}]`);
}

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to dashes. */
function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of every heading in a Markdown file. */
export function markdownAnchors(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) out.add(headingAnchor(m[1]!));
  }
  return out;
}
