/**
 * The engine part of /healthz's body: each singleton's link state (the same word the status page and
 * `check` show) and each probe's last outcome. Whether /healthz answers 200 is the exporter's own
 * freshness, decided where the clock is (main.ts), not here.
 */
import { SINGLETONS } from '../engine/components.js';
import type { EngineState } from '../engine/engine-state.js';
import { linkState, type LinkState } from '../engine/link-state.js';

/** dockerd's and containerd's link states; `unknown` before the first successful poll; no dockerd on a containerd-only node. */
export function healthComponents(latest: EngineState | null, dockerdExpected: boolean): Record<string, LinkState | 'unknown'> {
  const components: Record<string, LinkState | 'unknown'> = {};
  for (const c of SINGLETONS) {
    if (c === 'dockerd' && !dockerdExpected) continue;
    components[c] = latest === null ? 'unknown' : linkState(latest, c, dockerdExpected);
  }
  return components;
}

/** Each probe that has run: `ok`, or its last error. */
export function healthProbes(latest: EngineState | null): Record<string, string> {
  return latest?.probes
    ? Object.fromEntries([...latest.probes.outcomes].map(([name, o]) => [name, o.success ? 'ok' : (o.error ?? 'failed')]))
    : {};
}
