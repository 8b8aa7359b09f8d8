/**
 * Probe results and chain checks, read at scrape time from the latest fresh state. A check whose input
 * is unknown (its probe failed) is withheld, not shown as 0.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { expectedComponents } from '../engine/components.js';
import { registerOptionalGauge } from './optional-gauge.js';
import { registerComponentGauge } from './component-metric.js';
import type { EngineState } from '../engine/engine-state.js';

export interface ProbeMetricsOptions {
  registry: Registry;
  freshState: () => EngineState | null;
  dockerdExpected: boolean;
  namespaces: readonly string[];
}

const NS = 'docker_engine';
const TASK_STATUSES = ['CREATED', 'RUNNING', 'STOPPED', 'PAUSED', 'PAUSING', 'UNKNOWN'] as const;

export function registerProbeMetrics(opts: ProbeMetricsOptions): void {
  const { registry, freshState } = opts;
  const { singletons } = expectedComponents(opts.dockerdExpected);

  registerComponentGauge({
    registry,
    freshState,
    name: `${NS}_component_healthy`,
    help: 'Whether the component is up and answered its deep probe within the timeout (dockerd: /_ping and its last state call, containerd: gRPC health and Namespaces/List).',
    components: singletons,
    read: (state, c) => {
      const healthy = state.tracker.singletons[c].healthy;
      return healthy === null ? null : healthy ? 1 : 0;
    },
  });

  new Gauge({
    name: `${NS}_probe_success`,
    help: 'Whether the last run of each socket probe succeeded.',
    labelNames: ['probe'],
    registers: [registry],
    collect() {
      this.reset();
      const outcomes = freshState()?.probes?.outcomes;
      if (outcomes) for (const [probe, o] of outcomes) this.set({ probe }, o.success ? 1 : 0);
    },
  });

  new Gauge({
    name: `${NS}_probe_duration_seconds`,
    help: 'How long the last run of each socket probe took (up to the probe timeout).',
    labelNames: ['probe'],
    registers: [registry],
    collect() {
      this.reset();
      const outcomes = freshState()?.probes?.outcomes;
      if (outcomes) for (const [probe, o] of outcomes) this.set({ probe }, Math.round(o.durationSeconds * 1e6) / 1e6);
    },
  });

  const checkGauge = (name: string, help: string, pick: (s: EngineState) => number | null): void => {
    registerOptionalGauge(registry, `${NS}_${name}`, help, () => {
      const state = freshState();
      return state ? pick(state) : null;
    });
  };
  checkGauge(
    'orphan_shims',
    'Shims of the watched containerd whose container is no task in their (watched) namespace.',
    (s) => s.checks.orphanShims,
  );
  checkGauge(
    'stuck_runc_processes',
    'runc processes older than --runc.stuck-after or in uninterruptible sleep (state D).',
    (s) => s.checks.stuckRunc,
  );
  checkGauge(
    'missing_proxies',
    'Published host ports with no docker-proxy process, while dockerd runs its userland proxy.',
    (s) => s.checks.missingProxies,
  );

  new Gauge({
    name: `${NS}_tasks`,
    help: 'containerd tasks per watched namespace and status, from Tasks/List.',
    labelNames: ['namespace', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      const tasks = freshState()?.probes?.tasks;
      if (!tasks) return;
      for (const [namespace, list] of tasks) {
        for (const status of TASK_STATUSES) this.set({ namespace, status }, list.filter((t) => t.status === status).length);
      }
    },
  });

  const eventCounter = (name: string, help: string, pick: 'exits' | 'ooms'): void => {
    new Counter({
      name: `${NS}_${name}`,
      help,
      labelNames: ['namespace'],
      registers: [registry],
      collect() {
        this.reset();
        const events = freshState()?.probes?.events;
        if (!events) return;
        for (const namespace of opts.namespaces) this.inc({ namespace }, events[pick].get(namespace) ?? 0);
      },
    });
  };
  eventCounter(
    'task_exits_total',
    "Task (container init process) exits seen on containerd's event stream since the exporter started.",
    'exits',
  );
  eventCounter('task_oom_total', "OOM kills seen on containerd's event stream, one per kill (containerd repeats the event).", 'ooms');

  new Gauge({
    name: `${NS}_info`,
    help: 'Always 1; labels carry the engine versions and how containerd runs (managed by dockerd, system, none, unknown).',
    labelNames: ['dockerd_version', 'containerd_version', 'runc_version', 'containerd_mode'],
    registers: [registry],
    collect() {
      this.reset();
      const state = freshState();
      if (!state) return;
      const v = state.probes?.engineVersions;
      this.set(
        {
          dockerd_version: v?.dockerd ?? '',
          containerd_version: state.probes?.containerdVersion ?? '',
          runc_version: v?.runc ?? '',
          containerd_mode: state.view.containerdMode,
        },
        1,
      );
    },
  });
}
