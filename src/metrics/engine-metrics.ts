/**
 * Component-level metrics, built at scrape time from the poller's latest state (never by I/O on the
 * engine). Series for expected components are always present (0 when down) so no alert needs absent();
 * series of things that went away disappear at the next scrape. When the latest state is older than
 * three poll intervals the engine series are withheld rather than shown as fresh: the exporter's own
 * metrics then tell why.
 */
import type { Registry } from 'prom-client';
import { registerComponentCounter, registerComponentGauge } from './component-metric.js';
import { expectedComponents, type Component } from '../engine/components.js';
import { registerOptionalGauge } from './optional-gauge.js';
import type { EngineState } from '../engine/engine-state.js';

export interface EngineMetricsOptions {
  registry: Registry;
  /** The latest state, or null when there is none fresh enough to show. */
  freshState: () => EngineState | null;
  dockerdExpected: boolean;
  /** False for a source that cannot see CPU, memory, threads and fds (ps-list). */
  resourcesAvailable: boolean;
}

const NS = 'docker_engine';

export function registerEngineMetrics(opts: EngineMetricsOptions): void {
  const { registry, freshState } = opts;
  const { singletons, components } = expectedComponents(opts.dockerdExpected);

  const common = { registry, freshState };
  registerComponentGauge({
    ...common,
    name: `${NS}_component_up`,
    help: 'Whether a live, non-zombie process of this singleton component runs for the watched engine (1) or not (0).',
    components: singletons,
    read: (state, c) => (state.view[c] ? 1 : 0),
  });
  registerComponentGauge({
    ...common,
    name: `${NS}_component_processes`,
    help: 'Live processes of each component that belong to the watched engine.',
    components,
    read: (state, c) => state.view.members[c].length,
  });
  registerComponentCounter({
    ...common,
    name: `${NS}_component_restarts_total`,
    help: 'Times a new process (pid and start time) replaced the one seen before, with or without a gap between.',
    components: singletons,
    read: (state, c) => state.tracker.singletons[c].restarts,
  });
  registerComponentGauge({
    ...common,
    name: `${NS}_component_start_time_seconds`,
    help: 'Unix time the current process of this singleton component started.',
    components: singletons,
    read: (state, c) => state.view[c]?.startTimeSeconds ?? null,
  });

  registerOptionalGauge(registry, `${NS}_zombie_processes`, 'Engine processes that have exited but are not reaped yet (state Z).', () => {
    const state = freshState();
    return state ? state.view.zombies.length : null;
  });

  if (!opts.resourcesAvailable) return;

  registerComponentCounter({
    ...common,
    name: `${NS}_component_cpu_seconds_total`,
    help: "User and system CPU time of the component's processes, including those that have exited since the exporter started.",
    components,
    read: (state, c) => {
      let total = state.tracker.retiredCpuSeconds[c];
      for (const live of state.tracker.liveCpu.values()) if (live.component === c) total += live.cpuSeconds;
      return roundTo(total, 2);
    },
  });

  const sumGauge = (suffix: string, help: string, pick: (p: EngineState['view']['members'][Component][number]) => number | null): void => {
    registerComponentGauge({
      ...common,
      name: `${NS}_component_${suffix}`,
      help,
      components,
      read: (state, c) => {
        const values = state.view.members[c].map(pick);
        // One unreadable process makes the sum unknown: omit it rather than under-report.
        if (values.some((v) => v === null)) return null;
        return values.reduce<number>((a, v) => a + (v ?? 0), 0);
      },
    });
  };
  sumGauge('resident_memory_bytes', "Resident memory of the component's processes, summed.", (p) => p.residentBytes);
  sumGauge('open_fds', "Open file descriptors of the component's processes, summed (absent when not readable).", (p) => p.openFds);
  sumGauge('threads', "Threads of the component's processes, summed.", (p) => p.threads);
}

function roundTo(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
