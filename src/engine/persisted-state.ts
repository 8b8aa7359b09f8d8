/**
 * Restart memory (--state.file): what of the tracker survives an exporter restart. Pure: the state to
 * JSON-ready data and back, validated field by field so that a corrupt file is an error, never a
 * half-restored state. Identities come back as "last seen", so a dockerd or containerd that was
 * replaced while the exporter was down counts as one restart at the next poll (several restarts in
 * that gap cannot be told apart and count as one).
 */
import { COMPONENTS, SINGLETONS, perComponent, type Component, type ContainerdMode } from './components.js';
import { initialTrackerState, type Identity, type TrackerState } from './tracker.js';

const STATE_FORMAT_VERSION = 1;

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
    // Quoted values go through JSON.stringify; the reader (sources/state-file.ts) makes the message one line.
    super(`invalid state file: ${reason}`);
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
    // Only an address a later start would accept: anything else is not worth remembering.
    containerdAddress: isPlausibleSocketPath(tracker.memory.containerdAddress) ? tracker.memory.containerdAddress : null,
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

/** Linux's PID_MAX_LIMIT (2^22): no pid is larger. */
const MAX_PID = 4_194_304;
/** The largest time a JavaScript Date holds, in ms: a later savedAtMs or start time is garbage. */
const MAX_TIME_MS = 8.64e15;
/** sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
/** Bounds on what a file of this exporter ever holds: a process key, a namespace, list and map sizes. */
const MAX_KEY_LENGTH = 256;
const MAX_LIVE_CPU_ENTRIES = 100_000;
const MAX_NAMESPACES = 1000;

/**
 * A containerd socket address as restart memory may hold it: an absolute path, no NUL, no `..`
 * segment, at most 107 bytes. (Whether it is dialled is for attribution to decide with the live engine.)
 */
function isPlausibleSocketPath(v: unknown): v is string {
  return (
    typeof v === 'string' &&
    v.startsWith('/') &&
    !v.includes('\0') &&
    !v.split('/').includes('..') &&
    Buffer.byteLength(v, 'utf8') <= MAX_SOCKET_PATH_BYTES
  );
}

/** Validates parsed JSON as a PersistedState; throws InvalidStateError naming the first bad field. */
export function parsePersisted(data: unknown): PersistedState {
  const obj = record(data, 'top level');
  if (obj.version !== STATE_FORMAT_VERSION) throw new InvalidStateError(`unsupported version ${JSON.stringify(obj.version)}`);
  record(obj, 'top level', TOP_LEVEL_KEYS);
  const singletons = record(obj.singletons, 'singletons', SINGLETONS);
  const single = (name: 'dockerd' | 'containerd') => {
    const s = record(singletons[name], `singletons.${name}`, ['last', 'restarts']);
    return {
      last: s.last === null ? null : identity(s.last, `singletons.${name}.last`),
      restarts: integer(s.restarts, `singletons.${name}.restarts`, 0, Number.MAX_SAFE_INTEGER),
    };
  };
  const retired = record(obj.retiredCpuSeconds, 'retiredCpuSeconds', COMPONENTS);
  const modes: readonly ContainerdMode[] = ['managed', 'system', 'none', 'unknown'];
  if (!modes.includes(obj.containerdMode as ContainerdMode))
    throw new InvalidStateError('containerdMode is not one of managed, system, none, unknown');
  if (obj.containerdAddress !== null && !isPlausibleSocketPath(obj.containerdAddress)) {
    throw new InvalidStateError('containerdAddress is not an absolute socket path of at most 107 bytes without NUL or ".."');
  }
  if (!Array.isArray(obj.liveCpu)) throw new InvalidStateError('liveCpu is not a list');
  if (obj.liveCpu.length > MAX_LIVE_CPU_ENTRIES) throw new InvalidStateError(`liveCpu has more than ${MAX_LIVE_CPU_ENTRIES} entries`);
  const liveCpu = obj.liveCpu.map((e, i) => {
    const r = record(e, `liveCpu[${i}]`, ['key', 'component', 'cpuSeconds']);
    if (!isKey(r.key)) throw new InvalidStateError(`liveCpu[${i}].key is not a string of at most ${MAX_KEY_LENGTH} characters`);
    if (!COMPONENTS.includes(r.component as Component)) throw new InvalidStateError(`liveCpu[${i}].component is not a component`);
    return { key: r.key, component: r.component as Component, cpuSeconds: count(r.cpuSeconds, `liveCpu[${i}].cpuSeconds`) };
  });
  if (new Set(liveCpu.map((e) => e.key)).size !== liveCpu.length) throw new InvalidStateError('liveCpu holds a key twice');
  return {
    version: STATE_FORMAT_VERSION,
    savedAtMs: integer(obj.savedAtMs, 'savedAtMs', 0, MAX_TIME_MS),
    singletons: { dockerd: single('dockerd'), containerd: single('containerd') },
    retiredCpuSeconds: perComponent((c) => count(retired[c], `retiredCpuSeconds.${c}`)),
    liveCpu,
    containerdMode: obj.containerdMode as ContainerdMode,
    containerdAddress: obj.containerdAddress,
    taskExits: counts(obj.taskExits, 'taskExits'),
    taskOoms: counts(obj.taskOoms, 'taskOoms'),
  };
}

const TOP_LEVEL_KEYS = [
  'version',
  'savedAtMs',
  'singletons',
  'retiredCpuSeconds',
  'liveCpu',
  'containerdMode',
  'containerdAddress',
  'taskExits',
  'taskOoms',
] as const;

/**
 * An object with no key but the given ones (when given): an unknown key is a file of another making.
 * A missing key fails in the check of its value.
 */
function record(v: unknown, what: string, keys?: readonly string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidStateError(`${what} is not an object`);
  const r = v as Record<string, unknown>;
  if (keys) {
    for (const k of Object.keys(r))
      if (!keys.includes(k)) throw new InvalidStateError(`${what} has an unknown key ${JSON.stringify(k.slice(0, 40))}`);
  }
  return r;
}

function isKey(v: unknown): v is string {
  return typeof v === 'string' && v.length <= MAX_KEY_LENGTH;
}

/** A finite, non-negative number no larger than any counter of this exporter reaches. */
function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) {
    throw new InvalidStateError(`${what} is not a non-negative finite number`);
  }
  return v;
}

function integer(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new InvalidStateError(`${what} is not an integer from ${min} to ${max}`);
  return v;
}

function counts(v: unknown, what: string): Record<string, number> {
  const r = record(v, what);
  const entries = Object.entries(r);
  if (entries.length > MAX_NAMESPACES) throw new InvalidStateError(`${what} has more than ${MAX_NAMESPACES} namespaces`);
  return Object.fromEntries(
    entries.map(([k, n]) => {
      if (!isKey(k)) throw new InvalidStateError(`${what} has a namespace longer than ${MAX_KEY_LENGTH} characters`);
      // The namespace is quoted: a key may hold a newline, and the message is one log line.
      return [k, integer(n, `${what}[${JSON.stringify(k)}]`, 0, Number.MAX_SAFE_INTEGER)];
    }),
  );
}

function identity(v: unknown, what: string): Identity {
  const r = record(v, what, ['pid', 'start', 'startTimeSeconds']);
  const pid = integer(r.pid, `${what}.pid`, 1, MAX_PID);
  const start = r.start === null ? null : integer(r.start, `${what}.start`, 0, Number.MAX_SAFE_INTEGER);
  const startTimeSeconds = r.startTimeSeconds === null ? null : count(r.startTimeSeconds, `${what}.startTimeSeconds`);
  if (startTimeSeconds !== null && startTimeSeconds * 1000 > MAX_TIME_MS)
    throw new InvalidStateError(`${what}.startTimeSeconds is past any date`);
  return { pid, start, startTimeSeconds };
}
