/**
 * Containers on the test rig: running ones started in parallel, and churn: `workers` loops running
 * `docker run --rm rig/busybox true` back to back, so that shims, runc, tasks and exit events come and
 * go the whole time.
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

/** docker runs at once: enough to keep both cores busy, few enough that none times out. */
export const PARALLEL_RUNS = 8;

/**
 * Starts `n` containers running `sleep 1d`, PARALLEL_RUNS at a time; resolves with the runs that failed.
 * `runArgs`: e.g. `--network=none`, as the rig's bridge is a /24 and holds ~250 containers.
 */
export async function startContainers(rig: EngineRig, n: number, runArgs: string[] = []): Promise<number> {
  let [next, failed] = [0, 0];
  const loop = async (): Promise<void> => {
    // Each loop claims a run before it awaits it: no two loops start the same one.
    while (next++ < n)
      await rig.docker(['run', '-d', ...runArgs, 'rig/busybox', 'sleep', '1d'], { timeoutMs: 120_000 }).catch(() => void failed++);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_RUNS, n) }, loop));
  return failed;
}
