/**
 * Headroom for a person (status page, /status.json, `check`): one row per limit with how much of it
 * is used, at the alert rules' thresholds (prometheus/rules/docker-engine.rules.yml): fds and thread
 * or pid caps warn at 80 % and are critical at 95 % used; storage warns below 10 % free and is
 * critical below 5 %. A single look has no "for 5 minutes", so threads in D are shown, not judged.
 */
import type { Headroom } from '../engine/headroom.js';

type HeadroomLevel = 'ok' | 'warning' | 'critical';

interface HeadroomRow {
  /** `fds containerd`, `kernel_pid_max`, `exec_root space`. */
  what: string;
  used: number;
  limit: number;
  /** used / limit, 0..1 (more when over). */
  ratio: number;
  level: HeadroomLevel;
}

export interface HeadroomReport {
  rows: HeadroomRow[];
  /** Threads in state D now, by component. */
  uninterruptibleThreads: Record<string, number>;
}

const WARN = 0.8;
const CRIT = 0.95;
const STORAGE_WARN = 0.9;

export function headroomReport(h: Headroom): HeadroomReport {
  const rows: HeadroomRow[] = [];
  const row = (what: string, used: number, limit: number, warnAt = WARN): void => {
    const ratio = limit > 0 ? used / limit : 0;
    rows.push({
      what,
      used,
      limit,
      ratio: Math.round(ratio * 10_000) / 10_000,
      level: ratio > CRIT ? 'critical' : ratio > warnAt ? 'warning' : 'ok',
    });
  };
  for (const [component, worst] of Object.entries(h.worstFd)) row(`fds ${component}`, worst.open, worst.limit);
  for (const l of h.limits) row(l.limit, l.used, l.max);
  for (const s of h.storage) {
    row(`${s.volume} space`, s.sizeBytes - s.availBytes, s.sizeBytes, STORAGE_WARN);
    if (s.inodes !== null && s.availInodes !== null) row(`${s.volume} inodes`, s.inodes - s.availInodes, s.inodes, STORAGE_WARN);
  }
  return { rows, uninterruptibleThreads: { ...h.uninterruptibleThreads } };
}

/** The rows past a threshold, as the verdict's sentences. */
export function headroomReasons(report: HeadroomReport | null): { criticals: string[]; warnings: string[] } {
  const criticals: string[] = [];
  const warnings: string[] = [];
  for (const r of report?.rows ?? []) {
    if (r.level === 'ok') continue;
    (r.level === 'critical' ? criticals : warnings).push(`${r.what} at ${formatPercent(r.ratio)} of its limit`);
  }
  return { criticals, warnings };
}

export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)}%`;
}
