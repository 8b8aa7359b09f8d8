/**
 * Where dockerd and containerd disagree about a container, after a lost event or a missed exit.
 * Pure: what dockerd lists (/containers/json?all=1), containerd's tasks in dockerd's namespace
 * (Tasks/List), which task processes are gone from /proc, and the two event streams (containerd's
 * /tasks/exit, dockerd's `die`).
 *
 * The inputs are taken at different moments (dockerd's list and containerd's tasks every few seconds), so
 * a container that just started or stopped looks drifted for a moment: a disagreement counts only
 * once it has lasted CONFIRM_MS. That is also how long dockerd gets to report `die` after an exit.
 */
import type { TaskInfo } from './probe-report.js';

export const DRIFT_KINDS = ['running_without_task', 'task_process_dead', 'task_unknown_to_dockerd', 'exit_without_die'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export const CONFIRM_MS = 10_000;

/** A container as dockerd's /containers/json?all=1 lists it. */
export interface DockerContainer {
  id: string;
  running: boolean;
}

export interface DriftInputs {
  /** null when the list is unknown (its probe failed). */
  containers: readonly DockerContainer[] | null;
  /** Tasks of dockerd's namespace; null when Tasks/List failed. */
  tasks: readonly TaskInfo[] | null;
  /** Whether a task's pid has a live process (false: gone or a zombie). */
  processAlive: (pid: number) => boolean;
  /** containerd's recent task exits: container id → ms. */
  exits: ReadonlyMap<string, number>;
  /** When dockerd last reported `die` for a container (ms), or null. */
  lastDieMs: (id: string) => number | null;
  /** Since when both event streams have been up without a break (ms); null when either is down. */
  streamsUpSinceMs: number | null;
  nowMs: number;
}

/** First sighting of each disagreement, by kind and container id. */
export type DriftMemory = ReadonlyMap<DriftKind, ReadonlyMap<string, number>>;

export interface DriftResult {
  /** Confirmed disagreements per kind; a kind is null when its inputs are unknown. */
  counts: Record<DriftKind, number | null>;
  /** The container ids behind each count (for the status page; never a metric label). */
  ids: Record<DriftKind, string[]>;
  memory: DriftMemory;
}

/** dockerd may take a moment to stamp `die` after containerd's exit, and the clocks are the same host's. */
const DIE_AFTER_EXIT_SLACK_MS = 1_000;

/** Today's disagreements, by kind and id; null per kind when its inputs are unknown. */
function observeDrift(i: DriftInputs): Record<DriftKind, Set<string> | null> {
  const tasksById = i.tasks ? new Map(i.tasks.map((t) => [t.id, t])) : null;
  const dockerIds = i.containers ? new Set(i.containers.map((c) => c.id)) : null;

  let runningWithoutTask: Set<string> | null = null;
  if (i.containers && tasksById) {
    runningWithoutTask = new Set();
    for (const c of i.containers) {
      const t = tasksById.get(c.id);
      if (c.running && (!t || (t.status !== 'RUNNING' && t.status !== 'PAUSED' && t.status !== 'PAUSING'))) runningWithoutTask.add(c.id);
    }
  }

  let processDead: Set<string> | null = null;
  if (i.tasks) {
    processDead = new Set();
    for (const t of i.tasks) if (t.status === 'RUNNING' && t.pid > 0 && !i.processAlive(t.pid)) processDead.add(t.id);
  }

  let unknownTask: Set<string> | null = null;
  if (i.tasks && dockerIds) {
    unknownTask = new Set();
    for (const t of i.tasks) if (t.status === 'RUNNING' && !dockerIds.has(t.id)) unknownTask.add(t.id);
  }

  let exitWithoutDie: Set<string> | null = null;
  if (i.streamsUpSinceMs !== null) {
    exitWithoutDie = new Set();
    for (const [id, atMs] of i.exits) {
      // An exit from before both streams were up cannot be judged: its `die` may have gone unseen by us.
      if (atMs < i.streamsUpSinceMs) continue;
      const die = i.lastDieMs(id);
      if (die === null || die < atMs - DIE_AFTER_EXIT_SLACK_MS) exitWithoutDie.add(id);
    }
  }

  return {
    running_without_task: runningWithoutTask,
    task_process_dead: processDead,
    task_unknown_to_dockerd: unknownTask,
    exit_without_die: exitWithoutDie,
  };
}

/** Folds one observation into the memory of first sightings; counts what has lasted CONFIRM_MS. */
export function advanceDrift(prev: DriftMemory, i: DriftInputs): DriftResult {
  const seen = observeDrift(i);
  const memory = new Map<DriftKind, Map<string, number>>();
  const counts = {} as Record<DriftKind, number | null>;
  const ids = {} as Record<DriftKind, string[]>;
  for (const kind of DRIFT_KINDS) {
    const now = seen[kind];
    const before = prev.get(kind) ?? new Map<string, number>();
    const kept = new Map<string, number>();
    if (now === null) {
      // Unknown this round: keep what was seen, count nothing.
      memory.set(kind, new Map(before));
      counts[kind] = null;
      ids[kind] = [];
      continue;
    }
    for (const id of now) {
      // An exit's clock starts at the exit itself; the others at their first sighting.
      const since = kind === 'exit_without_die' ? (i.exits.get(id) ?? i.nowMs) : (before.get(id) ?? i.nowMs);
      kept.set(id, since);
    }
    memory.set(kind, kept);
    ids[kind] = [...kept].filter(([, since]) => i.nowMs - since >= CONFIRM_MS).map(([id]) => id);
    counts[kind] = ids[kind].length;
  }
  return { counts, ids, memory };
}

export const noDrift: DriftMemory = new Map();
