/**
 * Deep health and drift: dockerd's container events by type, its goroutines and event listeners
 * (/info), containerd's failed plugins, leaked docker-proxy processes and dockerd/containerd state
 * drift by kind. Read at scrape time from the latest fresh state; an unknown value exports no sample.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EngineState } from '../engine/engine-state.js';
import { DRIFT_KINDS } from '../engine/state-drift.js';
import { CONTAINER_EVENT_TYPES } from '../engine/probe-report.js';
import { registerOptionalGauge } from './optional-gauge.js';

const NS = 'docker_engine';

export function registerDeepMetrics(registry: Registry, freshState: () => EngineState | null, dockerdExpected: boolean): void {
  const deep = (): NonNullable<NonNullable<EngineState['probes']>['deep']> | null => freshState()?.probes?.deep ?? null;

  if (dockerdExpected) {
    new Counter({
      name: `${NS}_container_events_total`,
      help: "Container die, oom and health_status events on dockerd's event stream since the exporter started.",
      labelNames: ['type'],
      registers: [registry],
      collect() {
        this.reset();
        const counts = deep()?.containerEvents;
        if (!counts) return;
        for (const type of CONTAINER_EVENT_TYPES) this.inc({ type }, counts.get(type) ?? 0);
      },
    });
    const info = (pick: 'goroutines' | 'eventListeners') => (): number | null => freshState()?.probes?.info?.[pick] ?? null;
    registerOptionalGauge(
      registry,
      `${NS}_dockerd_goroutines`,
      "dockerd's goroutines (NGoroutines of /info, read every few minutes).",
      info('goroutines'),
    );
    registerOptionalGauge(
      registry,
      `${NS}_dockerd_event_listeners`,
      "Clients subscribed to dockerd's event stream (NEventsListener of /info), the exporter's own included.",
      info('eventListeners'),
    );
    registerOptionalGauge(
      registry,
      `${NS}_leaked_proxies`,
      'docker-proxy processes whose host address and port match no published port of a running container.',
      () => deep()?.leakedProxies ?? null,
    );
    new Gauge({
      name: `${NS}_state_drift`,
      help: 'Containers on which dockerd and containerd have disagreed for 10 s or more, by kind.',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.reset();
        const drift = deep()?.drift;
        if (!drift) return;
        for (const kind of DRIFT_KINDS) {
          const v = drift[kind];
          if (v !== null && v !== undefined) this.set({ kind }, v);
        }
      },
    });
  }
  registerOptionalGauge(
    registry,
    `${NS}_containerd_plugin_errors`,
    'containerd plugins that failed to load (Introspection/Plugins; one that skipped itself or is not configured is not counted).',
    () => deep()?.pluginErrors ?? null,
  );
}
