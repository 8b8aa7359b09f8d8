/**
 * Container churn on the test rig: `workers` loops running `docker run --rm rig/busybox true` back to
 * back, so that shims, runc, tasks and exit events come and go the whole time.
 */
import type { EngineRig } from '../../test/support/engine-rig.js';
import { sleep } from './programs.js';

export interface Churn {
  /** Containers run and removed so far, and `docker run`s that failed. */
  readonly run: number;
  readonly failed: number;
  /** Lets each loop finish its current container, then resolves. Safe to call twice. */
  stop(): Promise<void>;
}

export function startChurn(rig: EngineRig, workers: number): Churn {
  let churning = true;
  // The counts are this object's own fields, read-only to the caller through Churn.
  const churn = { run: 0, failed: 0, stop: async (): Promise<void> => void ((churning = false), await Promise.all(loops)) };
  const loops = Array.from({ length: workers }, async () => {
    while (churning) {
      try {
        await rig.docker(['run', '--rm', 'rig/busybox', 'true'], { timeoutMs: 60_000 });
        churn.run++;
      } catch {
        churn.failed++;
        await sleep(500);
      }
    }
  });
  return churn;
}
