/**
 * The per-container sweep's findings in the report: which containers and shims do not answer, by
 * container id (the one place ids are shown; metric labels never carry them). A long list is cut,
 * saying how many more there are.
 */
import type { SweepFindings } from '../engine/probe-report.js';

/** The tree's sweep section: the id lists as the last sweep left them. */
export type SweepNode = Omit<SweepFindings, 'atMs'> & { atMs: number | null };

const SHOWN_IDS = 5;

function ids(list: readonly string[]): string {
  const shown = list.slice(0, SHOWN_IDS).join(', ');
  return list.length > SHOWN_IDS ? `${shown} and ${list.length - SHOWN_IDS} more` : shown;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** WARNING reasons, one per non-empty list. */
export function sweepWarnings(sweep: SweepNode | null): string[] {
  if (!sweep) return [];
  const out: string[] = [];
  const { unresponsiveContainers: c, unresponsiveShims: s, childlessShims: k } = sweep;
  if (c && c.length > 0)
    out.push(`${plural(c.length, 'unresponsive container', 'unresponsive containers')} (inspect does not answer): ${ids(c)}`);
  if (s && s.length > 0) out.push(`${plural(s.length, 'unresponsive shim', 'unresponsive shims')} (task state does not answer): ${ids(s)}`);
  if (k && k.length > 0) out.push(`${plural(k.length, 'childless shim', 'childless shims')} (task RUNNING, its process gone): ${ids(k)}`);
  return out;
}
