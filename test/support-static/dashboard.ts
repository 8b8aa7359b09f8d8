/**
 * The Grafana dashboard's queries, for tests: the static test checks them against the metrics
 * contract; a test against a real Prometheus can run each one (variables filled in) and expect a
 * series back.
 */
import { readFileSync } from 'node:fs';
import { repoPath } from './repo.js';

export const DASHBOARD_PATH = repoPath('grafana', 'dashboards', 'docker-engine.json');

export interface DashboardPanel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string } | string | null;
  targets?: Array<{ refId?: string; expr?: string; datasource?: { type?: string; uid?: string } }>;
  panels?: DashboardPanel[];
  gridPos?: { h: number; w: number; x: number; y: number };
}

export interface Dashboard {
  __inputs?: Array<{ name: string; type: string; pluginId: string }>;
  uid?: string;
  title?: string;
  panels: DashboardPanel[];
  templating: { list: Array<{ name: string; type: string; query?: unknown; definition?: string; datasource?: unknown; current?: unknown }> };
  annotations?: { list: Array<{ name?: string; expr?: string; datasource?: unknown }> };
}

export interface DashboardQuery {
  panel: string;
  refId: string;
  expr: string;
}

/** Values for Grafana's built-in variables; defaults suit a Prometheus that scrapes every 1-15 s. */
export interface BuiltinVariables {
  rateInterval: string;
  interval: string;
  range: string;
  rangeSeconds: number;
}

const DEFAULT_BUILTINS: BuiltinVariables = { rateInterval: '1m', interval: '15s', range: '5m', rangeSeconds: 300 };

export function loadDashboard(path: string = DASHBOARD_PATH): Dashboard {
  return JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
}

/** Every panel, rows' nested panels included, in the file's order. */
export function allPanels(dashboard: Dashboard): DashboardPanel[] {
  const out: DashboardPanel[] = [];
  const walk = (panels: DashboardPanel[]): void => {
    for (const p of panels) {
      out.push(p);
      if (Array.isArray(p.panels)) walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

/** Every panel target's expression as written in the dashboard (variables not filled in). */
export function dashboardQueries(dashboard: Dashboard = loadDashboard()): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const p of allPanels(dashboard)) {
    for (const t of p.targets ?? []) {
      if (typeof t.expr === 'string') out.push({ panel: p.title ?? `panel ${p.id ?? '?'}`, refId: t.refId ?? '?', expr: t.expr });
    }
  }
  return out;
}

/**
 * The expression as Grafana sends it with `instance` selected (a regex matcher: a literal address
 * matches itself) and `job` at its default, All, whose value is the variable's allValue `.+`.
 */
export function fillVariables(expr: string, instance: string, builtins: BuiltinVariables = DEFAULT_BUILTINS, job = '.+'): string {
  const values: Record<string, string> = {
    instance,
    job,
    __rate_interval: builtins.rateInterval,
    __interval: builtins.interval,
    __range: builtins.range,
    __range_s: String(builtins.rangeSeconds),
  };
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const value = values[name];
    if (value === undefined) throw new Error(`unknown dashboard variable ${whole} in ${expr}`);
    return value;
  });
}

/** All panel expressions with $instance and Grafana's built-in variables filled in. */
export function dashboardExpressions(
  instance: string,
  builtins: BuiltinVariables = DEFAULT_BUILTINS,
  dashboard: Dashboard = loadDashboard(),
): string[] {
  return dashboardQueries(dashboard).map((q) => fillVariables(q.expr, instance, builtins));
}
