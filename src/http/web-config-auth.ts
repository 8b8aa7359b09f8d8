/**
 * HTTP basic authentication against the bcrypt hashes of `basic_auth_users`, as exporter-toolkit does
 * it (web/handler.go), made so that wrong credentials cannot be turned against the exporter:
 *
 * - bcrypt runs in a worker thread (bcrypt-thread.ts), one comparison at a time, with at most
 *   MAX_WAITING more waiting; any attempt beyond that is answered 'busy' (429) at once. A flood of
 *   wrong passwords therefore costs one core at most and never delays the event loop.
 * - A success is remembered (SUCCESS_TTL_MS after its last use) and a failure too (FAILURE_TTL_MS),
 *   both as HMACs under a key that lives only in this process, both bounded: a scrape with cached
 *   credentials and a repeated wrong password answer without bcrypt and without waiting for a turn.
 *   The hash is part of the key, so a changed password applies at once.
 * - An unknown user is compared against a dummy hash of cost 10, as the toolkit does: an unknown name
 *   never costs more than a cost-10 comparison whatever the file's costs. Every denial that ran bcrypt
 *   is then held back to a floor (denial-floor.ts) derived from the slowest cost in play, with a timer,
 *   and keeps its turn until then: how long a 401 takes, or how long others wait behind it, says
 *   nothing about whether the name exists.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBcryptThread } from './bcrypt-thread.js';
import { createBoundedSlots } from './bounded-slots.js';
import { DUMMY_COST, createDenialFloor } from './denial-floor.js';
import { ExpiringSet } from './expiring-set.js';
import { bcryptCost } from './web-config.js';

/** ok: valid credentials; absent: no Authorization header at all; denied: anything else; busy: no turn. */
export type AuthOutcome = 'ok' | 'absent' | 'denied' | 'busy';

export interface BasicAuth {
  check(users: ReadonlyMap<string, string>, authorization: string | undefined): Promise<AuthOutcome>;
  /** Starts the bcrypt thread when users are configured, so that the first check does not pay for it. */
  prepare(users: ReadonlyMap<string, string>): Promise<void>;
  /** Checks so far by how they ended (for logs, metrics and tests). */
  readonly counts: Readonly<Record<AuthCount, number>>;
  /** Stops the bcrypt thread (it is unref'd: only tests need this). */
  close(): Promise<void>;
}

type AuthCount = 'ok' | 'okCached' | 'denied' | 'deniedCached' | 'malformed' | 'busy';

export interface BasicAuthOptions {
  /** How long a successful (user, password, hash) check is remembered after its last use. */
  cacheTtlMs?: number;
  cacheSize?: number;
  /** How long a failed one is remembered, and how many. */
  failureCacheTtlMs?: number;
  failureCacheSize?: number;
  /** Comparisons that may wait for the bcrypt thread; more are answered 'busy'. */
  maxWaiting?: number;
  /** A monotonic clock, ms: the caches' expiry and how long a comparison took (performance.now). */
  now?: () => number;
  /** How a denial waits for its floor (a timer); replaceable so tests can run on their own clock. */
  sleep?: (ms: number) => Promise<void>;
  /** bcrypt's comparison (the worker thread by default); replaceable so tests can count comparisons. */
  compare?: (password: string, hash: string) => Promise<boolean>;
}

const SUCCESS_TTL_MS = 5 * 60_000;
const FAILURE_TTL_MS = 60_000;
/**
 * Eight waiting behind the one running: at cost 10 (~100 ms here) the last of them waits about a
 * second, well inside Prometheus' 10 s scrape timeout, and a flood cannot make that longer.
 */
export const MAX_WAITING = 8;

/**
 * bcrypt (cost 10) of 24 random bytes nobody kept: no password matches it. The toolkit's own dummy is
 * a cost-10 hash too.
 */
const DUMMY_HASH = '$2b$10$FHOa1dA9CwvFNAJoHHjZw.d06oo23qictpUK6t3dCn0XjxR44WoGu';

export function createBasicAuth(opts: BasicAuthOptions = {}): BasicAuth {
  const now = opts.now ?? (() => performance.now());
  const wait = opts.sleep ?? ((ms: number) => sleep(ms));
  const succeeded = new ExpiringSet(opts.cacheSize ?? 100, opts.cacheTtlMs ?? SUCCESS_TTL_MS, now);
  const failed = new ExpiringSet(opts.failureCacheSize ?? 1000, opts.failureCacheTtlMs ?? FAILURE_TTL_MS, now);
  const thread = opts.compare ? null : createBcryptThread();
  const compare = opts.compare ?? ((password: string, hash: string) => (thread as NonNullable<typeof thread>).compare(password, hash));
  const turns = createBoundedSlots(1, opts.maxWaiting ?? MAX_WAITING);
  const floor = createDenialFloor();
  const counts: Record<AuthCount, number> = { ok: 0, okCached: 0, denied: 0, deniedCached: 0, malformed: 0, busy: 0 };
  // The cache keys are HMACs under a key that lives only in this process, never a password.
  const cacheKey = randomBytes(32);
  const keyOf = (user: string, hash: string, password: string, exact: boolean): string =>
    createHmac('sha256', cacheKey)
      .update(user)
      .update('\0')
      .update(hash)
      .update('\0')
      .update(exact ? '1' : '0')
      .update(password)
      .digest('base64');

  const end = (outcome: AuthCount): AuthOutcome => {
    counts[outcome]++;
    return outcome === 'ok' || outcome === 'okCached' ? 'ok' : outcome === 'busy' ? 'busy' : 'denied';
  };

  return {
    counts,

    async prepare(users) {
      if (users.size === 0) return;
      // Comparisons that cannot match: the first starts the thread, the second gives the denial floor
      // its first measure, so that even the first denial is held to it.
      await compare('', DUMMY_HASH);
      const started = now();
      await compare('', DUMMY_HASH);
      floor.record(DUMMY_COST, now() - started);
    },

    async close() {
      await thread?.close();
    },

    async check(users, authorization) {
      if (authorization === undefined) return 'absent';
      const creds = parseBasicAuthorization(authorization);
      if (!creds) return end('malformed');
      const known = users.get(creds.user);
      const hash = known ?? DUMMY_HASH;
      const key = keyOf(creds.user, hash, creds.password, creds.exact);
      if (known !== undefined && succeeded.has(key)) {
        succeeded.add(key); // renewed: a scraper that keeps coming never waits for bcrypt again
        return end('okCached');
      }
      if (failed.has(key)) return end('deniedCached');

      const turn = turns.tryAcquire();
      if (!turn) return end('busy');
      const release = await turn;
      try {
        const started = now();
        const match = await compare(creds.password, hash);
        const tookMs = now() - started;
        floor.record(bcryptCost(hash) ?? DUMMY_COST, tookMs);
        if (known !== undefined && match && creds.exact) {
          succeeded.add(key);
          return end('ok');
        }
        failed.add(key);
        let slowest = DUMMY_COST;
        for (const h of users.values()) slowest = Math.max(slowest, bcryptCost(h) ?? DUMMY_COST);
        const waitMs = floor.floorMs(slowest) - tookMs;
        if (waitMs > 0) await wait(waitMs);
        return end('denied');
      } finally {
        release();
      }
    },
  };
}

/**
 * `Basic base64(user:password)` as Go's Request.BasicAuth reads it: the scheme in any case, standard
 * base64, the user name ends at the first colon. `exact` is false when the password was not valid
 * UTF-8 (bcrypt still runs, so the answer takes as long, but it cannot succeed).
 */
export function parseBasicAuthorization(header: string): { user: string; password: string; exact: boolean } | null {
  const m = /^basic ([A-Za-z0-9+/]*={0,2})$/i.exec(header.trim());
  const encoded = m?.[1];
  if (encoded === undefined || encoded.length % 4 !== 0) return null;
  const bytes = Buffer.from(encoded, 'base64');
  const colon = bytes.indexOf(0x3a);
  if (colon < 0) return null;
  const user = bytes.subarray(0, colon).toString('utf8');
  const passwordBytes = bytes.subarray(colon + 1);
  const password = passwordBytes.toString('utf8');
  return { user, password, exact: Buffer.from(password, 'utf8').equals(passwordBytes) };
}
