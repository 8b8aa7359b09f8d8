/**
 * Restart memory (--state.file): what of the tracker survives an exporter restart. Pure: the state to
 * JSON-ready data and back, validated field by field so that a corrupt file is an error, never a
 * half-restored state. Identities come back as "last seen", so a dockerd or containerd that was
 * replaced while the exporter was down counts as one restart at the next poll (several restarts in
 * that gap cannot be told apart and count as one).
 */
import { oneLine } from '../one-line.js';
import { COMPONENTS, SINGLETONS, perComponent, type Component, type ContainerdMode } from './components.js';
import { initialTrackerState, type Identity, type TrackerState } from './tracker.js';

export const STATE_FORMAT_VERSION = 1;

export interface PersistedState {
  version: typeof STATE_FORMAT_VERSION;
  savedAtMs: number;
  singletons: Record<'dockerd' | 'containerd', { last: Identity | null; restarts: number }>;
  retiredCpuSeconds: Record<Component, number>;
  liveCpu: { key: string; component: Component; cpuSeconds: number }[];
  containerdMode: ContainerdMode;
  containerdAddress: string | null;
  taskExits: Record<string, number>;
  taskOoms: Record<string, number>;
}

export interface EventCounts {
  exits: ReadonlyMap<string, number>;
  ooms: ReadonlyMap<string, number>;
}

export class InvalidStateError extends Error {
  constructor(reason: string) {
    super(oneLine(`invalid state file: ${reason}`));
    this.name = 'InvalidStateError';
  }
}

export function toPersisted(tracker: TrackerState, events: EventCounts | null, savedAtMs: number): PersistedState {
  const single = (name: 'dockerd' | 'containerd') => {
    const t = tracker.singletons[name];
    return { last: t.current ?? t.last, restarts: t.restarts };
  };
  return {
    version: STATE_FORMAT_VERSION,
    savedAtMs,
    singletons: { dockerd: single('dockerd'), containerd: single('containerd') },
    retiredCpuSeconds: { ...tracker.retiredCpuSeconds },
    liveCpu: [...tracker.liveCpu].map(([key, v]) => ({ key, component: v.component, cpuSeconds: v.cpuSeconds })),
    containerdMode: tracker.memory.containerdMode,
    containerdAddress: tracker.memory.containerdAddress,
    taskExits: Object.fromEntries(events?.exits ?? []),
    taskOoms: Object.fromEntries(events?.ooms ?? []),
  };
}

/** The tracker to start from: counters continue, the last identities wait to be compared. */
export function trackerFromPersisted(p: PersistedState): TrackerState {
  const state = initialTrackerState();
  for (const name of SINGLETONS) {
    state.singletons[name] = { ...state.singletons[name], last: p.singletons[name].last, restarts: p.singletons[name].restarts };
  }
  state.retiredCpuSeconds = { ...p.retiredCpuSeconds };
  state.liveCpu = new Map(p.liveCpu.map((e) => [e.key, { component: e.component, cpuSeconds: e.cpuSeconds }]));
  state.memory = {
    containerdMode: p.containerdMode,
    containerdAddress: p.containerdAddress,
    lastDockerdPid: p.singletons.dockerd.last?.pid ?? null,
    lastContainerdPid: p.singletons.containerd.last?.pid ?? null,
  };
  return state;
}

/** Validates parsed JSON as a PersistedState; throws InvalidStateError naming the first bad field. */
export function parsePersisted(data: unknown): PersistedState {
  const obj = record(data, 'top level');
  if (obj.version !== STATE_FORMAT_VERSION) throw new InvalidStateError(`unsupported version ${JSON.stringify(obj.version)}`);
  const singletons = record(obj.singletons, 'singletons');
  const single = (name: 'dockerd' | 'containerd') => {
    const s = record(singletons[name], `singletons.${name}`);
    return { last: s.last === null ? null : identity(s.last, `singletons.${name}.last`), restarts: count(s.restarts, `singletons.${name}.restarts`) };
  };
  const retired = record(obj.retiredCpuSeconds, 'retiredCpuSeconds');
  const modes: readonly ContainerdMode[] = ['managed', 'system', 'none', 'unknown'];
  if (!modes.includes(obj.containerdMode as ContainerdMode)) throw new InvalidStateError('containerdMode');
  if (obj.containerdAddress !== null && typeof obj.containerdAddress !== 'string') throw new InvalidStateError('containerdAddress');
  if (!Array.isArray(obj.liveCpu)) throw new InvalidStateError('liveCpu is not a list');
  return {
    version: STATE_FORMAT_VERSION,
    savedAtMs: count(obj.savedAtMs, 'savedAtMs'),
    singletons: { dockerd: single('dockerd'), containerd: single('containerd') },
    retiredCpuSeconds: perComponent((c) => count(retired[c], `retiredCpuSeconds.${c}`)),
    liveCpu: obj.liveCpu.map((e, i) => {
      const r = record(e, `liveCpu[${i}]`);
      if (typeof r.key !== 'string' || !COMPONENTS.includes(r.component as Component)) throw new InvalidStateError(`liveCpu[${i}]`);
      return { key: r.key, component: r.component as Component, cpuSeconds: count(r.cpuSeconds, `liveCpu[${i}].cpuSeconds`) };
    }),
    containerdMode: obj.containerdMode as ContainerdMode,
    containerdAddress: obj.containerdAddress as string | null,
    taskExits: counts(obj.taskExits, 'taskExits'),
    taskOoms: counts(obj.taskOoms, 'taskOoms'),
  };
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidStateError(`${what} is not an object`);
  return v as Record<string, unknown>;
}

function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidStateError(`${what} is not a non-negative number`);
  return v;
}

function counts(v: unknown, what: string): Record<string, number> {
  const r = record(v, what);
  return Object.fromEntries(Object.entries(r).map(([k, n]) => [k, count(n, `${what}.${k}`)]));
}

function identity(v: unknown, what: string): Identity {
  const r = record(v, what);
  const pid = count(r.pid, `${what}.pid`);
  const start = r.start === null ? null : count(r.start, `${what}.start`);
  const startTimeSeconds = r.startTimeSeconds === null ? null : count(r.startTimeSeconds, `${what}.startTimeSeconds`);
  return { pid, start, startTimeSeconds };
}
