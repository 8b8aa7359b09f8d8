/**
 * What a probe is, in the shape of node_exporter's Collector: each probe is a unit with a name, a
 * deadline, the one read-only request it sends, when it is due and what it does; the runner
 * (src/poller/probe-runner.ts) schedules and times them all the same way and knows nothing else.
 *
 * Probes of one daemon share its client and what it last answered, so they are grouped per daemon
 * (containerd.ts, dockerd.ts): the group picks its client for each poll (prepare), and contributes
 * its part of the ProbeReport.
 */
import type { EngineView } from '../../engine/attribute.js';
import type { ProbeName, ProbeOutcome, ProbeReport } from '../../engine/probe-report.js';
import { assertSocketPresent } from '../socket-present.js';
import type { ScanLooks, SocketFileState } from '../../engine/process-model.js';

/** The request a probe sends, as read-only.ts lists it. */
export type ProbeRequest = { grpc: string } | { http: { method: 'GET'; path: string } };

export interface Probe {
  readonly name: ProbeName;
  /** Passed to the client as the call's timeout. */
  readonly deadlineMs: number;
  readonly request: ProbeRequest;
  /** The other requests it sends, if it sends more than one kind (the sweep): on the allowlist too. */
  readonly alsoSends?: readonly ProbeRequest[];
  /** Asked once per poll, after its daemon's prepare(). */
  due(): boolean;
  /** Throws on failure; the runner records the outcome. */
  run(): Promise<void>;
}

/** A standing subscription rather than a call: its outcome is read, not run. */
export interface Watch {
  readonly name: ProbeName;
  readonly request: ProbeRequest;
  /** Null while there is nothing to watch yet. */
  outcome(nowMs: number): ProbeOutcome | null;
}

export interface DaemonProbes {
  readonly probes: readonly Probe[];
  readonly watches: readonly Watch[];
  /**
   * Called at the start of each poll, before any due(): picks the client and decides what is due.
   * `looked`: what this poll's scan found at the paths and pids asked for below (absent: not looked at).
   */
  prepare(view: EngineView, nowMs: number, looked?: ScanLooks): void;
  /** The socket path the health probe will check next: the scan looks at it first (socket-present.ts). */
  socketPath?(): string | null;
  /** Pids whose state the next scan should read (the drift check's running tasks). */
  taskPids?(): readonly number[];
  close(): void;
}

/** The probes the runner schedules, and how their findings become one ProbeReport. */
export interface ProbeSet {
  readonly daemons: readonly DaemonProbes[];
  report(outcomes: ReadonlyMap<ProbeName, ProbeOutcome>): ProbeReport;
}

export function expectOk(res: { status: number; body: string }, path: string): string {
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
  return res.body;
}

/**
 * Whether a daemon answers its health probe (containerd's Health/Check, dockerd's /_ping), and how
 * often it was asked: what the tracker reads to call a live daemon hung. The socket file is checked
 * first, since an open connection outlives a removed socket and new clients do not. A change of answer
 * asks for a poll at once, so that health follows within the probe's deadline.
 */
export class Answering {
  value: boolean | null = null;
  count = 0;

  /** What this poll's scan found at the socket paths it was asked about. */
  private seen: ReadonlyMap<string, SocketFileState> | undefined;

  constructor(private readonly onChanged: () => void) {}

  /** From prepare(): the scan's stats for this poll; a path it did not look at is stat'ed by check(). */
  scanSaw(sockets: ReadonlyMap<string, SocketFileState> | undefined): void {
    this.seen = sockets;
  }

  async check(socketPath: string, call: () => Promise<void>): Promise<void> {
    const before = this.value;
    try {
      await assertSocketPresent(socketPath, this.seen?.get(socketPath));
      await call();
      this.value = true;
    } catch (err) {
      this.value = false;
      throw err;
    } finally {
      this.count++;
      if (before !== null && before !== this.value) this.onChanged();
    }
  }
}
