/**
 * HTTP basic authentication against the bcrypt hashes of `basic_auth_users`, as exporter-toolkit does
 * it: an unknown user is compared against a dummy hash of the same cost, so a wrong user name takes as
 * long as a wrong password and names cannot be found by timing; a successful check is remembered for
 * a while so that each scrape does not pay for a bcrypt comparison (70–200 ms at cost 10).
 */
import { createHmac, randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { bcryptCost } from './web-config.js';

/** ok: valid credentials; absent: no Authorization header at all; denied: anything else. */
export type AuthOutcome = 'ok' | 'absent' | 'denied';

export interface BasicAuth {
  check(users: ReadonlyMap<string, string>, authorization: string | undefined): Promise<AuthOutcome>;
  /** Makes the dummy hash for these users' cost now, so that no request pays for making it. */
  prepare(users: ReadonlyMap<string, string>): Promise<void>;
}

export interface BasicAuthOptions {
  /** How long a successful (user, password, hash) check is remembered. */
  cacheTtlMs?: number;
  cacheSize?: number;
  now?: () => number;
  /** bcrypt's comparison (bcryptjs); replaceable so tests can count the comparisons. */
  compare?: (password: string, hash: string) => Promise<boolean>;
}

/**
 * bcrypt (cost 10) of 24 random bytes nobody kept: no password matches it. Other costs get a dummy of
 * their own, made once.
 */
const DUMMY_COST_10 = '$2b$10$FHOa1dA9CwvFNAJoHHjZw.d06oo23qictpUK6t3dCn0XjxR44WoGu';

export function createBasicAuth(opts: BasicAuthOptions = {}): BasicAuth {
  const ttlMs = opts.cacheTtlMs ?? 5 * 60_000;
  const maxEntries = opts.cacheSize ?? 100;
  const now = opts.now ?? Date.now;
  const compare = opts.compare ?? ((password: string, hash: string) => bcrypt.compare(password, hash));
  // The cache holds HMACs under a key that lives only in this process, never a password.
  const cacheKey = randomBytes(32);
  const verified = new Map<string, number>(); // HMAC → expiry
  const dummies = new Map<number, Promise<string>>([[10, Promise.resolve(DUMMY_COST_10)]]);

  const dummyFor = (users: ReadonlyMap<string, string>): Promise<string> => {
    // With mixed costs no single dummy matches them all; the highest keeps every unknown name at least
    // as slow as the slowest known one.
    let cost = 10;
    let first = true;
    for (const hash of users.values()) {
      const c = bcryptCost(hash) ?? 10;
      cost = first ? c : Math.max(cost, c);
      first = false;
    }
    let dummy = dummies.get(cost);
    if (!dummy) {
      dummy = bcrypt.hash(randomBytes(24).toString('base64'), cost);
      dummies.set(cost, dummy);
    }
    return dummy;
  };

  const remember = (key: string): void => {
    verified.delete(key);
    verified.set(key, now() + ttlMs);
    while (verified.size > maxEntries) {
      const oldest = verified.keys().next().value;
      if (oldest === undefined) break;
      verified.delete(oldest);
    }
  };

  return {
    async prepare(users) {
      await dummyFor(users);
    },

    async check(users, authorization) {
      if (authorization === undefined) return 'absent';
      const creds = parseBasicAuthorization(authorization);
      if (!creds) return 'denied';
      const known = users.get(creds.user);
      const hash = known ?? (await dummyFor(users));
      const key = createHmac('sha256', cacheKey).update(creds.user).update('\0').update(hash).update('\0').update(creds.password).digest('hex');
      const until = verified.get(key);
      if (known !== undefined && until !== undefined) {
        if (until > now()) return 'ok';
        verified.delete(key);
      }
      const match = await compare(creds.password, hash);
      if (known === undefined || !match || !creds.exact) return 'denied';
      remember(key);
      return 'ok';
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
