/**
 * Container churn for the memory benchmarks: `workers` loops running `docker run --rm rig/busybox true`
 * back to back on the rig, so containers (shims, runc, tasks, exit events) come and go the whole time.
 */
import type { EngineRig } from '../test/support/engine-rig.js';
import { sleep } from './issue6-common.js';

export interface ContainerChurn {
  /** Containers run and removed so far, and `docker run`s that failed. */
  readonly run: number;
  readonly failed: number;
  /** Lets each loop finish its current container, then resolves. Safe to call twice. */
  stop(): Promise<void>;
}

export function startContainerChurn(rig: EngineRig, workers: number): ContainerChurn {
  let churning = true;
  let run = 0;
  let failed = 0;
  const loops = Array.from({ length: workers }, async () => {
    while (churning) {
      try {
        await rig.docker(['run', '--rm', 'rig/busybox', 'true'], { timeoutMs: 60_000 });
        run++;
      } catch {
        failed++;
        await sleep(500);
      }
    }
  });
  return {
    get run() {
      return run;
    },
    get failed() {
      return failed;
    },
    async stop() {
      churning = false;
      await Promise.all(loops);
    },
  };
}
