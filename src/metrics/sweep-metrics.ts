/**
 * What the per-container sweep found (src/sources/probes/sweep.ts), as counts: the container ids are on
 * /status.json, the status page and `check`, never in labels. Each gauge is withheld while its verdict
 * is unknown (before the first sweep, or while the daemon behind it does not answer).
 */
import type { Registry } from 'prom-client';
import type { EngineState } from '../engine/engine-state.js';
import type { SweepFindings } from '../engine/probe-report.js';
import { registerOptionalGauge } from './optional-gauge.js';

export function registerSweepMetrics(registry: Registry, freshState: () => EngineState | null): void {
  const gauge = (name: string, help: string, pick: (s: SweepFindings) => readonly string[] | null): void => {
    registerOptionalGauge(registry, `docker_engine_${name}`, help, () => {
      const sweep = freshState()?.probes?.sweep;
      return sweep ? (pick(sweep)?.length ?? null) : null;
    });
  };
  gauge(
    'unresponsive_containers',
    "Running containers whose inspect (GET /containers/<id>/json) did not answer within --probe.timeout in the last sweep, while dockerd's /_ping answers.",
    (s) => s.unresponsiveContainers,
  );
  gauge(
    'unresponsive_shims',
    'Shims that did not answer their task state (containerd Tasks/Get) within --probe.timeout in the last sweep, while containerd answers.',
    (s) => s.unresponsiveShims,
  );
  gauge(
    'childless_shims',
    "Shims whose task containerd calls RUNNING while the task's process is no live child of the shim, in the last sweep.",
    (s) => s.childlessShims,
  );
}
