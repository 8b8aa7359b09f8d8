import type { EngineView } from './attribute.js';
import type { TrackerState } from './tracker.js';

/** What one successful poll concluded: what metrics and the HTTP endpoints read. */
export interface EngineState {
  view: EngineView;
  tracker: TrackerState;
  /** When the process snapshot behind this state was taken (ms since epoch). */
  takenAtMs: number;
  /** How many pids the scan walked. */
  scannedPids: number;
}
