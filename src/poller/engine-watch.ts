/**
 * The exporter's watching pipeline, built from the flags: process source → poller (attribution and
 * tracking) with the socket probes beside it. The exporter (src/exporter.ts) builds it to serve;
 * `check` (src/check-look.ts) builds it alone for one look, without metrics or HTTP to load.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/flags.js';
import type { TrackerState } from '../engine/tracker.js';
import type { EngineState } from '../engine/engine-state.js';
import { createPoller, type Poller } from './poller.js';
import { createProbeRunner, type ProbeRunner } from './probe-runner.js';
import { withConfiguredSockets, type ProcessSource } from '../sources/process-source.js';
import { createProcfsSource } from '../sources/procfs/procfs-source.js';
import { createPsListSource } from '../sources/ps-list/ps-list-source.js';
import { openKmsg, type KmsgReader } from '../sources/kmsg/kmsg-reader.js';

/** The exporter's pipeline, built from the same flags as main.ts builds it, without metrics or HTTP. */
export interface EngineWatch {
  source: ProcessSource;
  poller: Poller;
  /** Stops the poller, the probes (gRPC channels, event stream) and the scan worker (see ProcessSource.threadBlocked). */
  close(): Promise<void>;
}

export interface EngineWatchOptions {
  /**
   * serve (the exporter): polls again at once when containerd's event stream drops or a daemon
   * starts or stops answering, reads the kernel log from now on, and only the first poll waits for
   * its probe round. look (`check`'s one-shot look): none of the re-polls, the kernel log's retained
   * records too, and every poll waits for its own probe round, with headroom read each poll.
   */
  mode: 'serve' | 'look';
  /** Restart memory restored from --state.file. */
  initialState?: TrackerState;
  initialEventCounts?: { exits: Readonly<Record<string, number>>; ooms: Readonly<Record<string, number>> };
  onPolled?: (state: EngineState) => void;
  onPollDone?: (durationSeconds: number, ok: boolean) => void;
  /** How long a procfs scan may take before it counts as blocked (default: scanTimeoutFor(interval)). */
  scanTimeoutMs?: number;
  /** A process source to use instead of the one the flags name: the HTTP tests feed a scripted one. */
  source?: ProcessSource;
}

/** The exporter's headroom reads at most this often (and at once when the engine's processes change). */
const HEADROOM_EVERY_MS = 5_000;

/**
 * A scan of 10,000 processes takes ~75 ms, so ten intervals, within 2 to 10 s, is far beyond a slow
 * scan: one that takes longer is blocked in a read. A failed scan is not retried at once: every poll
 * after it fails fast until the blocked read returns (procfs-source.ts).
 */
function scanTimeoutFor(pollIntervalMs: number): number {
  return Math.min(10_000, Math.max(2_000, 10 * pollIntervalMs));
}

export function createEngineWatch(config: Config, logger: Logger, opts: EngineWatchOptions): EngineWatch {
  const look = opts.mode === 'look';
  const sockets = { containerd: config.containerdAddress, docker: config.dockerSocket };
  const source: ProcessSource =
    opts.source ??
    (config.processSource === 'procfs'
      ? createProcfsSource({
          procfsPath: config.procfsPath,
          pidfilePath: config.dockerPidfile,
          rootfsPath: config.rootfsPath,
          fullIntervalMs: config.scanFullIntervalMs,
          scanTimeoutMs: opts.scanTimeoutMs ?? scanTimeoutFor(config.pollIntervalMs),
          sockets,
        })
      : withConfiguredSockets(createPsListSource({ pidfilePath: config.dockerPidfile }), sockets));
  let poller: Poller | null = null;
  let probes: ProbeRunner;
  try {
    probes = createProbeRunner({
      dockerSocket: config.dockerSocket,
      containerdAddressFlag: config.containerdAddress,
      namespaces: config.containerdNamespaces,
      timeoutMs: config.probeTimeoutMs,
      sweepIntervalMs: config.sweepIntervalMs,
      // A one-shot look waits for every round, and a hung shim makes Tasks/List and the sweep wait on
      // it: half the timeout for Tasks/List and a quarter per sweep call (a wedged container's inspect,
      // then its shim) keep that round within half a probe timeout, so check still ends in time.
      ...(look
        ? {
            tasksTimeoutMs: Math.max(10, Math.floor(config.probeTimeoutMs / 2)),
            sweepDeadlineMs: Math.max(10, Math.floor(config.probeTimeoutMs / 4)),
          }
        : {}),
      procfsPath: config.procfsPath,
      rootfsPath: config.rootfsPath,
      logger,
      ...(opts.initialEventCounts ? { initialEventCounts: opts.initialEventCounts } : {}),
      // containerd's socket closes while it is still exiting: look again every 100 ms for up to 2 s,
      // until the scan no longer sees it up.
      onAnswerChanged: () => {
        if (!look) poller?.pollNow();
      },
      onEventStreamDrop: () => {
        if (look) return;
        const until = Date.now() + 2000;
        const again = (): void => {
          if (!poller || Date.now() > until) return;
          poller.pollNow();
          if (poller.status().latest?.view.containerd !== null) setTimeout(again, 100).unref();
        };
        again();
      },
    });
  } catch (err) {
    void source.close();
    throw err;
  }
  const real = probes;
  const kernelLog = openKernelLog(config, logger, look ? 'retained' : 'now');
  poller = createPoller({
    source,
    intervalMs: config.pollIntervalMs,
    settings: { dockerdExpected: config.dockerSocket !== null, containerdAddress: config.containerdAddress },
    logger,
    probes: real,
    ...(look ? { awaitEveryProbeRound: true } : {}),
    runcStuckAfterSeconds: config.runcStuckAfterMs / 1000,
    // A one-shot look reads everything it shows; the exporter reads headroom every 5 s (or each poll,
    // if that is slower): the shortest headroom alert waits 1 min (docs/architecture.md, "What a poll costs").
    headroomEveryMs: look ? 0 : HEADROOM_EVERY_MS,
    ...(opts.initialState ? { initialState: opts.initialState } : {}),
    ...(opts.onPolled ? { onPolled: opts.onPolled } : {}),
    ...(opts.onPollDone ? { onPollDone: opts.onPollDone } : {}),
    kernelLog,
  });
  const thePoller = poller;
  let closed: Promise<void> | null = null;
  return {
    source,
    poller: thePoller,
    close() {
      // The source first: closing it ends a scan in flight at once, so a blocked one cannot hold up
      // the shutdown (the poll it belonged to ends as cut short).
      closed ??= (async () => {
        thePoller.halt();
        await source.close();
        real.close();
        await thePoller.stop();
        kernelLog?.close();
      })();
      return closed;
    },
  };
}

/**
 * The kernel log reader, or null with one log line saying why there is none: the OOM-kill and
 * hung-task series are then absent. Attribution needs start ticks, which only the procfs source has.
 */
function openKernelLog(config: Config, logger: Logger, from: 'now' | 'retained'): KmsgReader | null {
  if (config.kmsgPath === null) return null;
  if (config.processSource !== 'procfs') {
    logger.info({ source: config.processSource }, 'kernel log not read: attributing its reports needs --process.source=procfs');
    return null;
  }
  const opened = openKmsg({ path: config.kmsgPath, procfsPath: config.procfsPath, from });
  if (!opened.ok) {
    logger.warn({ err: opened.reason }, 'kernel log not readable: no OOM kill or hung-task causes (series absent)');
    return null;
  }
  return opened.reader;
}
