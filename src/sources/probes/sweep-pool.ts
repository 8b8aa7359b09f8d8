/**
 * The bounded sweep: each target (one container) gets its calls one after another, never two at once,
 * and at most `concurrency` targets are worked on at the same time. Every call carries its own deadline
 * (the caller's), so a wedged container costs one worker one deadline per call, and the rest of the
 * sweep goes on with the other workers.
 */

export interface SweepTarget<R> {
  readonly key: string;
  /** The target's calls, in order; each returns what it found and never throws. */
  readonly calls: readonly (() => Promise<R>)[];
}

/** Runs every target's calls, in order per target, at most `concurrency` targets at once. */
export async function sweepTargets<R>(targets: readonly SweepTarget<R>[], concurrency: number): Promise<Map<string, R[]>> {
  const results = new Map<string, R[]>();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const target = targets[next++];
      if (target === undefined) return;
      const found: R[] = [];
      for (const call of target.calls) found.push(await call());
      results.set(target.key, found);
    }
  };
  const workers = Math.max(1, Math.min(concurrency, targets.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
