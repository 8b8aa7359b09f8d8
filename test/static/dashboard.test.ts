/**
 * The Grafana dashboard (grafana/dashboards/docker-engine.json): importable, laid out in the
 * promised order, and querying only metrics the exporter emits, each for the selected instance.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  allPanels,
  DASHBOARD_PATH,
  dashboardExpressions,
  dashboardQueries,
  loadDashboard,
  type Dashboard,
} from '../support-static/dashboard.js';
import { ALLOWED_METRICS, COMPONENTS_IN_CHAIN_ORDER, RECORDED_METRICS } from '../support-static/metrics.js';
import { loadRecordingRules } from '../support-static/rules.js';
import { metricNames, selectorsOf } from '../support-static/promql.js';
import { promtoolOrSkip, runPromtool } from '../support-static/promtool.js';

const ROW_ORDER = [
  'Chain at a glance',
  'Restarts and downtime',
  'Probe latency',
  'Shims and tasks',
  'runc and proxies',
  'Resources per component',
  'Exporter health',
  'Headroom',
  'Drift and deep health',
  'Wedged containers and hung shims',
];

function datasourceUid(ds: unknown): string | undefined {
  return typeof ds === 'object' && ds !== null ? (ds as { uid?: string }).uid : undefined;
}

describe('Grafana dashboard', () => {
  const dashboard: Dashboard = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
  const panels = allPanels(dashboard);
  const queries = dashboardQueries(dashboard);

  it('is importable: a Prometheus datasource input, and a datasource variable the panels use', () => {
    const input = dashboard.__inputs?.find((i) => i.type === 'datasource');
    assert.ok(input !== undefined, 'no datasource in __inputs');
    assert.equal(input.pluginId, 'prometheus');
    const dsVar = dashboard.templating.list.find((v) => v.type === 'datasource');
    assert.ok(dsVar !== undefined, 'no datasource variable');
    assert.equal(dsVar.name, 'datasource');
    assert.equal((dsVar as { query?: unknown }).query, 'prometheus');
    // The input's placeholder is only in the variable's default, so a provisioned copy (where no
    // import replaces it) falls back to the default Prometheus instead of a missing datasource.
    const json = readFileSync(DASHBOARD_PATH, 'utf8');
    const placeholders = json.match(new RegExp(`\\$\\{${input.name}\\}`, 'g')) ?? [];
    assert.equal(placeholders.length, 2, `\${${input.name}} should appear only in the variable's current text and value`);
    assert.ok(typeof dashboard.uid === 'string' && dashboard.uid.length > 0, 'a stable uid');
  });

  // dashboard-linter's template-job-rule and template-instance-rule: a Prometheus query on
  // $datasource, labelled Job / Instance, multi-select, allValue ".+".
  for (const [name, label, expected] of [
    ['job', 'Job', 'label_values(docker_engine_component_up{job="docker-engine"},job)'],
    ['instance', 'Instance', 'label_values(docker_engine_component_up{job="docker-engine",job=~"$job"},instance)'],
  ] as const) {
    it(`has a ${name} variable as the dashboard linter asks: ${expected}`, () => {
      const v = dashboard.templating.list.find((x) => x.name === name) as
        | { type?: string; query?: unknown; datasource?: unknown; label?: string; multi?: boolean; allValue?: string; refresh?: number }
        | undefined;
      assert.ok(v !== undefined, `no ${name} variable`);
      assert.equal(v.type, 'query');
      const query = typeof v.query === 'string' ? v.query : (v.query as { query?: string } | undefined)?.query;
      assert.equal(query?.replace(/\s+/g, ''), expected);
      assert.equal(datasourceUid(v.datasource), '${datasource}');
      assert.equal(v.label, label);
      assert.equal(v.multi, true);
      assert.equal(v.allValue, '.+');
      assert.equal(v.refresh, 2, 'reloaded when the time range changes (template-on-time-change-reload-rule)');
    });
  }

  it('gives every panel a title, a description and a unit (panel-title-description-rule, panel-units-rule)', () => {
    for (const p of panels) {
      if (p.type === 'row') continue;
      const q = p as { title?: string; description?: string; fieldConfig?: { defaults?: { unit?: string } } };
      assert.ok((q.title ?? '') !== '' && (q.description ?? '') !== '', `${q.title ?? '?'}: title and description`);
      assert.ok((q.fieldConfig?.defaults?.unit ?? '') !== '', `${q.title ?? '?'} has no unit`);
    }
  });

  it('uses $__rate_interval in every rate() and irate() (target-rate-interval-rule)', () => {
    for (const q of queries) {
      for (const m of q.expr.matchAll(/\b(i?rate)\([^[]*\[([^\]]+)\]/g)) assert.equal(m[2], '$__rate_interval', `${q.panel}: ${m[0]}`);
    }
  });

  it('has its rows in the order the chain is read', () => {
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    assert.deepEqual(rows, ROW_ORDER);
    const ys = dashboard.panels.map((p) => p.gridPos?.y ?? -1);
    assert.deepEqual(
      ys,
      [...ys].sort((a, b) => a - b),
      'panels are listed top to bottom',
    );
  });

  it('shows the chain first, one panel per component in architecture order', () => {
    const firstRow: string[] = [];
    for (const p of dashboard.panels.slice(1)) {
      if (p.type === 'row') break;
      firstRow.push(p.title ?? '');
    }
    assert.deepEqual(firstRow.slice(0, COMPONENTS_IN_CHAIN_ORDER.length), [...COMPONENTS_IN_CHAIN_ORDER]);
    const line = dashboard.panels.slice(1, 1 + COMPONENTS_IN_CHAIN_ORDER.length);
    const xs = line.map((p) => [p.gridPos?.y, p.gridPos?.x]);
    assert.ok(
      line.every((p) => p.gridPos?.y === line[0]!.gridPos?.y),
      `one line: ${JSON.stringify(xs)}`,
    );
  });

  it('lays panels out without overlaps, within 24 columns, with unique ids', () => {
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
    const cells = new Set<string>();
    for (const p of panels) {
      const g = p.gridPos;
      assert.ok(g !== undefined, `${p.title} has no gridPos`);
      assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0, `${p.title}: ${JSON.stringify(g)}`);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const key = `${x},${y}`;
          assert.ok(!cells.has(key), `${p.title} overlaps another panel at ${key}`);
          cells.add(key);
        }
      }
    }
  });

  it('gives every panel a Prometheus query through the datasource variable', () => {
    for (const p of panels) {
      if (p.type === 'row') continue;
      assert.ok((p.targets ?? []).length > 0, `${p.title} has no query`);
      assert.equal(datasourceUid(p.datasource), '${datasource}', `${p.title} datasource`);
      for (const t of p.targets ?? []) {
        assert.ok(typeof t.expr === 'string' && t.expr.trim() !== '', `${p.title} ${t.refId} has no expr`);
        assert.equal(datasourceUid(t.datasource), '${datasource}', `${p.title} ${t.refId} datasource`);
      }
    }
  });

  it('queries only metrics the exporter emits, each for the selected instance', () => {
    const annotationExprs = (dashboard.annotations?.list ?? []).flatMap((a) =>
      typeof a.expr === 'string' ? [{ panel: `annotation ${a.name}`, refId: '-', expr: a.expr }] : [],
    );
    for (const q of [...queries, ...annotationExprs]) {
      const names = metricNames(q.expr);
      assert.ok(names.length > 0, `${q.panel}: no metric in ${q.expr}`);
      for (const name of names) {
        assert.ok(
          ALLOWED_METRICS.has(name) || RECORDED_METRICS.has(name),
          `${q.panel} (${q.refId}) queries ${name}, which neither the exporter nor a recording rule makes`,
        );
      }
      // dashboard-linter's target-job-rule and target-instance-rule.
      for (const s of selectorsOf(q.expr, names)) {
        assert.match(s.matchers, /(^|,)\s*instance\s*=~\s*"\$instance"/, `${q.panel}: ${s.metric} is not restricted to $instance in ${q.expr}`);
        assert.match(s.matchers, /(^|,)\s*job\s*=~\s*"\$job"/, `${q.panel}: ${s.metric} is not restricted to $job in ${q.expr}`);
      }
    }
  });

  it('covers every metric of the contract somewhere', () => {
    // A recorded series covers the metrics of its recording rule.
    const records = new Map(loadRecordingRules().map((r) => [r.record, metricNames(r.expr)]));
    const used = new Set(queries.flatMap((q) => metricNames(q.expr)).flatMap((n) => [n, ...(records.get(n) ?? [])]));
    const unused = [...ALLOWED_METRICS].filter((m) => m.startsWith('docker_engine_') && !used.has(m));
    assert.deepEqual(unused, [], `metrics the dashboard never shows: ${unused.join(', ')}`);
  });

  it('dashboardExpressions fills in every variable', () => {
    const exprs = dashboardExpressions('host-a:9733');
    assert.equal(exprs.length, queries.length);
    for (const e of exprs) {
      assert.doesNotMatch(e, /\$/, e);
      assert.match(e, /instance=~"host-a:9733"/);
    }
    assert.deepEqual(dashboardExpressions('x', undefined, loadDashboard()), dashboardExpressions('x'));
  });

  it('has expressions that Prometheus parses (checked by promtool as recording rules)', (t) => {
    const promtool = promtoolOrSkip(t);
    if (promtool === null) return;
    const exprs = dashboardExpressions('host-a:9733');
    const rulesYaml = ['groups:', '  - name: dashboard', '    rules:']
      .concat(exprs.flatMap((e, k) => [`      - record: dashboard:expr_${k}`, `        expr: ${JSON.stringify(e)}`]))
      .join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'dee-dashboard-'));
    try {
      const file = join(dir, 'dashboard.rules.yml');
      writeFileSync(file, rulesYaml + '\n');
      const r = runPromtool(promtool, ['check', 'rules', file]);
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
