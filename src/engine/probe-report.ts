/** What the socket probes found in one poll: plain data handed from the probe runner to the engine stage. */

export type ProbeName =
  | 'containerd_health'
  | 'containerd_version'
  | 'containerd_tasks'
  | 'containerd_events'
  | 'dockerd_ping'
  | 'dockerd_version'
  | 'dockerd_info'
  | 'dockerd_containers'
  | 'dockerd_events'
  | 'containerd_plugins'
  | 'containerd_state';

export interface ProbeOutcome {
  success: boolean;
  durationSeconds: number;
  error: string | null;
  atMs: number;
}

export interface ProbeReport {
  /** The last outcome of every probe that has run at least once. */
  outcomes: ReadonlyMap<ProbeName, ProbeOutcome>;
  /** The last answer to Health/Check; null when containerd's socket is not known. */
  containerdAnswering: boolean | null;
  /** How many Health/Check calls have finished: a new one since the last poll is news. */
  containerdAnswers: number;
  /** The last answer to /_ping; null when no dockerd is expected. */
  dockerdAnswering: boolean | null;
  dockerdAnswers: number;
  containerdVersion: string | null;
  engineVersions: EngineVersions | null;
  info: EngineInfo | null;
  /** Tasks per watched namespace from the last Tasks/List round; null when it failed. */
  tasks: ReadonlyMap<string, readonly TaskInfo[]> | null;
  publishedPorts: readonly PublishedPort[] | null;
  userlandProxy: boolean;
  events: TaskEventCounts | null;
  /** What the deep-health and drift checks found (state-probes.ts); null when not probed. */
  deep?: DeepReport | null;
}

/** The container events counted from dockerd's stream; health_status is one type, whatever the status. */
export const CONTAINER_EVENT_TYPES = ['die', 'oom', 'health_status'] as const;
export type ContainerEventType = (typeof CONTAINER_EVENT_TYPES)[number];

/** Deep health, dockerd's container events, plugin errors and state drift. */
export interface DeepReport {
  containerEvents: ReadonlyMap<string, number> | null;
  /** Plugins that failed to load (a "skip plugin" is not a failure); null until read. */
  pluginErrors: number | null;
  /** docker-proxy processes that serve no published port (leaked-proxies.ts); null when unknown. */
  leakedProxies: number | null;
  drift: Readonly<Record<string, number | null>>;
  driftIds: Readonly<Record<string, readonly string[]>>;
}

/** A task as containerd's Tasks/List names it. */
export interface TaskInfo {
  id: string;
  pid: number;
  status: string;
}

/** Task exits and OOMs counted from containerd's event stream, per namespace. */
export interface TaskEventCounts {
  exits: ReadonlyMap<string, number>;
  ooms: ReadonlyMap<string, number>;
  connected: boolean;
  drops: number;
}

/** dockerd's /version: the engine's component versions. */
export interface EngineVersions {
  dockerd: string;
  containerd: string;
  runc: string;
  dockerInit: string;
  apiVersion: string;
}

/** dockerd's /info: the fields the exporter shows. */
export interface EngineInfo {
  containers: number;
  running: number;
  paused: number;
  stopped: number;
  liveRestore: boolean;
  defaultRuntime: string;
  /** NGoroutines and NEventsListener: dockerd's own leak signals; null when /info leaves them out. */
  goroutines: number | null;
  eventListeners: number | null;
}

/** A host port a running container publishes (dockerd's /containers/json). */
export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  proto: string;
}
