import type { EngineView } from './attribute.js';
import type { TrackerState } from './tracker.js';
import type { ProbeReport } from './probe-report.js';
import type { Headroom } from './headroom.js';
import type { KernelCausesState } from './kernel-causes.js';

// The source types this model is made of, for the view models (src/report) that read only src/engine.
export type { ProcessInfo } from './process-model.js';
export type { ProbeName } from './probe-report.js';

export interface ChainChecks {
  /** null when unknown (Tasks/List failed, ports unknown, userland proxy off). */
  orphanShims: number | null;
  stuckRunc: number;
  missingProxies: number | null;
}

/** What one successful poll concluded: what metrics and the HTTP endpoints read. */
export interface EngineState {
  view: EngineView;
  tracker: TrackerState;
  /** The socket probes' results; null when probes are off (unit tests, --probe.timeout=0 is not allowed). */
  probes: ProbeReport | null;
  checks: ChainChecks;
  /** When the process snapshot behind this state was taken (ms since epoch). */
  takenAtMs: number;
  /** How many pids the scan walked. */
  scannedPids: number;
  /** Limits, stuck threads and storage of the engine; absent where the source cannot read them (ps-list). */
  headroom?: Headroom;
  /** OOM kills and hung-task reports from the kernel log; null (or absent) when it is not read. */
  kernel?: KernelCausesState | null;
}
