#!/usr/bin/env node
// `npm run mixin`: generates prometheus/rules/docker-engine.rules.yml and
// grafana/dashboards/docker-engine.json from the monitoring mixin in mixin/ (Debian's jsonnet; no
// network). The committed files are this script's output: edit mixin/, run it, commit both.
//   --out DIR       write under DIR instead of the repository (same relative paths)
//   --config CODE   a Jsonnet object merged into _config, e.g. '{ dockerEngineSelector: "job=\"x\"" }'
// test/static/mixin.test.ts runs it both ways and compares rule by rule and panel by panel.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { Document } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const RULES_FILE = join('prometheus', 'rules', 'docker-engine.rules.yml');
export const DASHBOARD_FILE = join('grafana', 'dashboards', 'docker-engine.json');

const HEADER = ` Generated from mixin/ by \`npm run mixin\`: edit the mixin, not this file.

 Alert rules for docker-engine-exporter. Every alert has a severity label (critical: containers
 cannot be managed, or soon cannot; warning: something leaks or degrades, or the monitoring itself
 is blind), a summary, a description and a runbook_url into docs/runbook.md, which also says why
 each threshold is what it is. The comments on each expression are in mixin/alerts.libsonnet.
 Unit tests: docker-engine.rules.test.yml beside this file (\`promtool test rules\`).`;

/** Jsonnet sorts keys; a rule reads best as name, expression, duration, labels, then what it says. */
function ruleInReadingOrder(rule) {
  const order = ['alert', 'record', 'expr', 'for', 'labels', 'annotations'];
  const out = Object.fromEntries(order.filter((k) => k in rule).map((k) => [k, rule[k]]));
  if (out.annotations) {
    const { summary, description, runbook_url, ...rest } = out.annotations;
    out.annotations = { summary, description, runbook_url, ...rest };
  }
  return { ...out, ...rule, ...out };
}

/** Evaluates the mixin with `configCode` merged into _config; returns its three outputs. */
function evaluate(configCode) {
  const program = `local m = (import 'mixin.libsonnet') + { _config+:: ${configCode} };
{ alerts: m.prometheusAlerts, rules: m.prometheusRules, dashboards: m.grafanaDashboards }`;
  const out = execFileSync('jsonnet', ['-J', join(root, 'mixin'), '-e', program], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out);
}

/** The generated files, relative path → text, formatted as the repository's Prettier settings say. */
export async function generate(configCode = '{}') {
  const { alerts, rules, dashboards } = evaluate(configCode);
  const groups = [...rules.groups, ...alerts.groups].map((g) => ({ ...g, rules: g.rules.map(ruleInReadingOrder) }));
  const doc = new Document({ groups });
  doc.commentBefore = HEADER;
  const prettierOptions = (await prettier.resolveConfig(join(root, RULES_FILE))) ?? {};
  const yamlText = await prettier.format(doc.toString({ lineWidth: 0 }), { ...prettierOptions, parser: 'yaml' });
  const files = new Map([[RULES_FILE, yamlText]]);
  for (const [name, dashboard] of Object.entries(dashboards))
    files.set(join('grafana', 'dashboards', name), `${JSON.stringify(dashboard, null, 2)}\n`);
  return files;
}

async function main(argv) {
  let outDir = root;
  let config = '{}';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') outDir = resolve(argv[++i] ?? '.');
    else if (argv[i] === '--config') config = argv[++i] ?? '{}';
    else throw new Error(`mixin: unknown argument ${argv[i]}`);
  }
  for (const [path, text] of await generate(config)) {
    mkdirSync(dirname(join(outDir, path)), { recursive: true });
    writeFileSync(join(outDir, path), text);
    console.log(`mixin: wrote ${join(outDir, path)}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`mixin: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
