/**
 * Deep health and drift for a person: the drift kinds with the (short) ids of the containers behind
 * them, leaked proxies, failed containerd plugins and dockerd's own leak figures. Shown on the status
 * page, /status.json and by `check`; the ids appear only here, never in a metric label. Pure.
 */
import type { EngineState } from '../engine/engine-state.js';
import { DRIFT_KINDS, type DriftKind } from '../engine/state-drift.js';

const SHORT_ID_LENGTH = 12;

export interface DeepFindings {
  /** Per drift kind: how many containers (null: unknown) and their short ids. */
  drift: Record<DriftKind, { count: number | null; containers: string[] }>;
  leakedProxies: number | null;
  containerdPluginErrors: number | null;
  dockerdGoroutines: number | null;
  dockerdEventListeners: number | null;
}

const KIND_TEXT: Record<DriftKind, string> = {
  running_without_task: 'running in dockerd with no containerd task',
  task_process_dead: 'with a running task whose process is dead',
  task_unknown_to_dockerd: 'with a task dockerd does not know',
  exit_without_die: 'exited in containerd with no die from dockerd',
};

export function deepFindings(state: EngineState): DeepFindings | null {
  const deep = state.probes?.deep;
  if (!deep) return null;
  const drift = {} as DeepFindings['drift'];
  for (const kind of DRIFT_KINDS) {
    drift[kind] = { count: deep.drift[kind] ?? null, containers: (deep.driftIds[kind] ?? []).map((id) => id.slice(0, SHORT_ID_LENGTH)) };
  }
  return {
    drift,
    leakedProxies: deep.leakedProxies,
    containerdPluginErrors: deep.pluginErrors,
    dockerdGoroutines: state.probes?.info?.goroutines ?? null,
    dockerdEventListeners: state.probes?.info?.eventListeners ?? null,
  };
}

/** The warnings they make, one sentence each, naming the containers. */
export function deepWarnings(d: DeepFindings | null): string[] {
  if (!d) return [];
  const out: string[] = [];
  for (const kind of DRIFT_KINDS) {
    const { count, containers } = d.drift[kind];
    if (count !== null && count > 0) out.push(`${count} container${count === 1 ? '' : 's'} ${KIND_TEXT[kind]}: ${containers.join(', ')}`);
  }
  if (d.leakedProxies !== null && d.leakedProxies > 0) {
    out.push(`${d.leakedProxies} leaked docker-proxy process${d.leakedProxies === 1 ? '' : 'es'} (no running container publishes the port)`);
  }
  if (d.containerdPluginErrors !== null && d.containerdPluginErrors > 0) {
    out.push(`${d.containerdPluginErrors} containerd plugin${d.containerdPluginErrors === 1 ? '' : 's'} failed to load`);
  }
  return out;
}
