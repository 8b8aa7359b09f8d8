/**
 * What the kernel log said about the engine's processes (src/engine/kernel-causes.ts): OOM kills and
 * hung-task reports per component since the exporter started. Absent altogether when the kernel log
 * is not read (no CAP_SYSLOG, --path.kmsg=""): 0 would claim that nothing happened.
 */
import type { Registry } from 'prom-client';
import { expectedComponents } from '../engine/components.js';
import type { EngineState } from '../engine/engine-state.js';
import { registerComponentCounter } from './component-metric.js';

export interface KernelMetricsOptions {
  registry: Registry;
  freshState: () => EngineState | null;
  dockerdExpected: boolean;
}

export function registerKernelMetrics(opts: KernelMetricsOptions): void {
  const { registry, freshState } = opts;
  const { components } = expectedComponents(opts.dockerdExpected);
  registerComponentCounter({
    registry,
    freshState,
    name: 'docker_engine_component_oom_kills_total',
    help: "Processes of the component the kernel's OOM killer killed since the exporter started (from /dev/kmsg; absent when it is not readable).",
    components,
    read: (state, c) => (state.kernel ? state.kernel.oomKills[c] : null),
  });
  registerComponentCounter({
    registry,
    freshState,
    name: 'docker_engine_component_hung_task_reports_total',
    help: 'Kernel hung-task reports ("task … blocked for more than N seconds") about threads of the component since the exporter started (from /dev/kmsg; absent when it is not readable).',
    components,
    read: (state, c) => (state.kernel ? state.kernel.hungTaskReports[c] : null),
  });
}
