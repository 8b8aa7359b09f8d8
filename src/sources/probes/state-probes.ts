/**
 * The deep checks that join both daemons' answers: dockerd's container event stream, state drift
 * between dockerd and containerd (src/engine/state-drift.ts), and leaked docker-proxy processes.
 * A pseudo-daemon with no calls of its own (its prepare() keeps the poll's view) and one watch, the
 * standing GET /events. The drift check needs the state of running tasks' pids: the scan reads it in its
 * thread (taskPids() asks for the next poll), and only a pid it was not asked about is read here.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { EngineView } from '../../engine/attribute.js';
import { flagValue } from '../../engine/argv.js';
import { leakedProxies } from '../../engine/leaked-proxies.js';
import type { DeepReport, TaskInfo } from '../../engine/probe-report.js';
import { advanceDrift, DRIFT_KINDS, noDrift, type DockerContainer, type DriftMemory } from '../../engine/state-drift.js';
import type { TaskEventWatcher } from '../containerd/task-event-watcher.js';
import { parseProcStat } from '../procfs/parse-proc.js';
import { createEngineEventWatcher, type EngineEventWatcher } from '../docker/engine-events.js';
import type { DaemonProbes, Watch } from './probe.js';

export interface StateProbeOptions {
  dockerSocket: string | null;
  procfsPath: string;
  timeoutMs: number;
  logger: Logger;
  taskEvents: TaskEventWatcher;
  onEventStreamDrop: () => void;
}

export interface StateInputs {
  tasks: ReadonlyMap<string, readonly TaskInfo[]> | null;
  containers: readonly DockerContainer[] | null;
  publishedPorts: Parameters<typeof leakedProxies>[1];
  userlandProxy: boolean;
  pluginErrors: number | null;
}

/** dockerd's containerd namespace: `--containerd-namespace`, moby by default. */
function dockerNamespace(view: EngineView | null): string {
  return (view?.dockerd ? flagValue(view.dockerd.argv, ['--containerd-namespace']) : null) ?? 'moby';
}

/** A pid that is gone (null), or a zombie nobody reaped, runs nothing. */
const runs = (state: string | null): boolean => state !== null && state !== 'Z' && state !== 'X' && state !== '';

/**
 * The state of a pid the scan did not read (a task new since the last poll, or the ps-list source):
 * read here, once. The scan reads the others in its own thread (ProcessSnapshot.pidStates).
 */
function stateNow(procfsPath: string, pid: number): string | null {
  try {
    return parseProcStat(readFileSync(`${procfsPath.replace(/\/+$/, '')}/${pid}/stat`, 'latin1')).state;
  } catch {
    return null;
  }
}

export function createStateProbes(opts: StateProbeOptions): DaemonProbes & { deep(i: StateInputs, nowMs: number): DeepReport } {
  const events: EngineEventWatcher | null = opts.dockerSocket
    ? createEngineEventWatcher({
        socketPath: opts.dockerSocket,
        logger: opts.logger,
        onDrop: opts.onEventStreamDrop,
      })
    : null;
  let view: EngineView | null = null;
  let memory: DriftMemory = noDrift;
  let pidStates: ReadonlyMap<number, string | null> | undefined;
  /** The running tasks' pids of the last check: the next scan reads their state. */
  let watchedPids: number[] = [];

  const watch: Watch = {
    name: 'dockerd_events',
    request: { http: { method: 'GET', path: '/events' } },
    outcome(nowMs) {
      if (!events) return null;
      const connected = events.counts().connected;
      return { success: connected, durationSeconds: 0, error: connected ? null : 'not subscribed', atMs: nowMs };
    },
  };

  return {
    probes: [],
    watches: events ? [watch] : [],
    prepare(v, _nowMs, looked) {
      view = v;
      pidStates = looked?.pidStates;
    },
    taskPids: () => watchedPids,
    deep(i, nowMs) {
      const ns = dockerNamespace(view);
      const dockerSince = events?.counts().connectedSinceMs ?? null;
      const containerdSince = opts.taskEvents.connectedSinceMs();
      const drift = events
        ? advanceDrift(memory, {
            containers: i.containers,
            tasks: i.tasks ? (i.tasks.get(ns) ?? null) : null,
            processAlive: (pid) => runs(pidStates?.has(pid) ? (pidStates.get(pid) ?? null) : stateNow(opts.procfsPath, pid)),
            exits: opts.taskEvents.recentExits(ns),
            lastDieMs: (id) => events.lastDieMs(id),
            streamsUpSinceMs: dockerSince !== null && containerdSince !== null ? Math.max(dockerSince, containerdSince) : null,
            nowMs,
          })
        : null;
      if (drift) memory = drift.memory;
      const tasks = events && i.tasks ? (i.tasks.get(ns) ?? []) : [];
      watchedPids = tasks.filter((t) => t.status === 'RUNNING' && t.pid > 0).map((t) => t.pid);
      const nothing = Object.fromEntries(DRIFT_KINDS.map((k) => [k, null]));
      return {
        containerEvents: events ? events.counts().byType : null,
        pluginErrors: i.pluginErrors,
        leakedProxies: view ? (leakedProxies(view, i.publishedPorts, i.userlandProxy, nowMs / 1000)?.length ?? null) : null,
        drift: drift?.counts ?? nothing,
        driftIds: drift?.ids ?? Object.fromEntries(DRIFT_KINDS.map((k) => [k, []])),
      };
    },
    close() {
      events?.stop();
    },
  };
}
