/**
 * Decides when to write the state file: at once when an identity, a restart count or the containerd
 * mode changed (what restart memory is for), otherwise every `everyMs` (counters), and on shutdown.
 */
import type { Logger } from 'pino';
import { toPersisted, type EventCounts } from '../engine/persisted-state.js';
import type { TrackerState } from '../engine/tracker.js';
import { writeStateFile } from '../sources/state-file.js';

export interface StateSaver {
  consider(tracker: TrackerState, events: EventCounts | null): void;
  flush(): void;
  errors(): { read: number; write: number };
  noteReadError(): void;
}

export function createStateSaver(path: string, logger: Logger, everyMs = 30_000): StateSaver {
  let lastKey = '';
  let lastWriteMs = 0;
  let pending: { tracker: TrackerState; events: EventCounts | null } | null = null;
  let failing = false;
  const errors = { read: 0, write: 0 };

  const write = (): void => {
    if (!pending) return;
    const error = writeStateFile(path, toPersisted(pending.tracker, pending.events, Date.now()));
    lastWriteMs = Date.now();
    if (error) {
      errors.write++;
      if (!failing) logger.error({ err: error }, 'state file not written');
      failing = true;
    } else {
      if (failing) logger.info({ path }, 'state file written again');
      failing = false;
      pending = null;
    }
  };

  return {
    consider(tracker, events) {
      pending = { tracker, events };
      const key = JSON.stringify([
        tracker.singletons.dockerd.current ?? tracker.singletons.dockerd.last,
        tracker.singletons.containerd.current ?? tracker.singletons.containerd.last,
        tracker.singletons.dockerd.restarts,
        tracker.singletons.containerd.restarts,
        tracker.memory.containerdMode,
      ]);
      if (key !== lastKey || Date.now() - lastWriteMs >= everyMs) {
        lastKey = key;
        write();
      }
    },
    flush: write,
    errors: () => errors,
    noteReadError() {
      errors.read++;
    },
  };
}
