/**
 * At most `concurrency` holders at once and at most `maxWaiting` waiting for a turn; anyone beyond
 * that is turned away at once (null) instead of joining a queue that could grow without bound.
 */
export interface BoundedSlots {
  /** A promise of the release function once it is this caller's turn; null when the queue is full. */
  tryAcquire(): Promise<() => void> | null;
  readonly running: number;
  readonly waiting: number;
}

export function createBoundedSlots(concurrency: number, maxWaiting: number): BoundedSlots {
  let running = 0;
  const queue: Array<() => void> = [];

  const release = (): void => {
    const next = queue.shift();
    if (next)
      next(); // the slot passes straight on: running stays the same
    else running--;
  };
  const releaser = (): (() => void) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  };

  return {
    tryAcquire() {
      if (running < concurrency) {
        running++;
        return Promise.resolve(releaser());
      }
      if (queue.length >= maxWaiting) return null;
      return new Promise((resolve) => queue.push(() => resolve(releaser())));
    },
    get running() {
      return running;
    },
    get waiting() {
      return queue.length;
    },
  };
}
