/**
 * Why a daemon died or stalled, from the kernel's own log: OOM kills and hung-task reports, attributed
 * to the engine's processes. Pure: the kernel log reader (src/sources/kmsg) hands over the reports it
 * parsed; this file decides which process of the engine, if any, each one is about.
 *
 * A kernel line names a process by pid and comm, and a container's process can be called containerd.
 * So a report counts only for a process the engine model already attributed (by its evidence, see
 * attribute.ts) whose identity matches: the same pid, started before the kernel wrote the line (a pid
 * reused after the kill is a newer process), and for an OOM kill the same comm. A name alone never
 * counts.
 */
import type { ProcessInfo } from './process-model.js';
import { COMPONENTS, perComponent, type Component, type Singleton } from './components.js';

export type KernelCause = 'oom' | 'hung_task';

/** One report the kernel wrote, as the reader parsed it. */
export interface KernelReport {
  cause: KernelCause;
  /**
   * The process (thread group) it is about: the OOM victim's pid, or for a hung task the Tgid of the
   * blocked thread as /proc said while it was still blocked; null when that could not be learnt.
   */
  pid: number | null;
  /** The pid the line itself printed: the victim for an OOM kill, the blocked thread for a hung task. */
  taskPid: number;
  /** comm as the kernel printed it (the kernel escapes bytes outside printable ASCII as \xNN). */
  comm: string;
  /** When the kernel wrote the line, in seconds since boot on the clock of /proc/<pid>/stat's start times. */
  atBootSeconds: number;
  /** For a hung task: the blocked thread's start in clock ticks since boot; null when unknown. */
  taskStartTicks: number | null;
}

/** A report attributed to one process of the engine. */
export interface AttributedCause {
  cause: KernelCause;
  component: Component;
  pid: number;
  /** The process's start in clock ticks since boot: with pid, its identity. */
  startTicks: number;
  atBootSeconds: number;
}

export interface KernelCausesState {
  oomKills: Record<Component, number>;
  hungTaskReports: Record<Component, number>;
  /** The latest cause attributed to each daemon's process, kept until another one replaces it. */
  lastCause: Record<Singleton, AttributedCause | null>;
  /** Reports about processes that are not the engine's (or could not be told apart): other processes, decoys. */
  unattributed: number;
}

export function initialKernelCauses(): KernelCausesState {
  return {
    oomKills: perComponent(() => 0),
    hungTaskReports: perComponent(() => 0),
    lastCause: { dockerd: null, containerd: null },
    unattributed: 0,
  };
}

/** An engine process the model attributed, with its component: a candidate for a kernel report. */
export interface EngineProcess {
  component: Component;
  process: ProcessInfo;
}

/** Every attributed process of a view's members (the previous poll's too: an OOM victim is gone by the next scan). */
export function engineProcesses(members: Readonly<Record<Component, readonly ProcessInfo[]>>): EngineProcess[] {
  return COMPONENTS.flatMap((component) => members[component].map((process) => ({ component, process })));
}

/**
 * The engine process a report is about, or null. `ticksPerSecond` turns start ticks into seconds
 * since boot (the same clock the reader converts the kernel's timestamps to).
 */
export function attributeReport(report: KernelReport, candidates: readonly EngineProcess[], ticksPerSecond: number): EngineProcess | null {
  if (report.pid === null) return null;
  const reportTicks = report.atBootSeconds * ticksPerSecond;
  for (const c of candidates) {
    const p = c.process;
    if (p.pid !== report.pid || p.startTicks === null) continue;
    // The process must have existed when the kernel wrote the line: a newer process with the pid is another one.
    if (p.startTicks > reportTicks) continue;
    if (report.cause === 'oom') {
      // The kernel prints the victim's comm; a process that is not the one we tracked under this pid has another.
      if (p.comm !== report.comm) continue;
    } else {
      // The blocked thread belongs to this process: it started after the process and before the report.
      if (report.taskStartTicks === null || report.taskStartTicks < p.startTicks || report.taskStartTicks > reportTicks) continue;
    }
    return c;
  }
  return null;
}

/** Adds a poll's reports to the counters; returns the new state and what was attributed (for log lines). */
export function advanceKernelCauses(
  prev: KernelCausesState,
  reports: readonly KernelReport[],
  candidates: readonly EngineProcess[],
  ticksPerSecond: number,
): { state: KernelCausesState; attributed: AttributedCause[] } {
  if (reports.length === 0) return { state: prev, attributed: [] };
  const state: KernelCausesState = {
    oomKills: { ...prev.oomKills },
    hungTaskReports: { ...prev.hungTaskReports },
    lastCause: { ...prev.lastCause },
    unattributed: prev.unattributed,
  };
  const attributed: AttributedCause[] = [];
  for (const report of reports) {
    const hit = attributeReport(report, candidates, ticksPerSecond);
    if (hit === null || hit.process.startTicks === null) {
      state.unattributed++;
      continue;
    }
    const cause: AttributedCause = {
      cause: report.cause,
      component: hit.component,
      pid: hit.process.pid,
      startTicks: hit.process.startTicks,
      atBootSeconds: report.atBootSeconds,
    };
    attributed.push(cause);
    if (report.cause === 'oom') state.oomKills[hit.component]++;
    else state.hungTaskReports[hit.component]++;
    if (hit.component === 'dockerd' || hit.component === 'containerd') state.lastCause[hit.component] = cause;
  }
  return { state, attributed };
}

/**
 * The cause behind a daemon's end, when the process that ended (pid and start ticks, the tracker's
 * identity) is the one a kernel report was attributed to. An OOM kill explains an end; a hung-task
 * report only says the process was stuck before, which is worth saying too.
 */
export function causeOfEnd(state: KernelCausesState, component: Singleton, pid: number, start: number | null): KernelCause | null {
  const last = state.lastCause[component];
  if (last === null || last.pid !== pid || last.startTicks !== start) return null;
  return last.cause;
}
