/**
 * containerd's probes: gRPC Health/Check every poll with Namespaces/List every few seconds (deep
 * health), Tasks/List per watched namespace (every few seconds while the event stream is up, every poll
 * while it is down), Containers/List per watched namespace (metadata only, every `containersEveryMs`), Version
 * and Introspection/Plugins (once per containerd identity) and the task event stream. They share one client, made anew for a new
 * containerd: the old channel sits in gRPC's reconnect back-off after an outage (up to seconds), and
 * the event stream must be back before the next crash, not after it.
 */
import type { EngineView } from '../../engine/attribute.js';
import type { TaskEventCounts, TaskInfo } from '../../engine/probe-report.js';
import type { ScanLooks } from '../../engine/process-model.js';
import { identityKey } from '../../engine/tracker.js';
import { createContainerdClient, loadContainerdServices, type ContainerdClient } from '../containerd/containerd-client.js';
import { createTaskEventWatcher, type TaskEventWatcher } from '../containerd/task-event-watcher.js';
import type { PluginInfo } from '../containerd/containerd-client.js';
import { Answering, type DaemonProbes, type Probe, type Watch } from './probe.js';

export interface ContainerdProbeOptions {
  addressFlag: string | null;
  rootfsPath: string;
  namespaces: readonly string[];
  timeoutMs: number;
  /**
   * Tasks/List's own deadline, longer than the others: containerd asks every shim in turn and waits up
   * to 2 s on each that does not answer (containerd 1.6's task state timeout), so one hung shim would
   * otherwise fail the whole list.
   */
  tasksTimeoutMs: number;
  containersEveryMs: number;
  /**
   * Namespaces/List (the state call) every this often while it answers, every poll while it does not;
   * containersEveryMs unless given. Health/Check stays every poll: it is what "hung" counts.
   */
  stateEveryMs?: number;
  /**
   * Tasks/List every this often while the event stream is connected (exits arrive as events, and an
   * exit lists again at the next poll); every poll while the stream is down, and once more as soon as
   * it is back (it has no replay). containersEveryMs unless given.
   */
  tasksEveryMs?: number;
  logger: import('pino').Logger;
  onEventStreamDrop: () => void;
  onAnswerChanged: () => void;
  initialEventCounts?: { exits: Readonly<Record<string, number>>; ooms: Readonly<Record<string, number>> };
}

export interface ContainerdFindings {
  answering: boolean | null;
  answers: number;
  version: string | null;
  tasks: Map<string, TaskInfo[]> | null;
  containers: Map<string, string[]> | null;
  events: TaskEventCounts;
  /** Plugins that failed to load; null until Introspection/Plugins answered. */
  pluginErrors: number | null;
}

export function createContainerdProbes(
  opts: ContainerdProbeOptions,
): DaemonProbes & { findings(): ContainerdFindings; client(): ContainerdClient | null; taskEvents: TaskEventWatcher } {
  const services = loadContainerdServices();
  const watcher = createTaskEventWatcher({
    namespaces: opts.namespaces,
    logger: opts.logger,
    onDrop: opts.onEventStreamDrop,
    ...(opts.initialEventCounts ? { initialCounts: opts.initialEventCounts } : {}),
  });
  let client: ContainerdClient | null = null;
  let address: string | null = null;
  let identity: string | null = null;
  let clientOf: string | null = null; // identity of the containerd the client was made for
  let versionOf: string | null = null; // identity the version was read from
  const answering = new Answering(opts.onAnswerChanged);
  let version: string | null = null;
  let tasks: Map<string, TaskInfo[]> | null = null;
  let containers: Map<string, string[]> | null = null;
  let containersAtMs: number | null = null;
  let containersDue = false;
  let pluginErrors: number | null = null;
  let stateAnswered: boolean | null = null;
  let stateAtMs: number | null = null;
  let stateDue = false;
  let tasksAtMs: number | null = null;
  let tasksDue = false;
  let tasksForStream: number | null = null; // connectedSinceMs of the stream the last list was made under
  let tasksForExits = -1; // task exits seen when the last list was made
  let pluginsOf: string | null = null;
  const stateEveryMs = opts.stateEveryMs ?? opts.containersEveryMs;
  const tasksEveryMs = opts.tasksEveryMs ?? opts.containersEveryMs;

  const dialled = (): { client: ContainerdClient; address: string } => {
    if (client === null || address === null) throw new Error('containerd probe ran without a client'); // due() rules this out
    return { client, address };
  };

  const health: Probe = {
    name: 'containerd_health',
    deadlineMs: opts.timeoutMs,
    request: { grpc: '/grpc.health.v1.Health/Check' },
    due: () => address !== null,
    async run() {
      const target = dialled();
      await answering.check(target.address, async () => {
        const status = await target.client.health(this.deadlineMs);
        if (status !== 'SERVING') throw new Error(`health status ${status}`);
      });
    },
  };

  // Health/Check is a static SERVING while the server runs (containerd never changes it): healthy
  // also needs a call that reads the metadata store (its bolt database) to answer within the deadline.
  // Namespaces/List reads only that store, not the shims (Tasks/List waits on each shim in turn).
  const state: Probe = {
    name: 'containerd_state',
    deadlineMs: opts.timeoutMs,
    request: { grpc: '/containerd.services.namespaces.v1.Namespaces/List' },
    due: () => address !== null && stateDue,
    async run() {
      try {
        await dialled().client.listNamespaces(this.deadlineMs);
        stateAnswered = true;
      } catch (err) {
        stateAnswered = false;
        throw err;
      }
    },
  };

  const taskList: Probe = {
    name: 'containerd_tasks',
    deadlineMs: opts.tasksTimeoutMs,
    request: { grpc: '/containerd.services.tasks.v1.Tasks/List' },
    due: () => address !== null && tasksDue,
    async run() {
      const { client: c } = dialled();
      try {
        const entries = await Promise.all(opts.namespaces.map(async (ns) => [ns, await c.listTasks(ns, this.deadlineMs)] as const));
        tasks = new Map(entries);
      } catch (err) {
        tasks = null;
        throw err;
      }
    },
  };

  const containerList: Probe = {
    name: 'containerd_containers',
    deadlineMs: opts.timeoutMs,
    request: { grpc: '/containerd.services.containers.v1.Containers/List' },
    due: () => address !== null && containersDue,
    async run() {
      const { client: c } = dialled();
      try {
        const entries = await Promise.all(opts.namespaces.map(async (ns) => [ns, await c.listContainers(ns, this.deadlineMs)] as const));
        containers = new Map(entries);
      } catch (err) {
        containers = null;
        throw err;
      }
    },
  };

  const versionProbe: Probe = {
    name: 'containerd_version',
    deadlineMs: opts.timeoutMs,
    request: { grpc: '/containerd.services.version.v1.Version/Version' },
    // Once per containerd: a new identity (or a new client) reads it again.
    due: () => address !== null && identity !== versionOf,
    async run() {
      const of = identity;
      const v = await dialled().client.version(this.deadlineMs);
      version = v.version;
      versionOf = of;
    },
  };

  const plugins: Probe = {
    name: 'containerd_plugins',
    deadlineMs: opts.timeoutMs,
    request: { grpc: '/containerd.services.introspection.v1.Introspection/Plugins' },
    // Plugins load once, at containerd's start: read once per containerd.
    due: () => address !== null && identity !== pluginsOf,
    async run() {
      const of = identity;
      pluginErrors = countPluginErrors(await dialled().client.plugins(this.deadlineMs));
      pluginsOf = of;
    },
  };

  const events: Watch = {
    name: 'containerd_events',
    request: { grpc: '/containerd.services.events.v1.Events/Subscribe' },
    outcome(nowMs) {
      if (client === null) return null;
      const connected = watcher.counts().connected;
      return { success: connected, durationSeconds: 0, error: connected ? null : 'not subscribed', atMs: nowMs };
    },
  };

  return {
    probes: [health, state, taskList, containerList, versionProbe, plugins],
    watches: [events],
    prepare(view: EngineView, nowMs: number, looked?: ScanLooks) {
      answering.scanSaw(looked?.socketFiles);
      // The configured socket as given; otherwise the host path the live engine vouches for, reached
      // under --path.rootfs. A remembered (or restored) address the live engine does not confirm is
      // never dialled.
      address =
        opts.addressFlag ??
        (view.containerdAddressConfirmed && view.containerdAddress !== null ? underRootfs(opts.rootfsPath, view.containerdAddress) : null);
      if (address === null) {
        answering.value = null;
        tasks = null;
        containers = null;
        stateAnswered = null;
        return;
      }
      containersDue = containersAtMs === null || nowMs - containersAtMs >= opts.containersEveryMs;
      if (containersDue) containersAtMs = nowMs;
      identity = view.containerd ? identityKey(view.containerd) : null;
      const restarted = identity !== null && clientOf !== null && identity !== clientOf;
      if (client?.address !== address || restarted) {
        client?.close();
        client = createContainerdClient(address, services);
        watcher.setClient(client);
        versionOf = null;
        containersAtMs = nowMs; // the new client lists containers now
        containersDue = true;
        pluginsOf = null;
        stateAnswered = null;
      }
      if (identity !== null) clientOf = identity;
      // Decided here, once per poll; the lane being busy only delays the next call.
      stateDue = stateAnswered !== true || stateAtMs === null || nowMs - stateAtMs >= stateEveryMs;
      if (stateDue) stateAtMs = nowMs;
      const stream = watcher.connectedSinceMs();
      const exitsSeen = totalExits(watcher.counts().exits);
      tasksDue =
        tasks === null ||
        stream === null ||
        stream !== tasksForStream ||
        exitsSeen !== tasksForExits ||
        tasksAtMs === null ||
        nowMs - tasksAtMs >= tasksEveryMs;
      if (tasksDue) {
        tasksAtMs = nowMs;
        tasksForStream = stream;
        tasksForExits = exitsSeen;
      }
    },
    findings: () => ({
      answering: answering.value === true && stateAnswered === false ? false : answering.value,
      answers: answering.count,
      version,
      tasks,
      containers,
      events: watcher.counts(),
      pluginErrors,
    }),
    client: () => (address === null ? null : client),
    taskEvents: watcher,
    socketPath: () => address,
    close() {
      watcher.stop();
      client?.close();
      client = null;
    },
  };
}

function totalExits(exits: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const v of exits.values()) n += v;
  return n;
}

/** A host path as the exporter reaches it when the host's root is mounted at `rootfs`. */
function underRootfs(rootfs: string, hostPath: string): string {
  return rootfs === '/' ? hostPath : `${rootfs.replace(/\/+$/, '')}${hostPath.startsWith('/') ? '' : '/'}${hostPath}`;
}

/**
 * Plugins with an init error, except those that were never meant to load here: a plugin that skipped
 * itself (containerd's ErrSkipPlugin, "skip plugin": a snapshotter whose filesystem is absent), and
 * one left unconfigured (containerd 1.6's devmapper answers "devmapper not configured", an error on
 * every default install; 1.7 made it a skip).
 */
function countPluginErrors(plugins: readonly PluginInfo[]): number {
  return plugins.filter((p) => p.initError !== null && !/skip plugin|not configured/i.test(p.initError)).length;
}
