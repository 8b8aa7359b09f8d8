/**
 * The standing Events/Subscribe for task exits and OOMs. containerd has no replay, so a dropped
 * stream is reported at once (the poller re-scans immediately) and re-subscribed with a short
 * back-off; tasks are listed on every poll while it is down and once more when it is back
 * (src/sources/probes/containerd.ts). One OOM kill yields several TaskOOM events
 * (three for one kill: docs/architecture.md, "Engine behaviour the code relies on"): one is counted
 * per container until its next exit or for `oomDedupMs`.
 */
import type { Logger } from 'pino';
import type { TaskEventCounts } from '../../engine/probe-report.js';
import type { ContainerdClient, EventEnvelope, Subscription } from './containerd-client.js';

export interface TaskEventWatcher {
  /** Follows this client (re-subscribing when it changes); null stops watching. */
  setClient(client: ContainerdClient | null): void;
  counts(): TaskEventCounts;
  /** Task exits of the last few minutes in one namespace: container id → when it was seen (ms). */
  recentExits(namespace: string): ReadonlyMap<string, number>;
  /** When the current stream was established (ms); null while not subscribed. */
  connectedSinceMs(): number | null;
  stop(): void;
}

export interface TaskEventWatcherOptions {
  namespaces: readonly string[];
  logger: Logger;
  /** Called when an established stream ends: containerd may have died. */
  onDrop: () => void;
  oomDedupMs?: number;
  now?: () => number;
  /** Counts to continue from (restored from the state file). */
  initialCounts?: { exits: Readonly<Record<string, number>>; ooms: Readonly<Record<string, number>> };
}

export function subscriptionFilters(namespaces: readonly string[]): string[] {
  return namespaces.map((ns) => `namespace==${ns},topic~="^/tasks/(exit|oom)$"`);
}

export function createTaskEventWatcher(opts: TaskEventWatcherOptions): TaskEventWatcher {
  const now = opts.now ?? Date.now;
  const oomDedupMs = opts.oomDedupMs ?? 10_000;
  const exits = new Map<string, number>(opts.namespaces.map((ns) => [ns, opts.initialCounts?.exits[ns] ?? 0]));
  const ooms = new Map<string, number>(opts.namespaces.map((ns) => [ns, opts.initialCounts?.ooms[ns] ?? 0]));
  const lastOom = new Map<string, number>(); // `${ns}/${container}` → ms
  const recent = new Map<string, Map<string, number>>(opts.namespaces.map((ns) => [ns, new Map()]));
  let connectedAtMs: number | null = null;
  let client: ContainerdClient | null = null;
  let subscription: Subscription | null = null;
  let connected = false;
  let drops = 0;
  let retryTimer: NodeJS.Timeout | null = null;
  let backoffMs = 100;

  const onEvent = (env: EventEnvelope): void => {
    if (!connected) connectedAtMs = now();
    connected = true;
    backoffMs = 100;
    const e = env.event;
    if (!e || !exits.has(env.namespace)) return;
    const key = `${env.namespace}/${e.containerId}`;
    if (e.kind === 'exit') {
      if (e.id !== e.containerId && e.id !== '') return; // an exec'd process, not the task
      exits.set(env.namespace, (exits.get(env.namespace) ?? 0) + 1);
      lastOom.delete(key);
      rememberExit(recent.get(env.namespace), e.containerId, now());
    } else {
      const last = lastOom.get(key);
      if (last !== undefined && now() - last < oomDedupMs) return;
      lastOom.set(key, now());
      ooms.set(env.namespace, (ooms.get(env.namespace) ?? 0) + 1);
    }
  };

  const subscribe = (): void => {
    retryTimer = null;
    if (!client) return;
    const current = client;
    const started = now();
    subscription = current.subscribe(subscriptionFilters(opts.namespaces), onEvent, (err) => {
      if (client !== current) return;
      subscription = null;
      // A stream that lived a while was established: its end means containerd went away.
      const wasUp = connected || now() - started > 1000;
      connected = false;
      connectedAtMs = null;
      if (wasUp) {
        drops++;
        opts.logger.warn({ component: 'containerd', err: err?.message ?? 'stream ended' }, 'containerd event stream dropped');
        opts.onDrop();
      }
      retryTimer = setTimeout(subscribe, backoffMs);
      backoffMs = Math.min(backoffMs * 2, 2000);
    });
    // grpc streams say nothing until the first event; call it connected once it has not failed at once.
    setTimeout(() => {
      if (client !== current || subscription === null || connected) return;
      connected = true;
      connectedAtMs = started;
    }, 300).unref();
  };

  return {
    setClient(next) {
      if (next === client) return;
      subscription?.cancel();
      subscription = null;
      connected = false;
      connectedAtMs = null;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      client = next;
      backoffMs = 100;
      if (client) subscribe();
    },
    counts: () => ({ exits, ooms, connected, drops }),
    recentExits: (ns) => recent.get(ns) ?? new Map(),
    connectedSinceMs: () => connectedAtMs,
    stop() {
      client = null;
      subscription?.cancel();
      subscription = null;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
    },
  };
}

/** Exits are kept this long (the drift check waits 10 s for dockerd's `die`), and at most this many. */
const EXIT_MEMORY_MS = 15 * 60_000;
const MAX_EXITS_KEPT = 10_000;

function rememberExit(into: Map<string, number> | undefined, containerId: string, atMs: number): void {
  if (!into || containerId === '') return;
  into.delete(containerId);
  into.set(containerId, atMs);
  for (const [id, at] of into) {
    if (into.size <= MAX_EXITS_KEPT && atMs - at < EXIT_MEMORY_MS) break;
    into.delete(id);
  }
}
