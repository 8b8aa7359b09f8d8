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
  const counts = { run: 0, failed: 0 };
  const loops = Array.from({ length: workers }, async () => {
    while (churning) {
      try {
        await rig.docker(['run', '--rm', 'rig/busybox', 'true'], { timeoutMs: 60_000 });
        counts.run++;
      } catch {
        counts.failed++;
        await sleep(500);
      }
    }
  });
  return {
    get run() {
      return counts.run;
    },
    get failed() {
      return counts.failed;
    },
    async stop() {
      churning = false;
      await Promise.all(loops);
    },
  };
}
