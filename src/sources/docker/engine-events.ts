/**
 * A standing, read-only `GET /events` subscription to dockerd: container `die`, `oom` and
 * `health_status` events, counted by type. dockerd streams one JSON object per line and keeps the
 * connection open; a dockerd restart ends it, and it is opened again with a back-off. It never blocks
 * a poll: the counts are read, not awaited.
 *
 * `health_status` arrives as "health_status: healthy" / "…: unhealthy" (and a bare filter value
 * matches both: moby daemon/events/filter.go); it is counted as one type, so no label carries
 * anything the container chose. The ids of recent `die` events are kept (bounded) for the drift check.
 */
import * as http from 'node:http';
import type { Logger } from 'pino';
import { assertHttpAllowed } from '../read-only.js';

import { CONTAINER_EVENT_TYPES, type ContainerEventType } from '../../engine/probe-report.js';

interface ContainerEventCounts {
  byType: ReadonlyMap<ContainerEventType, number>;
  /** Events whose line was not JSON or was too long: counted, never fatal. */
  malformed: number;
  connected: boolean;
  /** Established streams that ended (dockerd restarted or went away). */
  drops: number;
  /** When the current stream was established (ms); null while not connected. */
  connectedSinceMs: number | null;
}

export interface EngineEventWatcher {
  counts(): ContainerEventCounts;
  /** When dockerd last reported `die` for this container (ms), if within the kept window. */
  lastDieMs(containerId: string): number | null;
  stop(): void;
}

export interface EngineEventWatcherOptions {
  socketPath: string;
  logger: Logger;
  onDrop?: () => void;
  now?: () => number;
}

const FILTERS = JSON.stringify({ type: ['container'], event: [...CONTAINER_EVENT_TYPES] });
export const EVENTS_PATH = `/events?filters=${encodeURIComponent(FILTERS)}`;
/** An event is a few hundred bytes plus the container's labels; a longer line is not one dockerd sends. */
const MAX_LINE_BYTES = 256 * 1024;
/** `die` ids kept for this long, and at most this many. */
const DIE_MEMORY_MS = 15 * 60_000;
const MAX_DIES_KEPT = 10_000;
const MAX_BACKOFF_MS = 5_000;
const STABLE_STREAM_MS = 10_000;

/** The type an event's Action counts as, or null for anything else. */
export function eventTypeOf(action: unknown): ContainerEventType | null {
  if (typeof action !== 'string') return null;
  const head = action.split(':', 1)[0]!.trim();
  return (CONTAINER_EVENT_TYPES as readonly string[]).includes(head) ? (head as ContainerEventType) : null;
}

/** One line of the stream: its counted type and the container's id, or null when it is not one. */
export function parseEventLine(line: string): { type: ContainerEventType; id: string } | 'malformed' | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'malformed';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'malformed';
  const e = v as { Type?: unknown; Action?: unknown; status?: unknown; Actor?: { ID?: unknown }; id?: unknown };
  if (e.Type !== undefined && e.Type !== 'container') return null;
  const type = eventTypeOf(e.Action ?? e.status);
  if (type === null) return null;
  const id = typeof e.Actor?.ID === 'string' ? e.Actor.ID : typeof e.id === 'string' ? e.id : '';
  return { type, id };
}

export function createEngineEventWatcher(opts: EngineEventWatcherOptions): EngineEventWatcher {
  const now = opts.now ?? Date.now;
  const byType = new Map<ContainerEventType, number>(CONTAINER_EVENT_TYPES.map((t) => [t, 0]));
  const dies = new Map<string, number>(); // id → ms, in arrival order
  let malformed = 0;
  let drops = 0;
  let connectedSinceMs: number | null = null;
  let request: http.ClientRequest | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let backoffMs = 100;
  let stopped = false;

  const rememberDie = (id: string): void => {
    if (id === '') return;
    dies.delete(id);
    dies.set(id, now());
    const cutoff = now() - DIE_MEMORY_MS;
    for (const [k, at] of dies) {
      if (dies.size <= MAX_DIES_KEPT && at >= cutoff) break;
      dies.delete(k);
    }
  };

  const onLine = (line: string): void => {
    if (line.trim() === '') return;
    const e = parseEventLine(line);
    if (e === null) return;
    if (e === 'malformed') {
      malformed++;
      return;
    }
    byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
    if (e.type === 'die') rememberDie(e.id);
  };

  const retry = (): void => {
    if (stopped || retryTimer) return;
    retryTimer = setTimeout(connect, backoffMs);
    retryTimer.unref();
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
  };

  const ended = (err: Error | null): void => {
    request = null;
    // The back-off starts again only after a stream that lived: one that ends at once (a proxy that
    // closes it, a dockerd starting up) is retried ever more slowly, not in a tight loop.
    if (connectedSinceMs !== null && now() - connectedSinceMs > STABLE_STREAM_MS) backoffMs = 100;
    if (connectedSinceMs !== null) {
      connectedSinceMs = null;
      drops++;
      opts.logger.warn({ component: 'dockerd', err: err?.message ?? 'stream ended' }, 'dockerd event stream dropped');
      opts.onDrop?.();
    }
    retry();
  };

  function connect(): void {
    retryTimer = null;
    if (stopped) return;
    assertHttpAllowed('GET', EVENTS_PATH);
    let done = false;
    const finish = (err: Error | null): void => {
      if (done) return;
      done = true;
      ended(err);
    };
    const req = http.request({ socketPath: opts.socketPath, path: EVENTS_PATH, method: 'GET', headers: { host: 'docker' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        req.destroy(new Error(`/events answered ${res.statusCode}`));
        return;
      }
      connectedSinceMs = now();
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          onLine(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
        if (pending.length > MAX_LINE_BYTES) {
          malformed++;
          req.destroy(new Error(`an /events line longer than ${MAX_LINE_BYTES} bytes`));
        }
      });
      res.on('end', () => finish(null));
      res.on('error', (err) => finish(err));
    });
    // No deadline: the stream is quiet for as long as nothing happens, and a proxy in front of dockerd
    // may hold back even the headers until the first event. A dockerd that hangs answers when it resumes.
    req.on('error', (err) => finish(err));
    req.on('close', () => finish(null));
    req.end();
    request = req;
  }

  connect();

  return {
    counts: () => ({ byType, malformed, connected: connectedSinceMs !== null, drops, connectedSinceMs }),
    lastDieMs: (id) => dies.get(id) ?? null,
    stop() {
      stopped = true;
      connectedSinceMs = null; // a stop is not a drop
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      request?.destroy();
      request = null;
    },
  };
}
