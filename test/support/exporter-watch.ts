/** Small helpers for watching a running exporter in the real-engine suites: /healthz, metrics, log lines. */
import { metric, scrape, type ExporterProcess } from './engine-rig.js';

export interface HealthzBody {
  status: string;
  components: Record<string, string>;
  probes: Record<string, string>;
  checks: Record<string, number | null> | null;
  [k: string]: unknown;
}

export async function healthz(url: string, timeoutMs = 2000): Promise<{ status: number; body: HealthzBody }> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: (await res.json()) as HealthzBody };
}

/** One series' value in a fresh scrape (undefined when absent). */
export async function metricNow(url: string, name: string, labels: Record<string, string> = {}, timeoutMs = 2000): Promise<number | undefined> {
  return metric(await scrape(url, timeoutMs), name, labels);
}

/** The exporter's JSON log lines after the first `from`, with this msg and every given field equal. */
export function logLinesSince(ex: ExporterProcess, from: number, msg: string, fields: Record<string, unknown> = {}): Record<string, unknown>[] {
  return ex
    .jsonLogs()
    .slice(from)
    .filter((l) => l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v));
}

/** The exporter's log after `from` lines, for assertion messages. */
export function logSince(ex: ExporterProcess, from: number, max = 40): string {
  const lines = ex.jsonLogs().slice(from);
  return `exporter log since the step began (${lines.length} lines, last ${max}):\n${lines
    .slice(-max)
    .map((l) => JSON.stringify(l))
    .join('\n')}`;
}
