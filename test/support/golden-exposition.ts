/**
 * The comparable part of a /metrics answer for the golden end-to-end test (test/http/
 * golden-metrics.test.ts), in the manner of node_exporter's end-to-end-test.sh: the engine series only,
 * with what depends on the run and not on the /proc tree normalised away, in an order that does not
 * depend on timing.
 */
import { parseSampleLine } from './scrape.js';

/**
 * Families that describe the exporter itself (poll timing, build, process, nodejs, counters that grow
 * with the number of polls), not the engine in the fixture: left out.
 */
const LEFT_OUT = /^(docker_engine_exporter_|process_|nodejs_)/;

/**
 * Engine families whose values depend on the wall clock of the run: the series stay (their presence
 * and labels are compared), the value becomes a token.
 * - start times are (now − /proc/uptime) + starttime / CLK_TCK: "now" is the run's clock, not the
 *   recording's (the test checks the number itself against the fixture separately);
 * - probe durations are how long a connect to a missing socket took on this machine today.
 */
const VALUE_TOKENS: Record<string, string> = {
  docker_engine_component_start_time_seconds: '<now-uptime+starttime>',
  docker_engine_probe_duration_seconds: '<duration>',
};

interface Family {
  name: string;
  help: string | null;
  type: string | null;
  samples: string[];
}

/**
 * Keeps the engine families of an exposition, each as its HELP, TYPE and samples; samples re-rendered
 * with their labels sorted and sorted within the family, families sorted by name. Probe outcomes are
 * kept in the order probes finished, and a refactor may register families in another order: neither
 * is a change of what is exported. A family without samples is left out (Prometheus sees nothing).
 */
export function normaliseExposition(body: string): string {
  const families = new Map<string, Family>();
  let current: Family | null = null;
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) {
      f = { name, help: null, type: null, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      current = family(meta[2] as string);
      if (meta[1] === 'HELP') current.help = meta[3] ?? '';
      else current.type = meta[3] ?? '';
      continue;
    }
    if (line.startsWith('#')) continue;
    const [key, value] = parseSampleLine(line);
    const name = key.split('{')[0] as string;
    // A sample belongs to the family announced before it (a counter `x_total`, a histogram's `_bucket`).
    const f = current !== null && name.startsWith(current.name) ? current : family(name);
    f.samples.push(`${key} ${VALUE_TOKENS[f.name] ?? String(value)}`);
  }
  const out: string[] = [];
  for (const f of [...families.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!f.name.startsWith('docker_engine_') || LEFT_OUT.test(f.name) || f.samples.length === 0) continue;
    if (f.help !== null) out.push(`# HELP ${f.name} ${f.help}`);
    if (f.type !== null) out.push(`# TYPE ${f.name} ${f.type}`);
    out.push(...[...f.samples].sort());
  }
  return out.join('\n') + '\n';
}

/** Samples of one family in a raw exposition, as `label value` → number, e.g. component → value. */
export function samplesByLabel(body: string, name: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const [key, value] = parseSampleLine(line);
    const m = new RegExp(`[{,]${label}="([^"]*)"`).exec(key);
    out.set(m ? (m[1] as string) : '', value);
  }
  return out;
}
