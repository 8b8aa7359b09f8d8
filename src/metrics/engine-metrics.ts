/**
 * Component-level metrics, built at scrape time from the poller's latest state (never by I/O on the
 * engine). Series for expected components are always present (0 when down) so no alert needs absent();
 * series of things that went away disappear at the next scrape. When the latest state is older than
 * three poll intervals the engine series are withheld rather than shown as fresh: the exporter's own
 * metrics then tell why.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { COMPONENTS, SINGLETONS, type Component } from '../engine/components.js';
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
  const singletons = SINGLETONS.filter((c) => c !== 'dockerd' || opts.dockerdExpected);
  const components = COMPONENTS.filter((c) => c !== 'dockerd' || opts.dockerdExpected);

  new Gauge({
    name: `${NS}_component_up`,
    help: 'Whether a live, non-zombie process of this singleton component runs for the watched engine (1) or not (0).',
    labelNames: ['component'],
    registers: [registry],
    collect() {
      this.reset();
      const state = freshState();
      if (!state) return;
      for (const c of singletons) this.set({ component: c }, state.view[c] ? 1 : 0);
    },
  });

  new Gauge({
    name: `${NS}_component_processes`,
    help: 'Live processes of each component that belong to the watched engine.',
    labelNames: ['component'],
    registers: [registry],
    collect() {
      this.reset();
      const state = freshState();
      if (!state) return;
      for (const c of components) this.set({ component: c }, state.view.members[c].length);
    },
  });

  new Counter({
    name: `${NS}_component_restarts_total`,
    help: 'Times a new process (pid and start time) replaced the one seen before, with or without a gap between.',
    labelNames: ['component'],
    registers: [registry],
    collect() {
      this.reset();
      const state = freshState();
      if (!state) return;
      for (const c of singletons) this.inc({ component: c }, state.tracker.singletons[c].restarts);
    },
  });

  new Gauge({
    name: `${NS}_component_start_time_seconds`,
    help: 'Unix time the current process of this singleton component started.',
    labelNames: ['component'],
    registers: [registry],
    collect() {
      this.reset();
      const state = freshState();
      if (!state) return;
      for (const c of singletons) {
        const started = state.view[c]?.startTimeSeconds;
        if (started !== undefined && started !== null) this.set({ component: c }, started);
      }
    },
  });

  registerOptionalGauge(registry, `${NS}_zombie_processes`, 'Engine processes that have exited but are not reaped yet (state Z).', () => {
    const state = freshState();
    return state ? state.view.zombies.length : null;
  });

  if (!opts.resourcesAvailable) return;

  new Counter({
    name: `${NS}_component_cpu_seconds_total`,
    help: "User and system CPU time of the component's processes, including those that have exited since the exporter started.",
    labelNames: ['component'],
    registers: [registry],
    collect() {
      this.reset();
      const state = freshState();
      if (!state) return;
      const totals = new Map<Component, number>(components.map((c) => [c, state.tracker.retiredCpuSeconds[c]]));
      for (const { component, cpuSeconds } of state.tracker.liveCpu.values()) {
        totals.set(component, (totals.get(component) ?? 0) + cpuSeconds);
      }
      for (const c of components) this.inc({ component: c }, roundTo(totals.get(c) ?? 0, 2));
    },
  });

  const sumGauge = (
    suffix: string,
    help: string,
    pick: (p: EngineState['view']['members'][Component][number]) => number | null,
  ): void => {
    new Gauge({
      name: `${NS}_component_${suffix}`,
      help,
      labelNames: ['component'],
      registers: [registry],
      collect() {
        this.reset();
        const state = freshState();
        if (!state) return;
        for (const c of components) {
          const values = state.view.members[c].map(pick);
          // One unreadable process makes the sum unknown: omit it rather than under-report.
          if (values.some((v) => v === null)) continue;
          this.set({ component: c }, values.reduce<number>((a, v) => a + (v ?? 0), 0));
        }
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
