/** Fetching and parsing the Prometheus text exposition for assertions. */

/** `name{a="x",b="y"}` with the labels sorted by name; just `name` without labels. */
export function seriesKey(name: string, labels: Record<string, string> = {}): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return name;
  const body = keys.map((k) => `${k}="${escapeLabelValue(labels[k] as string)}"`).join(',');
  return `${name}{${body}}`;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Like Prometheus (Go's ParseFloat): Inf and NaN in any letter case. */
function parseValue(s: string): number {
  const lower = s.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (lower === 'nan') return Number.NaN;
  const n = Number(s);
  if (Number.isNaN(n)) throw new Error(`bad sample value ${JSON.stringify(s)}`);
  return n;
}

/** Parses one sample line into [key, value]; throws on a malformed line. */
export function parseSampleLine(line: string): [string, number] {
  const brace = line.indexOf('{');
  const space = line.indexOf(' ');
  if (brace < 0 || (space >= 0 && space < brace)) {
    const parts = line.trim().split(/\s+/);
    const name = parts[0];
    const value = parts[1];
    if (name === undefined || value === undefined) throw new Error(`malformed sample: ${line}`);
    return [name, parseValue(value)];
  }
  const name = line.slice(0, brace);
  const labels: Record<string, string> = {};
  let i = brace + 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') {
      i++;
      break;
    }
    const eq = line.indexOf('=', i);
    if (eq < 0 || line[eq + 1] !== '"') throw new Error(`malformed labels: ${line}`);
    const labelName = line.slice(i, eq).trim();
    let j = eq + 2;
    let value = '';
    while (j < line.length && line[j] !== '"') {
      if (line[j] === '\\') {
        const next = line[j + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        j += 2;
      } else {
        value += line[j];
        j++;
      }
    }
    if (j >= line.length) throw new Error(`unterminated label value: ${line}`);
    labels[labelName] = value;
    i = j + 1;
  }
  const rest = line.slice(i).trim().split(/\s+/);
  const value = rest[0];
  if (value === undefined || value === '') throw new Error(`missing value: ${line}`);
  return [seriesKey(name, labels), parseValue(value)];
}

/** Parses an exposition body into `name{labels}` → value (labels sorted by name). */
export function parseExposition(body: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [key, value] = parseSampleLine(line);
    map.set(key, value);
  }
  return map;
}

/** Appends /metrics to a bare base URL (`http://host:port` or `http://host:port/`). */
export function metricsUrl(url: string): string {
  const u = new URL(url);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/metrics';
  return u.toString();
}

export async function fetchText(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}

/**
 * Scrapes `url` (an exporter base URL gets /metrics appended) and parses the exposition.
 * Throws on a non-200 answer.
 */
export async function scrape(url: string, timeoutMs = 5000): Promise<Map<string, number>> {
  const { status, body } = await fetchText(metricsUrl(url), timeoutMs);
  if (status !== 200) throw new Error(`GET ${metricsUrl(url)} answered ${status}: ${body.slice(0, 300)}`);
  return parseExposition(body);
}

/** The value of one series, or undefined when the exposition lacks it. */
export function metric(map: Map<string, number>, name: string, labels: Record<string, string> = {}): number | undefined {
  return map.get(seriesKey(name, labels));
}
