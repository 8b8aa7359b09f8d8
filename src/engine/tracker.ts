/**
 * Follows the engine over successive polls: identities of the singletons (pid + start time, since a
 * pid alone is reused), their restarts, down/up transitions, and CPU counters that survive processes
 * coming and going. Pure: `advanceTracker` returns a new state and the events it saw.
 */
import type { ProcessInfo } from './process-model.js';
import type { AttributionMemory, EngineView } from './attribute.js';
import { COMPONENTS, SINGLETONS, perComponent, type Component, type ContainerdMode, type Singleton } from './components.js';

export interface Identity {
  pid: number;
  /** Clock ticks since boot, or Unix seconds from a source without ticks; null when unknown. */
  start: number | null;
  startTimeSeconds: number | null;
}

interface SingletonTrack {
  current: Identity | null;
  /** The identity seen most recently, kept while the component is down. */
  last: Identity | null;
  restarts: number;
  /** When the current outage started (ms), null while up. */
  downSinceMs: number | null;
  /** When up/down last changed (ms), null before the first change. */
  lastChangeMs: number | null;
  lastSeenMs: number | null;
  /** Consecutive polls in which it was up but did not answer its probe. */
  unansweredPolls: number;
  /** Up but unanswering on HUNG_AFTER_POLLS polls in a row (a SIGSTOPped or deadlocked daemon). */
  hung: boolean;
  /** up and answering its probe; null when not probed. */
  healthy: boolean | null;
}

/** Polls in a row a live daemon must leave its probe unanswered before it is called hung. */
const HUNG_AFTER_POLLS = 2;
/**
 * A daemon that just came up is not listening yet, and an answer may still be in flight from the
 * probe sent to its predecessor: its unanswered probes count toward "hung" only after this long.
 */
const HUNG_GRACE_MS = 5_000;

export interface TrackerState {
  singletons: Record<Singleton, SingletonTrack>;
  /** CPU seconds of processes that have exited, per component, so the counter never goes back. */
  retiredCpuSeconds: Record<Component, number>;
  /** Last CPU seconds of each live process, by identity key. */
  liveCpu: ReadonlyMap<string, { component: Component; cpuSeconds: number }>;
  memory: AttributionMemory;
  polls: number;
}

export type EngineEvent =
  | { type: 'down'; component: Singleton; oldPid: number; atMs: number }
  | { type: 'up'; component: Singleton; newPid: number; downSeconds: number | null; atMs: number }
  | { type: 'restarted'; component: Singleton; oldPid: number; newPid: number; downSeconds: number; atMs: number }
  | { type: 'mode'; from: ContainerdMode; to: ContainerdMode; atMs: number }
  | { type: 'hung'; component: Singleton; pid: number; polls: number; atMs: number }
  | { type: 'responsive'; component: Singleton; pid: number; atMs: number };

/**
 * News from the socket probes since the last poll: whether each singleton answered (null: not probed,
 * e.g. its socket is unknown). A component without a key has no new answer: its health stays as it was.
 */
export type Answering = Partial<Record<Singleton, boolean | null>>;

export function initialTrackerState(): TrackerState {
  const track = (): SingletonTrack => ({
    current: null,
    last: null,
    restarts: 0,
    downSinceMs: null,
    lastChangeMs: null,
    lastSeenMs: null,
    unansweredPolls: 0,
    hung: false,
    healthy: null,
  });
  return {
    singletons: { dockerd: track(), containerd: track() },
    retiredCpuSeconds: perComponent(() => 0),
    liveCpu: new Map(),
    memory: { containerdMode: 'unknown', containerdAddress: null, lastDockerdPid: null, lastContainerdPid: null },
    polls: 0,
  };
}

function identityOf(p: ProcessInfo): Identity {
  return { pid: p.pid, start: p.startTicks ?? p.startTimeSeconds, startTimeSeconds: p.startTimeSeconds };
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return a.pid === b.pid && a.start === b.start;
}

export function identityKey(p: ProcessInfo): string {
  return `${p.pid}@${p.startTicks ?? p.startTimeSeconds ?? '?'}`;
}

export function advanceTracker(
  prev: TrackerState,
  view: EngineView,
  nowMs: number,
  answering: Answering = {},
): { state: TrackerState; events: EngineEvent[] } {
  const events: EngineEvent[] = [];
  const singletons = { ...prev.singletons };
  for (const name of SINGLETONS) {
    const seen = view[name];
    const moved = advanceSingleton(name, prev.singletons[name], seen ? identityOf(seen) : null, nowMs, events);
    singletons[name] = name in answering ? advanceHealth(name, moved, answering[name] ?? null, nowMs, events) : keepHealth(moved);
  }

  // CPU: a counter per component = CPU of processes that exited + CPU of live ones.
  const retired = { ...prev.retiredCpuSeconds };
  const liveCpu = new Map<string, { component: Component; cpuSeconds: number }>();
  for (const component of COMPONENTS) {
    for (const p of view.members[component]) {
      if (p.cpuSeconds !== null) liveCpu.set(identityKey(p), { component, cpuSeconds: p.cpuSeconds });
    }
  }
  for (const [key, old] of prev.liveCpu) {
    if (!liveCpu.has(key)) retired[old.component] += old.cpuSeconds;
  }

  if (view.containerdMode !== prev.memory.containerdMode && prev.polls > 0) {
    events.push({ type: 'mode', from: prev.memory.containerdMode, to: view.containerdMode, atMs: nowMs });
  }
  const memory: AttributionMemory = {
    containerdMode: view.containerdMode,
    containerdAddress: view.containerdAddress ?? prev.memory.containerdAddress,
    lastDockerdPid: singletons.dockerd.last?.pid ?? null,
    lastContainerdPid: singletons.containerd.last?.pid ?? null,
  };
  return {
    state: { singletons, retiredCpuSeconds: retired, liveCpu, memory, polls: prev.polls + 1 },
    events,
  };
}

function advanceSingleton(
  component: Singleton,
  prev: SingletonTrack,
  seen: Identity | null,
  nowMs: number,
  events: EngineEvent[],
): SingletonTrack {
  const next: SingletonTrack = { ...prev };
  if (seen !== null) next.lastSeenMs = nowMs;

  if (prev.current !== null && seen !== null) {
    if (sameIdentity(prev.current, seen)) return next;
    // Replaced between two polls, without a gap we could see.
    next.restarts++;
    next.current = seen;
    next.last = seen;
    next.lastChangeMs = nowMs;
    events.push({
      type: 'restarted',
      component,
      oldPid: prev.current.pid,
      newPid: seen.pid,
      downSeconds: gapSeconds(prev.lastSeenMs, seen, nowMs),
      atMs: nowMs,
    });
    return next;
  }
  if (prev.current !== null && seen === null) {
    next.current = null;
    next.downSinceMs = prev.lastSeenMs ?? nowMs;
    next.lastChangeMs = nowMs;
    events.push({ type: 'down', component, oldPid: prev.current.pid, atMs: nowMs });
    return next;
  }
  if (prev.current === null && seen !== null) {
    const downSeconds = prev.downSinceMs === null ? null : Math.max(0, (nowMs - prev.downSinceMs) / 1000);
    next.current = seen;
    next.downSinceMs = null;
    next.lastChangeMs = nowMs;
    if (prev.last !== null && !sameIdentity(prev.last, seen)) {
      next.restarts++;
      events.push({
        type: 'restarted',
        component,
        oldPid: prev.last.pid,
        newPid: seen.pid,
        downSeconds: downSeconds ?? gapSeconds(prev.lastSeenMs, seen, nowMs),
        atMs: nowMs,
      });
    } else {
      events.push({ type: 'up', component, newPid: seen.pid, downSeconds, atMs: nowMs });
    }
    next.last = seen;
    return next;
  }
  return next;
}

/** Between probe rounds: a component that went down is not healthy; otherwise nothing new is known. */
function keepHealth(track: SingletonTrack): SingletonTrack {
  if (track.current !== null || track.healthy === null) return track;
  return { ...track, healthy: false, hung: false, unansweredPolls: 0 };
}

function advanceHealth(
  component: Singleton,
  track: SingletonTrack,
  answered: boolean | null,
  nowMs: number,
  events: EngineEvent[],
): SingletonTrack {
  const up = track.current !== null;
  // The process's own age (not when the exporter first saw it): a long-running daemon gets no grace.
  const startedMs = track.current?.startTimeSeconds != null ? track.current.startTimeSeconds * 1000 : track.lastChangeMs;
  const settling = up && startedMs !== null && nowMs - startedMs < HUNG_GRACE_MS;
  const unanswered = up && answered === false && !settling;
  const next: SingletonTrack = {
    ...track,
    healthy: answered === null ? null : up && answered,
    unansweredPolls: unanswered ? track.unansweredPolls + 1 : 0,
  };
  if (!track.hung && unanswered && next.unansweredPolls >= HUNG_AFTER_POLLS && track.current) {
    next.hung = true;
    events.push({ type: 'hung', component, pid: track.current.pid, polls: next.unansweredPolls, atMs: nowMs });
  } else if (track.hung && !unanswered) {
    next.hung = false;
    if (up && answered === true && track.current) events.push({ type: 'responsive', component, pid: track.current.pid, atMs: nowMs });
  }
  return next;
}

/** How long an unseen outage lasted: from the last sighting of the old process to the new one's start. */
function gapSeconds(lastSeenMs: number | null, seen: Identity, nowMs: number): number {
  const endMs = seen.startTimeSeconds !== null ? seen.startTimeSeconds * 1000 : nowMs;
  if (lastSeenMs === null) return 0;
  return Math.max(0, Math.round(endMs - lastSeenMs) / 1000);
}
