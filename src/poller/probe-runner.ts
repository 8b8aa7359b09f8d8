/**
 * Schedules the socket probes (src/sources/probes/) against the engine the process scan found. It
 * holds no probe's logic: each poll it lets every daemon prepare, starts each probe that is due and
 * not still running, and records how each run went in one place (execute).
 *
 * Every probe is its own lane: a poll starts the due ones and never waits for them (only the first
 * poll does, so the first scrape has answers). So a hung containerd's health check times out on its
 * own deadline, and neither the process scan nor dockerd's ping waits behind it.
 */
import type { Logger } from 'pino';
import type { EngineView } from '../engine/attribute.js';
import type { ProbeName, ProbeOutcome, ProbeReport } from '../engine/probe-report.js';
import type { ScanLooks } from '../engine/process-model.js';
import type { ScanRequest } from '../sources/process-source.js';
import { createEngineProbes, type EngineProbeOptions } from '../sources/probes/engine-probes.js';
import type { Probe, ProbeSet } from '../sources/probes/probe.js';

export type ProbeRunnerOptions = EngineProbeOptions;

export interface ProbeRunner {
  /**
   * Starts the probes that are due for this view; resolves when those finish (callers need not wait).
   * `looked`: what the scan found for scanRequest().
   */
  tick(view: EngineView, looked?: ScanLooks): Promise<void>;
  /** The sockets the health probes will check and the pids the drift check reads: the next scan looks first. */
  scanRequest(): ScanRequest;
  /** What the probes know now. */
  report(): ProbeReport;
  close(): void;
}

/** Wall time for due times and outcome stamps; a monotonic clock for durations. Tests pass their own. */
export interface ProbeClock {
  nowMs(): number;
  monotonicMs(): number;
}

const systemClock: ProbeClock = { nowMs: () => Date.now(), monotonicMs: () => performance.now() };

export function createProbeRunner(opts: ProbeRunnerOptions): ProbeRunner {
  return scheduleProbes(createEngineProbes(opts), opts.logger);
}

export function scheduleProbes(set: ProbeSet, logger: Logger, clock: ProbeClock = systemClock): ProbeRunner {
  const outcomes = new Map<ProbeName, ProbeOutcome>();
  const running = new Set<ProbeName>();

  /** Runs one probe; times it, records success or failure, logs once on failing and once on recovery. */
  const execute = async (probe: Probe): Promise<void> => {
    running.add(probe.name);
    const started = clock.monotonicMs();
    const took = (): number => (clock.monotonicMs() - started) / 1000;
    try {
      await probe.run();
      running.delete(probe.name);
      if (outcomes.get(probe.name)?.success === false) logger.info({ probe: probe.name }, 'probe recovered');
      outcomes.set(probe.name, { success: true, durationSeconds: took(), error: null, atMs: clock.nowMs() });
    } catch (err) {
      running.delete(probe.name);
      const error = err instanceof Error ? err.message : String(err);
      const previous = outcomes.get(probe.name);
      // One line when a probe starts failing, not one per poll while it keeps failing.
      if (!previous || previous.success) logger.warn({ probe: probe.name, err: error }, 'probe failed');
      outcomes.set(probe.name, { success: false, durationSeconds: took(), error, atMs: clock.nowMs() });
    }
  };

  return {
    async tick(view, looked) {
      const now = clock.nowMs();
      const runs: Promise<void>[] = [];
      for (const daemon of set.daemons) {
        daemon.prepare(view, now, looked);
        for (const probe of daemon.probes) {
          if (probe.due() && !running.has(probe.name)) runs.push(execute(probe));
        }
      }
      await Promise.all(runs);
    },
    scanRequest() {
      const sockets: string[] = [];
      const pids: number[] = [];
      for (const daemon of set.daemons) {
        const path = daemon.socketPath?.() ?? null;
        if (path !== null) sockets.push(path);
        pids.push(...(daemon.taskPids?.() ?? []));
      }
      return { sockets, pids };
    },
    report() {
      const now = clock.nowMs();
      for (const daemon of set.daemons) {
        for (const watch of daemon.watches) {
          const outcome = watch.outcome(now);
          if (outcome) outcomes.set(watch.name, outcome);
        }
      }
      return set.report(outcomes);
    },
    close() {
      for (const daemon of set.daemons) daemon.close();
    },
  };
}
