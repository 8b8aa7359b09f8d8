/**
 * The tree's one overall status in the monitoring-plugins convention, the reasons behind it as
 * sentences, and the one-line summary: what `check` prints first and exits with, and the status page's
 * badge.
 */
import { formatAge } from './format.js';
import { headroomReasons, type HeadroomReport } from './headroom-report.js';
import { sweepWarnings, type SweepNode } from './sweep-report.js';
import {
  countChildren,
  runningProxies,
  type ContainerdNode,
  type DockerdNode,
  type EngineStatus,
  type KernelCounts,
  type TreeChecks,
} from './tree-nodes.js';

/** The monitoring-plugins exit statuses. */
const EXIT_CODES: Readonly<Record<EngineStatus, 0 | 1 | 2 | 3>> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };

export interface Verdict {
  status: EngineStatus;
  exitCode: 0 | 1 | 2 | 3;
  /** Everything that made the status worse than OK, worst first. */
  reasons: string[];
  /** One line: the reasons, or what runs when all is well. */
  summary: string;
}

/** Nothing known: no poll has succeeded (yet), or the last one failed with `pollError`. */
export function unknownVerdict(pollError: string | null | undefined): Verdict {
  const reason = pollError ? `cannot scan processes: ${pollError}` : 'no successful poll yet';
  return { status: 'UNKNOWN', exitCode: EXIT_CODES.UNKNOWN, reasons: [reason], summary: reason };
}

export interface VerdictInput {
  dockerd: DockerdNode | null;
  containerd: ContainerdNode;
  checks: TreeChecks;
  /** Why attribution could not choose (several dockerds and no pidfile). */
  notes: readonly string[];
  /** The scan walked no pid at all. */
  scannedNothing: boolean;
  /** Age of a stale state in seconds; null while fresh. */
  staleSeconds: number | null;
  runcStuckAfterSeconds: number;
  /** Limits near exhaustion: critical or warning at the alert rules' thresholds. */
  headroom?: HeadroomReport | null;
  sweep?: SweepNode | null;
  /** Kernel reports about the engine's processes; null or absent when the kernel log is not read. */
  kernel?: KernelCounts | null;
}

/** UNKNOWN when nothing can be said, CRITICAL for a daemon not working, WARNING for a broken link. */
export function verdict(input: VerdictInput): Verdict {
  const { dockerd, containerd, checks } = input;
  const criticals: string[] = [];
  const warnings: string[] = [];
  for (const node of [dockerd, containerd]) {
    if (node === null) continue;
    if (node.state === 'down' || node.state === 'hung' || node.state === 'unresponsive') {
      const error = node.state !== 'down' && node.probe?.error ? ` (${node.probe.error})` : '';
      criticals.push(`${node.component} ${node.state}${node.detail ? `: ${node.detail}` : ''}${error}`);
    }
    if (node.restarts > 0) {
      warnings.push(`${node.component} restarted ${node.restarts} ${node.restarts === 1 ? 'time' : 'times'} since the exporter started`);
    }
  }
  if (checks.orphanShims !== null && checks.orphanShims > 0)
    warnings.push(plural(checks.orphanShims, 'orphan shim', 'orphan shims') + ' (no containerd task)');
  if (checks.stuckRunc > 0) {
    warnings.push(
      `${plural(checks.stuckRunc, 'stuck runc process', 'stuck runc processes')} (older than ${input.runcStuckAfterSeconds}s or in D state)`,
    );
  }
  if (checks.missingProxies !== null && checks.missingProxies > 0) {
    warnings.push(`${plural(checks.missingProxies, 'published port', 'published ports')} without docker-proxy`);
  }
  if (checks.zombies > 0) warnings.push(`${plural(checks.zombies, 'zombie engine process', 'zombie engine processes')}`);
  warnings.push(...sweepWarnings(input.sweep ?? null));
  for (const [component, n] of Object.entries(input.kernel?.oomKills ?? {})) {
    if (n > 0) warnings.push(`${component} OOM-killed ${n} ${n === 1 ? 'time' : 'times'} (kernel log)`);
  }
  for (const [component, n] of Object.entries(input.kernel?.hungTaskReports ?? {})) {
    if (n > 0) warnings.push(`${component}: ${plural(n, 'hung-task report', 'hung-task reports')} (kernel log)`);
  }
  for (const note of input.notes) warnings.push(note);
  const pressure = headroomReasons(input.headroom ?? null);
  criticals.push(...pressure.criticals);
  warnings.push(...pressure.warnings);

  const unknowns: string[] = [];
  if (input.scannedNothing) unknowns.push('the process scan saw no processes at all (no readable procfs, or busybox ps)');
  if (input.staleSeconds !== null) unknowns.push(`the latest poll is stale (taken ${formatAge(input.staleSeconds)} ago)`);

  const status: EngineStatus = unknowns.length > 0 ? 'UNKNOWN' : criticals.length > 0 ? 'CRITICAL' : warnings.length > 0 ? 'WARNING' : 'OK';
  const reasons = [...unknowns, ...criticals, ...warnings];
  return {
    status,
    exitCode: EXIT_CODES[status],
    reasons,
    summary: reasons.length > 0 ? reasons.join('; ') : healthySummary(dockerd, containerd),
  };
}

/** What runs, when all is well: `dockerd up, containerd up (managed), 2 shims, 1 docker-init, 1 docker-proxy`. */
function healthySummary(dockerd: DockerdNode | null, containerd: ContainerdNode): string {
  const parts: string[] = [];
  if (dockerd) parts.push(`dockerd ${dockerd.state}`);
  parts.push(`containerd ${containerd.state} (${containerd.mode})`);
  parts.push(plural(containerd.shims.length, 'shim', 'shims'));
  parts.push(plural(countChildren(containerd, 'docker-init'), 'docker-init', 'docker-init'));
  if (dockerd) parts.push(plural(runningProxies(dockerd), 'docker-proxy', 'docker-proxies'));
  return parts.join(', ');
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
