/**
 * Just enough PromQL reading to list the metric names an expression selects, and the label
 * matchers each selector carries. Not a parser: it removes what cannot be a metric name (strings,
 * label matchers, ranges, grouping label lists, Grafana variables, numbers), then keeps the
 * identifiers that are neither keywords nor followed by "(" (functions and aggregations).
 */

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'atan2',
  'inf',
  'nan',
  'Inf',
  'NaN',
]);

const GROUPING = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g;
const STRINGS = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;
const GRAFANA_VARIABLES = /\$\{[^}]*\}|\$\w+/g;

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(STRINGS, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(GROUPING, ' ')
    .replace(GRAFANA_VARIABLES, ' ')
    .replace(/\boffset\s+-?[0-9a-z]+/g, ' ')
    .replace(/@\s*(?:start\(\)|end\(\)|[0-9.]+)/g, ' ');
  const names = new Set<string>();
  const token = /(0x[0-9a-fA-F]+|[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?)|([A-Za-z_:][A-Za-z0-9_:]*)/g;
  for (const m of stripped.matchAll(token)) {
    const id = m[2];
    if (id === undefined || KEYWORDS.has(id)) continue;
    const after = stripped.slice((m.index ?? 0) + id.length);
    if (/^\s*\(/.test(after)) continue; // a function or an aggregation
    names.add(id);
  }
  return [...names];
}

export interface Selector {
  metric: string;
  /** The text between the braces, or "" when the selector has none. */
  matchers: string;
}

/** Every selector of one of `names` in `expr`, with its label matchers. */
export function selectorsOf(expr: string, names: Iterable<string>): Selector[] {
  const out: Selector[] = [];
  for (const metric of names) {
    const re = new RegExp(`(?<![A-Za-z0-9_:])${metric.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_:])(\\s*\\{([^}]*)\\})?`, 'g');
    for (const m of expr.matchAll(re)) {
      // Skip occurrences inside a string (e.g. a label value that spells a metric name).
      const before = expr.slice(0, m.index ?? 0);
      const quotes = (before.match(/"/g) ?? []).length;
      if (quotes % 2 === 1) continue;
      out.push({ metric, matchers: m[2] ?? '' });
    }
  }
  return out;
}
