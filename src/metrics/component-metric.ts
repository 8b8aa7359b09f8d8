/**
 * Per-component series read at scrape time from the latest fresh state: one sample per component
 * whose value is known, none at all while the state is stale (never a stale value shown as fresh).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EngineState } from '../engine/engine-state.js';

export interface ComponentMetricSpec<C extends string> {
  registry: Registry;
  name: string;
  help: string;
  components: readonly C[];
  freshState: () => EngineState | null;
  /** The component's value; null when unknown (the sample is left out). */
  read: (state: EngineState, component: C) => number | null;
}

export function registerComponentGauge<C extends string>(spec: ComponentMetricSpec<C>): void {
  new Gauge({
    name: spec.name,
    help: spec.help,
    labelNames: ['component'],
    registers: [spec.registry],
    collect() {
      this.reset();
      eachKnown(spec, (component, value) => this.set({ component }, value));
    },
  });
}

/** The same for a counter whose running total the tracker keeps (restarts, CPU seconds). */
export function registerComponentCounter<C extends string>(spec: ComponentMetricSpec<C>): void {
  new Counter({
    name: spec.name,
    help: spec.help,
    labelNames: ['component'],
    registers: [spec.registry],
    collect() {
      this.reset();
      eachKnown(spec, (component, value) => this.inc({ component }, value));
    },
  });
}

function eachKnown<C extends string>(spec: ComponentMetricSpec<C>, write: (component: C, value: number) => void): void {
  const state = spec.freshState();
  if (!state) return;
  for (const c of spec.components) {
    const value = spec.read(state, c);
    if (value !== null) write(c, value);
  }
}
