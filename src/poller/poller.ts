/**
 * The exporter's own clock: polls the process source every interval, independent of scrapes, so that
 * restarts and short outages between two scrapes are still seen. Scrapes only read `status()`.
 */
import type { Logger } from 'pino';
import type { ProcessSource } from '../sources/process-source.js';
import type { ReadError } from '../engine/process-model.js';
import { attributeEngine, type AttributionSettings } from '../engine/attribute.js';
import { advanceTracker, initialTrackerState, type Answering, type EngineEvent, type TrackerState } from '../engine/tracker.js';
import type { ChainChecks, EngineState } from '../engine/engine-state.js';
import type { EngineView } from '../engine/attribute.js';
import { containerIdsOf, countMissingProxies, countOrphanShims, stuckRunc, taskIdsOf } from '../engine/chain-checks.js';
import type { ProbeRunner } from './probe-runner.js';
import type { ProbeReport } from '../engine/probe-report.js';
import { computeHeadroom, headroomRequest, type Headroom, type HeadroomReadings, type HeadroomRequest } from '../engine/headroom.js';
import type { KmsgReader } from '../sources/kmsg/kmsg-reader.js';
import { advanceKernelCauses, causeOfEnd, engineProcesses, initialKernelCauses, type KernelCausesState } from '../engine/kernel-causes.js';

interface PollerStatus {
  latest: EngineState | null;
  lastSuccessMs: number | null;
  lastDurationSeconds: number | null;
  /**
   * How far apart successful polls are meant to be now: the interval, or twice the last successful
   * poll's duration when that took longer (the pause after a slow poll, below). Staleness is judged
   * against this, so a poll slowed by a busy host is not mistaken for a stuck one.
   */
  cadenceMs: number;
  /** Failed polls by source name. */
  pollErrors: Readonly<Record<string, number>>;
  /** Reads that failed inside otherwise successful polls, by `file/reason`. */
  readErrors: ReadonlyMap<string, number>;
  /** Process scans by `kind/reason` (rooted scans: `rooted/children` or `rooted/new-pids`), from sources that say how they scanned. */
  scans: ReadonlyMap<string, number>;
  /** Processes a full scan's audit found that the rooted scan had missed. */
  auditMissed: number;
  lastError: string | null;
}

export interface PollerOptions {
  source: ProcessSource;
  intervalMs: number;
  settings: AttributionSettings;
  logger: Logger;
  /** Called after every poll attempt with its duration (for the duration histogram). */
  onPollDone?: (durationSeconds: number, ok: boolean) => void;
  /** Where tracking starts (restored from --state.file when one is given). */
  initialState?: TrackerState;
  /** Socket probes; absent in tests of the process side alone. */
  probes?: ProbeRunner;
  /** Every poll waits for its probe round, not only the first: a one-shot look reads what its own round found. */
  awaitEveryProbeRound?: boolean;
  /** A runc older than this is stuck (--runc.stuck-after). */
  runcStuckAfterSeconds?: number;
  /** Called after every successful poll with the new state (the state file saver listens). */
  onPolled?: (state: EngineState) => void;
  /** Monotonic milliseconds for poll durations and the pause after an overrun; tests pass a fake. */
  monotonicMs?: () => number;
  /** The kernel log, read after every scan for OOM kills and hung-task reports; null when it cannot be read. */
  kernelLog?: KmsgReader | null;
  /**
   * The headroom reads (limits, thread states, cgroup pids, statfs) at most this often, and at once
   * whenever the engine's processes or places change; between reads the last readings are joined with
   * each poll's scan. 0: every poll (docs/architecture.md, "What a poll costs").
   */
  headroomEveryMs?: number;
}

export interface Poller {
  /** Runs one poll now; resolves when it is done (the loop uses it; tests may too). */
  pollOnce(): Promise<void>;
  /** Polls as soon as possible, out of schedule (the event stream dropped). */
  pollNow(): void;
  start(): void;
  /** Stops the loop and waits for the poll in flight (close the source first when it may be blocked). */
  stop(): Promise<void>;
  /** Stops the loop without waiting: a poll in flight ends as cut short, not as a failure. */
  halt(): void;
  status(): PollerStatus;
}

export function createPoller(opts: PollerOptions): Poller {
  const { source, logger } = opts;
  const monotonicMs = opts.monotonicMs ?? (() => performance.now());
  let tracker = opts.initialState ?? initialTrackerState();
  let latest: EngineState | null = null;
  let lastSuccessMs: number | null = null;
  let lastDurationSeconds: number | null = null;
  let lastError: string | null = null;
  let lastErrorKind: string | null = null;
  let lastPollOk = true;
  let lastOkDurationMs = 0;
  const pollErrors: Record<string, number> = { [source.name]: 0 };
  const readErrors = new Map<string, number>();
  const scans = new Map<string, number>();
  let auditMissed = 0;
  let readErrorKindsLastPoll = new Set<string>();
  let notesLastPoll = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  let stopped = false;
  let first = true;
  let seenAnswers = { dockerd: 0, containerd: 0 };
  let kernel: KernelCausesState | null = opts.kernelLog ? initialKernelCauses() : null;
  let kernelLogFailure: string | null = null;
  let lostKernelRecords = 0;
  let headroomRead: { key: string; readings: HeadroomReadings; atMs: number } | null = null;
  const headroomEveryMs = opts.headroomEveryMs ?? 0;

  const pollOnce = async (): Promise<void> => {
    const started = monotonicMs();
    let ok = false;
    try {
      // The scan also looks at what the probes are about to use (their sockets, the tasks' pids).
      const snapshot = await source.scan(opts.probes?.scanRequest());
      const view = attributeEngine(snapshot, opts.settings, tracker.memory);
      // Probes run beside the scan, never in its way (probe-runner.ts); only the first poll waits
      // for them, so that the first scrape already has their answers.
      if (opts.probes) {
        const round = opts.probes.tick(view, snapshot);
        if (first || opts.awaitEveryProbeRound) await round;
        first = false;
      }
      const probes = opts.probes?.report() ?? null;
      // Headroom is read for the processes just attributed, through the source's own guarded thread,
      // before the tracker moves on (a failed read fails the poll, and nothing is half-applied).
      let headroom: Headroom | undefined;
      let errors = snapshot.errors;
      let carriedErrors: readonly ReadError[] = [];
      if (source.readHeadroom) {
        const request = headroomRequest(view, probes);
        const key = headroomKey(request);
        const now = monotonicMs();
        if (headroomRead === null || headroomRead.key !== key || now - headroomRead.atMs >= headroomEveryMs) {
          const readings = await source.readHeadroom(request);
          headroomRead = { key, readings, atMs: now };
          errors = [...errors, ...readings.errors];
        } else {
          carriedErrors = headroomRead.readings.errors; // still failing, not failed again: not counted twice
        }
        headroom = computeHeadroom(view, headroomRead.readings);
      }
      const answering: Answering = {};
      if (probes && probes.dockerdAnswers !== seenAnswers.dockerd) answering.dockerd = probes.dockerdAnswering;
      if (probes && probes.containerdAnswers !== seenAnswers.containerd) answering.containerd = probes.containerdAnswering;
      seenAnswers = { dockerd: probes?.dockerdAnswers ?? 0, containerd: probes?.containerdAnswers ?? 0 };
      const advanced = advanceTracker(tracker, view, snapshot.takenAtMs, answering);
      const before = tracker;
      tracker = advanced.state;
      // After the scan: a daemon the scan no longer saw was killed before it, so the kernel's line
      // about it is already there. Its identity comes from the previous poll's view.
      if (opts.kernelLog && kernel) {
        const drained = opts.kernelLog.drain();
        const candidates = [...engineProcesses(latest?.view.members ?? view.members), ...engineProcesses(view.members)];
        const adv = advanceKernelCauses(kernel, drained.reports, candidates, snapshot.ticksPerSecond);
        kernel = adv.state;
        for (const a of adv.attributed) logger.warn({ component: a.component, pid: a.pid, cause: a.cause }, 'kernel report');
        if (drained.lost > 0 && lostKernelRecords === 0)
          logger.warn({ lost: drained.lost }, 'kernel log records overwritten before they were read');
        lostKernelRecords += drained.lost;
        const failure = opts.kernelLog.failure();
        if (failure !== null && failure !== kernelLogFailure)
          logger.error({ err: failure }, 'kernel log read failed: no more OOM kill or hung-task causes');
        kernelLogFailure = failure;
      }
      const checks = chainChecks(view, probes, snapshot.takenAtMs / 1000, opts.runcStuckAfterSeconds ?? 30);
      latest = {
        view,
        tracker,
        probes,
        checks,
        takenAtMs: snapshot.takenAtMs,
        scannedPids: snapshot.scannedPids,
        kernel,
        ...(headroom ? { headroom } : {}),
      };
      opts.onPolled?.(latest);
      lastSuccessMs = snapshot.takenAtMs;
      for (const event of advanced.events) logEvent(logger, event, endCause(kernel, before, event));
      if (snapshot.scan) {
        const kind = `${snapshot.scan.kind}/${snapshot.scan.reason}`;
        scans.set(kind, (scans.get(kind) ?? 0) + 1);
        auditMissed += snapshot.scan.missed.length;
        for (const m of snapshot.scan.missed) {
          logger.warn({ pid: m.pid, ppid: m.ppid, comm: m.comm }, 'scan audit: a full scan found a process the rooted scan missed');
        }
      }
      readErrorKindsLastPoll = noteReadErrors(logger, errors, carriedErrors, readErrors, readErrorKindsLastPoll);
      notesLastPoll = noteChanges(logger, view.notes, notesLastPoll);
      if (lastError !== null) logger.info({ source: source.name }, 'poll recovered');
      lastError = null;
      lastErrorKind = null;
      ok = true;
    } catch (err) {
      // A failed poll leaves `latest` and lastSuccessMs at the last successful one. While a scan is
      // blocked every poll fails fast (counted, lastError says for how long), so that state ages:
      // main.ts withholds the engine series and /healthz says 503 once it is older than three
      // intervals, and the status page marks it stale. It is never shown as fresh.
      if (stopped) return; // cut short by shutdown (the source was closed under it): not a failure
      pollErrors[source.name] = (pollErrors[source.name] ?? 0) + 1;
      const message = err instanceof Error ? err.message : String(err);
      // One line per distinct failure, not one per second while it lasts. An error with a `code`
      // (a blocked scan, whose message counts the seconds) is the same failure while the code is.
      const kind = errorKind(err, message);
      if (kind !== lastErrorKind) logger.error({ source: source.name, err: message }, 'poll failed');
      lastError = message;
      lastErrorKind = kind;
    } finally {
      lastDurationSeconds = (monotonicMs() - started) / 1000;
      lastPollOk = ok;
      if (ok) lastOkDurationMs = lastDurationSeconds * 1000;
      opts.onPollDone?.(lastDurationSeconds, ok);
    }
  };

  let again = false;
  const loop = (): void => {
    if (stopped) return;
    timer = null;
    const started = monotonicMs();
    inFlight = pollOnce().finally(() => {
      inFlight = null;
      if (stopped) return;
      // A poll that takes longer than the interval (tens of thousands of processes on a slow host) is
      // followed by a pause as long as itself: polling never takes more than half a core. A failed
      // poll is not: its time was spent waiting (a blocked scan), and the next one fails fast or
      // finds the scan working again.
      const took = lastPollOk ? monotonicMs() - started : 0;
      const wait = again ? 0 : Math.max(opts.intervalMs - took, took >= opts.intervalMs ? took : 0);
      again = false;
      timer = setTimeout(loop, wait);
    });
  };

  return {
    pollOnce,
    pollNow(): void {
      if (stopped) return;
      if (inFlight) {
        again = true;
        return;
      }
      if (timer) clearTimeout(timer);
      loop();
    },
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
    halt(): void {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
    status(): PollerStatus {
      const cadenceMs = lastOkDurationMs >= opts.intervalMs ? 2 * lastOkDurationMs : opts.intervalMs;
      return { latest, lastSuccessMs, lastDurationSeconds, cadenceMs, pollErrors, readErrors, scans, auditMissed, lastError };
    },
  };
}

/** The headroom request as a string: a new process (pid and start) or place reads headroom at once. */
function headroomKey(request: HeadroomRequest): string {
  let key = '';
  for (const p of request.processes) key += `${p.pid}:${p.startTicks}:${p.cgroup ? 1 : 0},`;
  for (const s of request.storage) key += `|${s.volume}=${s.path}`;
  return key;
}

/** What makes two failures the same one for logging: an error's string `code`, else its message. */
function errorKind(err: unknown, message: string): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? `code:${code}` : message;
}

function chainChecks(view: EngineView, probes: ProbeReport | null, nowSeconds: number, stuckAfter: number): ChainChecks {
  return {
    orphanShims: countOrphanShims(view, taskIdsOf(containerIdsOf(probes)), nowSeconds),
    stuckRunc: stuckRunc(view, nowSeconds, stuckAfter).length,
    missingProxies: countMissingProxies(view, probes?.publishedPorts ?? null, probes?.userlandProxy ?? true),
  };
}

/** The kernel's reason for the end of the process a down or restarted event is about, when it gave one. */
function endCause(kernel: KernelCausesState | null, before: TrackerState, event: EngineEvent): { cause: string } | Record<string, never> {
  if (kernel === null || (event.type !== 'down' && event.type !== 'restarted')) return {};
  const old = before.singletons[event.component].current ?? before.singletons[event.component].last;
  if (old === null || old.pid !== event.oldPid) return {};
  const cause = causeOfEnd(kernel, event.component, old.pid, old.start);
  return cause === null ? {} : { cause };
}

function logEvent(logger: Logger, event: EngineEvent, cause: { cause: string } | Record<string, never>): void {
  switch (event.type) {
    case 'down':
      logger.warn({ component: event.component, oldPid: event.oldPid, ...cause }, 'component down');
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
        { component: event.component, oldPid: event.oldPid, newPid: event.newPid, downSeconds: event.downSeconds, ...cause },
        'component restarted',
      );
      break;
    case 'hung':
      logger.error(
        { component: event.component, pid: event.pid, polls: event.polls },
        'component hung: process alive but not answering on its socket',
      );
      break;
    case 'responsive':
      logger.info({ component: event.component, pid: event.pid }, 'component answering again');
      break;
    case 'mode':
      logger.info({ component: 'containerd', from: event.from, to: event.to }, 'containerd mode changed');
      break;
  }
}

/**
 * Counts read errors; logs a kind (file/reason) when it starts and when it stops, not every poll.
 * `carried` are the errors of a read not made again this poll (the headroom's): they keep their kind
 * going without being counted again.
 */
function noteReadErrors(
  logger: Logger,
  errors: readonly ReadError[],
  carried: readonly ReadError[],
  counts: Map<string, number>,
  previousKinds: ReadonlySet<string>,
): Set<string> {
  const kinds = new Set<string>();
  for (const e of carried) kinds.add(`${e.file}/${e.reason}`);
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
