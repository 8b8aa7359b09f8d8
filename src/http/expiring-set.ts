/**
 * A bounded set of keys that expire: at most `maxEntries` (the oldest added goes first) and each for
 * `ttlMs` after it was last added. For the basic auth caches, whose keys are HMACs, never passwords.
 */
export class ExpiringSet {
  private readonly until = new Map<string, number>(); // insertion order: oldest added first

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  has(key: string): boolean {
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(key);
    return false;
  }

  /** Adds the key, or renews it and makes it the newest. */
  add(key: string): void {
    this.until.delete(key);
    if (this.maxEntries <= 0 || this.ttlMs <= 0) return;
    this.until.set(key, this.now() + this.ttlMs);
    while (this.until.size > this.maxEntries) {
      const oldest = this.until.keys().next().value;
      if (oldest === undefined) break;
      this.until.delete(oldest);
    }
  }

  get size(): number {
    return this.until.size;
  }
}
