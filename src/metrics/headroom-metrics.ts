/**
 * The headroom series (src/engine/headroom.ts): fds against their limit, threads and pids against
 * their caps, threads stuck in the kernel, and the storage of the engine's places. Read at scrape
 * time from the latest fresh state; absent where the state has no headroom (ps-list, a stale state).
 */
import { Gauge, type Registry } from 'prom-client';
import { registerComponentGauge } from './component-metric.js';
import { expectedComponents } from '../engine/components.js';
import type { EngineState } from '../engine/engine-state.js';
import type { Headroom, StorageReading } from '../engine/headroom.js';

export interface HeadroomMetricsOptions {
  registry: Registry;
  freshState: () => EngineState | null;
  dockerdExpected: boolean;
}

const NS = 'docker_engine';

export function registerHeadroomMetrics(opts: HeadroomMetricsOptions): void {
  const { registry, freshState } = opts;
  const { singletons, components } = expectedComponents(opts.dockerdExpected);
  const common = { registry, freshState };
  registerComponentGauge({
    ...common,
    name: `${NS}_component_max_fds`,
    help: 'Soft limit on open file descriptors (RLIMIT_NOFILE, /proc/PID/limits) of the daemon; absent when unlimited.',
    components: singletons,
    read: (state, c) => state.headroom?.maxFds[c] ?? null,
  });
  registerComponentGauge({
    ...common,
    name: `${NS}_component_worst_fd_ratio`,
    help: 'Highest open fds / soft fd limit of any process of the component (1 = the next open fails with EMFILE).',
    components,
    read: (state, c) => state.headroom?.worstFdRatio[c] ?? null,
  });
  registerComponentGauge({
    ...common,
    name: `${NS}_component_uninterruptible_threads`,
    help: "Threads of the component's processes in state D (uninterruptible sleep, waiting in the kernel) now.",
    components,
    read: (state, c) => state.headroom?.uninterruptibleThreads[c] ?? null,
  });

  const limitGauge = (suffix: string, help: string, pick: (l: Headroom['limits'][number]) => number): void => {
    new Gauge({
      name: `${NS}_task_limit${suffix}`,
      help,
      labelNames: ['limit'],
      registers: [registry],
      collect() {
        this.reset();
        for (const l of freshState()?.headroom?.limits ?? []) this.set({ limit: l.limit }, pick(l));
      },
    });
  };
  limitGauge('', 'A cap on threads or pids that applies to the engine, by where it comes from (docs/runbook.md).', (l) => l.max);
  limitGauge(
    '_used',
    'What counts against that cap now: threads of the daemon, of the whole engine, or pids.current of its cgroup.',
    (l) => l.used,
  );
  limitGauge('_ratio', 'Used / cap: at 1 the daemon cannot start a thread or a process.', (l) => l.ratio);

  const storageGauge = (suffix: string, help: string, pick: (s: StorageReading) => number | null): void => {
    new Gauge({
      name: `${NS}_storage_${suffix}`,
      help,
      labelNames: ['volume'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of freshState()?.headroom?.storage ?? []) {
          const value = pick(s);
          if (value !== null) this.set({ volume: s.volume }, value);
        }
      },
    });
  };
  storageGauge('avail_bytes', "Bytes free for the engine on the filesystem of its place (df's Avail; statfs f_bavail).", (s) => s.availBytes);
  storageGauge('size_bytes', "Size of the filesystem of the engine's place (df's Size).", (s) => s.sizeBytes);
  storageGauge('avail_inodes', 'Free inodes on that filesystem (df -i IFree); absent where it has no inode count.', (s) => s.availInodes);
  storageGauge('inodes', 'Inodes of that filesystem (df -i Inodes); absent where it has no inode count.', (s) => s.inodes);
}
