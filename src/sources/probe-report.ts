/** What the socket probes found in one poll: plain data handed from the probe runner to the engine stage. */
import type { TaskInfo } from './containerd/containerd-client.js';
import type { TaskEventCounts } from './containerd/task-event-watcher.js';
import type { EngineInfo, EngineVersions, PublishedPort } from './docker/engine-api-parse.js';

export const PROBES = [
  'containerd_health',
  'containerd_version',
  'containerd_tasks',
  'containerd_events',
  'dockerd_ping',
  'dockerd_version',
  'dockerd_info',
  'dockerd_containers',
] as const;
export type ProbeName = (typeof PROBES)[number];

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
}

