/**
 * The list of the engine's probes, and how their findings make one ProbeReport. Adding a probe:
 * a Probe in its daemon's file (containerd.ts, dockerd.ts) and one entry in that file's `probes`
 * list; a new daemon: a file like those and one line in `daemons` below.
 */
import type { Logger } from 'pino';
import type { ProbeName, ProbeOutcome, ProbeReport } from '../../engine/probe-report.js';
import { createContainerdProbes } from './containerd.js';
import { createDockerdProbes } from './dockerd.js';
import { createStateProbes } from './state-probes.js';
import { createSweepProbes } from './sweep.js';
import type { ProbeSet } from './probe.js';

export interface EngineProbeOptions {
  dockerSocket: string | null;
  containerdAddressFlag: string | null;
  namespaces: readonly string[];
  timeoutMs: number;
  procfsPath: string;
  /** Where the host's root is mounted (--path.rootfs): host paths the engine names are reached under it. */
  rootfsPath?: string;
  logger: Logger;
  /** The event stream ended: poll again now rather than at the next tick. */
  onEventStreamDrop: () => void;
  /** A daemon's answer changed (answering ↔ not): poll now so health follows within the probe timeout. */
  onAnswerChanged?: () => void;
  slowEveryMs?: number;
  containersEveryMs?: number;
  /** How often the per-container sweep runs (--sweep.interval); default 15 s. */
  sweepIntervalMs?: number;
  /** Tasks/List's deadline; tasksTimeoutFor(timeoutMs) unless a one-shot look asks for less. */
  tasksTimeoutMs?: number;
  /** Each sweep call's deadline; the probe timeout unless a one-shot look asks for less. */
  sweepDeadlineMs?: number;
  /** Task event counts to continue from (restored from the state file). */
  initialEventCounts?: { exits: Readonly<Record<string, number>>; ooms: Readonly<Record<string, number>> };
}

export function createEngineProbes(opts: EngineProbeOptions): ProbeSet {
  const rootfsPath = opts.rootfsPath ?? '/';
  const onAnswerChanged = (): void => opts.onAnswerChanged?.();
  const containerd = createContainerdProbes({
    addressFlag: opts.containerdAddressFlag,
    rootfsPath,
    namespaces: opts.namespaces,
    timeoutMs: opts.timeoutMs,
    tasksTimeoutMs: opts.tasksTimeoutMs ?? tasksTimeoutFor(opts.timeoutMs),
    containersEveryMs: opts.containersEveryMs ?? 5_000,
    logger: opts.logger,
    onEventStreamDrop: opts.onEventStreamDrop,
    onAnswerChanged,
    ...(opts.initialEventCounts ? { initialEventCounts: opts.initialEventCounts } : {}),
  });
  const dockerd = opts.dockerSocket
    ? createDockerdProbes({
        socket: opts.dockerSocket,
        procfsPath: opts.procfsPath,
        rootfsPath,
        timeoutMs: opts.timeoutMs,
        onAnswerChanged,
        slowEveryMs: opts.slowEveryMs ?? 5 * 60_000,
        containersEveryMs: opts.containersEveryMs ?? 5_000,
      })
    : null;
  const sweep = createSweepProbes({
    dockerSocket: opts.dockerSocket,
    namespaces: opts.namespaces,
    deadlineMs: opts.sweepDeadlineMs ?? opts.timeoutMs,
    intervalMs: opts.sweepIntervalMs ?? 15_000,
    procfsPath: opts.procfsPath,
    containerd: () => containerd.client(),
    containerdAnswering: () => containerd.findings().answering,
    dockerdAnswering: () => dockerd?.findings().answering ?? null,
  });
  const state = createStateProbes({
    dockerSocket: opts.dockerSocket,
    procfsPath: opts.procfsPath,
    timeoutMs: opts.timeoutMs,
    logger: opts.logger,
    taskEvents: containerd.taskEvents,
    onEventStreamDrop: opts.onEventStreamDrop,
  });
  return {
    daemons: dockerd ? [containerd, dockerd, sweep, state] : [containerd, sweep, state],
    report(outcomes: ReadonlyMap<ProbeName, ProbeOutcome>): ProbeReport {
      const c = containerd.findings(); // event counts persist even while containerd's socket is unknown
      const d = dockerd?.findings() ?? null;
      const versions = d?.versions ?? null;
      return {
        outcomes,
        containerdAnswering: c.answering,
        containerdAnswers: c.answers,
        dockerdAnswering: d?.answering ?? null,
        dockerdAnswers: d?.answers ?? 0,
        containerdVersion: c.version ?? versions?.containerd ?? null,
        engineVersions: versions,
        info: d?.info ?? null,
        tasks: c.tasks,
        containerdContainers: c.containers,
        sweep: sweep.findings(),
        publishedPorts: d?.publishedPorts ?? null,
        containers: d?.containers ?? null,
        userlandProxy: d?.userlandProxy ?? true,
        events: c.events,
        deep: state.deep(
          {
            tasks: c.tasks,
            containers: d?.containerStates ?? null,
            publishedPorts: d?.publishedPorts ?? null,
            userlandProxy: d?.userlandProxy ?? true,
            pluginErrors: c.pluginErrors,
          },
          Date.now(),
        ),
      };
    },
  };
}

/**
 * Tasks/List waits on every shim in turn (up to 2 s on each that does not answer, in containerd 1.6
 * and 2.x), so it gets five probe deadlines, at least 10 s: a few hung shims do not fail the list.
 */
export function tasksTimeoutFor(probeTimeoutMs: number): number {
  return Math.max(10_000, 5 * probeTimeoutMs);
}
