/**
 * How long a denied basic auth check must take so that its duration says nothing about the user name.
 *
 * An unknown name is compared against a dummy hash of cost 10; a known one against its own hash, whose
 * cost the file chooses (each step doubles bcrypt's work). Without a floor, a wrong password for a
 * cost-14 user would take 16 times as long as an unknown name, and timing 401s would list the users.
 * So every denial is answered no earlier than the slowest comparison the file can cause would take:
 * bcrypt's time is proportional to 2^cost, so the recent comparisons, each scaled to cost 10, give the
 * time of one cost-10 comparison, and the floor is that × 2^(slowest cost − 10) × a margin for noise.
 * The slowest cost is never below 10, the dummy's. The wait is a timer, not CPU.
 */
export const DUMMY_COST = 10;

export interface DenialFloor {
  /** A finished comparison: the hash's cost and how long it took, ms. */
  record(cost: number, ms: number): void;
  /** The floor for denials when the slowest hash in play has this cost, ms. */
  floorMs(slowestCost: number): number;
}

export function createDenialFloor(opts: { window?: number; margin?: number } = {}): DenialFloor {
  const size = opts.window ?? 32;
  const margin = opts.margin ?? 1.5;
  // The largest of the last `size` comparisons, scaled to cost 10: a slower machine or a busier moment
  // raises the floor at once; a quieter one lowers it only after `size` comparisons.
  const recent: number[] = [];
  return {
    record(cost, ms) {
      // Below cost 10 the fixed cost of a comparison (the message to the thread and back) is no longer
      // small beside bcrypt's, and scaling it up would overstate; those costs never set the floor.
      if (cost < DUMMY_COST) return;
      recent.push(ms / 2 ** (cost - DUMMY_COST));
      if (recent.length > size) recent.shift();
    },
    floorMs(slowestCost) {
      const unit = recent.length === 0 ? 0 : Math.max(...recent);
      return unit * 2 ** (Math.max(slowestCost, DUMMY_COST) - DUMMY_COST) * margin;
    },
  };
}
