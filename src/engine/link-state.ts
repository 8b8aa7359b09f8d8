/**
 * The state of a singleton link (dockerd, containerd) as one word, from the attributed view and the
 * tracker: the one rule behind the status page, /status.json, `check` and /healthz.
 */
import type { ProbeName } from './probe-report.js';
import type { Singleton } from './components.js';
import type { EngineState } from './engine-state.js';

/**
 * up; down (expected, no live process); hung (alive, its probe unanswered on several polls in a row);
 * unresponsive (alive, its last probe failed); none (not expected here).
 */
export type LinkState = 'up' | 'down' | 'hung' | 'unresponsive' | 'none';

/** The probe whose answer says whether the daemon answers (the tracker's `healthy` and `hung`). */
export const HEALTH_PROBE: Readonly<Record<Singleton, ProbeName>> = { dockerd: 'dockerd_ping', containerd: 'containerd_health' };

/**
 * Whether this engine has the singleton at all. dockerd: unless --docker.host="" (a containerd-only
 * node). containerd: unless dockerd runs without one (mode none) and no shim says otherwise.
 */
function isExpected(state: EngineState, component: Singleton, dockerdExpected: boolean): boolean {
  if (component === 'dockerd') return dockerdExpected;
  return state.view.containerdMode !== 'none' || state.view.members['containerd-shim'].length > 0;
}

export function linkState(state: EngineState, component: Singleton, dockerdExpected: boolean): LinkState {
  if (state.view[component] === null) return isExpected(state, component, dockerdExpected) ? 'down' : 'none';
  const track = state.tracker.singletons[component];
  if (track.hung) return 'hung';
  if (track.healthy === false) return 'unresponsive';
  return 'up';
}
