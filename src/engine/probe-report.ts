/** What the socket probes found in one poll: plain data handed from the probe runner to the engine stage. */

export type ProbeName =
  | 'containerd_health'
  | 'containerd_version'
  | 'containerd_tasks'
  | 'containerd_containers'
  | 'engine_sweep'
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
  /** Container ids per watched namespace from containerd's metadata (Containers/List); null when it failed. */
  containerdContainers?: ReadonlyMap<string, readonly string[]> | null;
  /** What the last per-container sweep found; absent where there is no sweep (tests of other parts). */
  sweep?: SweepFindings | null;
  /** Tasks per watched namespace from the last Tasks/List round; null when it failed. */
  tasks: ReadonlyMap<string, readonly TaskInfo[]> | null;
  publishedPorts: readonly PublishedPort[] | null;
  /** Running containers by id (dockerd's /containers/json); null before it answered or when it failed. */
  containers: readonly ContainerSummary[] | null;
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

/**
 * The last per-container sweep (src/sources/probes/sweep.ts): container ids, never in metric labels.
 * A list is null before the first sweep and while the daemon behind it does not answer its health probe.
 */
export interface SweepFindings {
  /** Running containers whose inspect (GET /containers/<id>/json) outlived the deadline. */
  unresponsiveContainers: readonly string[] | null;
  /** Containers whose shim did not answer its task state (Tasks/Get) within the deadline. */
  unresponsiveShims: readonly string[] | null;
  /** Containers whose task is RUNNING while its process is no live child of the shim. */
  childlessShims: readonly string[] | null;
  /** How many containers the last sweep went through. */
  containers: number;
  /** When the last sweep ended (ms since epoch); null before the first. */
  atMs: number | null;
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
  /** `DockerRootDir`: the data root dockerd really uses; null when absent or not absolute. */
  rootDir: string | null;
  /** NGoroutines and NEventsListener: dockerd's own leak signals; null when /info leaves them out. */
  goroutines: number | null;
  eventListeners: number | null;
}

/**
 * A running container as dockerd lists it, for people only (status page, `check`): never a metric
 * label. Raw text from the Engine API; each renderer makes it safe for its medium.
 */
export interface ContainerSummary {
  /** The full id, which is the shim's `-id` and the containerd task's id. */
  id: string;
  /** Its first name without the leading slash, at most CONTAINER_TEXT_MAX characters. */
  name: string;
  /** The program its main process runs: the first word of Command, without its directory. */
  program: string;
}

/** Longest container name or program kept from an answer. */
export const CONTAINER_TEXT_MAX = 128;

/** A host port a running container publishes (dockerd's /containers/json). */
export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  proto: string;
}
