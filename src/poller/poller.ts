/**
 * The exporter's own clock: polls the process source every interval, independent of scrapes, so that
 * restarts and short outages between two scrapes are still seen. Scrapes only read `status()`.
 */
import type { Logger } from 'pino';
import type { ProcessSource, ReadError } from '../sources/process-source.js';
import { attributeEngine, type AttributionSettings } from '../engine/attribute.js';
import { advanceTracker, initialTrackerState, type EngineEvent, type TrackerState } from '../engine/tracker.js';
import type { EngineState } from '../engine/engine-state.js';

export interface PollerStatus {
  latest: EngineState | null;
  lastSuccessMs: number | null;
  lastDurationSeconds: number | null;
  /** Failed polls by source name. */
  pollErrors: Readonly<Record<string, number>>;
  /** Reads that failed inside otherwise successful polls, by `file/reason`. */
  readErrors: ReadonlyMap<string, number>;
  lastError: string | null;
}

export interface PollerOptions {
  source: ProcessSource;
  intervalMs: number;
  settings: AttributionSettings;
  logger: Logger;
  /** Called after every poll attempt with its duration (for the duration histogram). */
  onPollDone?: (durationSeconds: number, ok: boolean) => void;
  /** Where tracking starts (a later issue restores it from a state file). */
  initialState?: TrackerState;
}

export interface Poller {
  /** Runs one poll now; resolves when it is done (the loop uses it; tests may too). */
  pollOnce(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
  status(): PollerStatus;
}

export function createPoller(opts: PollerOptions): Poller {
  const { source, logger } = opts;
  let tracker = opts.initialState ?? initialTrackerState();
  let latest: EngineState | null = null;
  let lastSuccessMs: number | null = null;
  let lastDurationSeconds: number | null = null;
  let lastError: string | null = null;
  const pollErrors: Record<string, number> = { [source.name]: 0 };
  const readErrors = new Map<string, number>();
  let readErrorKindsLastPoll = new Set<string>();
  let notesLastPoll = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  let stopped = false;

  const pollOnce = async (): Promise<void> => {
    const started = performance.now();
    let ok = false;
    try {
      const snapshot = await source.scan();
      const view = attributeEngine(snapshot, opts.settings, tracker.memory);
      const advanced = advanceTracker(tracker, view, snapshot.takenAtMs);
      tracker = advanced.state;
      latest = { view, tracker, takenAtMs: snapshot.takenAtMs, scannedPids: snapshot.scannedPids };
      lastSuccessMs = snapshot.takenAtMs;
      for (const event of advanced.events) logEvent(logger, event);
      readErrorKindsLastPoll = noteReadErrors(logger, snapshot.errors, readErrors, readErrorKindsLastPoll);
      notesLastPoll = noteChanges(logger, view.notes, notesLastPoll);
      if (lastError !== null) logger.info({ source: source.name }, 'poll recovered');
      lastError = null;
      ok = true;
    } catch (err) {
      pollErrors[source.name] = (pollErrors[source.name] ?? 0) + 1;
      const message = err instanceof Error ? err.message : String(err);
      // One line per distinct failure, not one per second while it lasts.
      if (message !== lastError) logger.error({ source: source.name, err: message }, 'poll failed');
      lastError = message;
    } finally {
      lastDurationSeconds = (performance.now() - started) / 1000;
      opts.onPollDone?.(lastDurationSeconds, ok);
    }
  };

  const loop = (): void => {
    if (stopped) return;
    const started = performance.now();
    inFlight = pollOnce().finally(() => {
      inFlight = null;
      if (stopped) return;
      const wait = Math.max(0, opts.intervalMs - (performance.now() - started));
      timer = setTimeout(loop, wait);
    });
  };

  return {
    pollOnce,
    start(): void {
      stopped = false;
      loop();
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await inFlight;
    },
    status(): PollerStatus {
      return { latest, lastSuccessMs, lastDurationSeconds, pollErrors, readErrors, lastError };
    },
  };
}

function logEvent(logger: Logger, event: EngineEvent): void {
  switch (event.type) {
    case 'down':
      logger.warn({ component: event.component, oldPid: event.oldPid }, 'component down');
      break;
    case 'up':
      logger.info(
        event.downSeconds === null
          ? { component: event.component, newPid: event.newPid }
          : { component: event.component, newPid: event.newPid, downSeconds: event.downSeconds },
        'component up',
      );
      break;
    case 'restarted':
      logger.warn(
        { component: event.component, oldPid: event.oldPid, newPid: event.newPid, downSeconds: event.downSeconds },
        'component restarted',
      );
      break;
    case 'mode':
      logger.info({ component: 'containerd', from: event.from, to: event.to }, 'containerd mode changed');
      break;
  }
}

/** Counts read errors; logs a kind (file/reason) when it starts and when it stops, not every poll. */
function noteReadErrors(
  logger: Logger,
  errors: readonly ReadError[],
  counts: Map<string, number>,
  previousKinds: ReadonlySet<string>,
): Set<string> {
  const kinds = new Set<string>();
  for (const e of errors) {
    const kind = `${e.file}/${e.reason}`;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    if (!kinds.has(kind) && !previousKinds.has(kind)) {
      logger.warn({ file: e.file, reason: e.reason, err: e.message }, 'read failed');
    }
    kinds.add(kind);
  }
  for (const kind of previousKinds) {
    if (!kinds.has(kind)) logger.info({ kind }, 'read recovered');
  }
  return kinds;
}

function noteChanges(logger: Logger, notes: readonly string[], previous: ReadonlySet<string>): Set<string> {
  const now = new Set(notes);
  for (const note of now) if (!previous.has(note)) logger.warn(note);
  return now;
}
