/**
 * Basic auth under attack, in process, with bcrypt in its real worker thread: the bounded queue, the
 * failure cache, the fixed cost of the dummy hash and the denial floor. The comparisons are counted
 * through the injectable compare, which wraps the real thread.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { createBcryptThread } from '../../src/http/bcrypt-thread.js';
import { createBoundedSlots } from '../../src/http/bounded-slots.js';
import { createDenialFloor } from '../../src/http/denial-floor.js';
import { ExpiringSet } from '../../src/http/expiring-set.js';
import { MAX_WAITING, createBasicAuth, type AuthOutcome } from '../../src/http/web-config-auth.js';
import { bcryptCost } from '../../src/http/web-config.js';

const header = (creds: string): string => `Basic ${Buffer.from(creds).toString('base64')}`;
const thread = createBcryptThread();
after(() => thread.close());

/** createBasicAuth on the real bcrypt thread; `compared` holds the cost of every comparison made. */
function countingAuth() {
  const compared: number[] = [];
  const auth = createBasicAuth({
    compare: (password, hash) => {
      compared.push(bcryptCost(hash) ?? -1);
      return thread.compare(password, hash);
    },
  });
  return { auth, compared };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

describe('basic auth against floods and timing', () => {
  const secret = 'correct horse battery staple';
  const users10 = new Map([['prometheus', bcrypt.hashSync(secret, 10)]]);

  test('20 wrong passwords at once: one compared, MAX_WAITING wait, the rest busy at once; cached credentials pass them all', async () => {
    const { auth, compared } = countingAuth();
    assert.equal(await auth.check(users10, header(`prometheus:${secret}`)), 'ok');
    const order: string[] = [];
    const flood = Array.from({ length: 20 }, (_, i) =>
      auth.check(users10, header(i % 2 === 0 ? `prometheus:wrong-${i}` : `nobody-${i}:${secret}`)).then((o) => {
        order.push(o);
        return o;
      }),
    );
    // Issued after the flood filled the queue: answered from the cache, before any of the flood is.
    const cached = auth.check(users10, header(`prometheus:${secret}`)).then((o) => {
      order.push(`cached ${o}`);
      return o;
    });
    const outcomes: AuthOutcome[] = await Promise.all(flood);
    assert.equal(await cached, 'ok');
    const busyFirst = order.filter((o) => o === 'busy').length;
    assert.deepEqual(
      order.slice(0, busyFirst + 1),
      [...new Array<string>(busyFirst).fill('busy'), 'cached ok'],
      'busy answers and the cached success come before any comparison ends',
    );
    assert.equal(outcomes.filter((o) => o === 'busy').length, 20 - 1 - MAX_WAITING);
    assert.equal(outcomes.filter((o) => o === 'denied').length, 1 + MAX_WAITING);
    assert.equal(compared.length, 1 + 1 + MAX_WAITING, 'the first success and the admitted denials; busy and cached ones cost no bcrypt');
    assert.deepEqual(auth.counts, { ok: 1, okCached: 1, denied: 1 + MAX_WAITING, deniedCached: 0, malformed: 0, busy: 20 - 1 - MAX_WAITING });
  });

  test('a repeated wrong password, or unknown user, is compared once; a new hash is compared again', async () => {
    const { auth, compared } = countingAuth();
    for (let i = 0; i < 5; i++) assert.equal(await auth.check(users10, header('prometheus:hunter2')), 'denied');
    for (let i = 0; i < 5; i++) assert.equal(await auth.check(users10, header('mallory:hunter2')), 'denied');
    assert.equal(compared.length, 2);
    assert.equal(auth.counts.deniedCached, 8);
    // The failure is keyed by the hash too: once the file says hunter2, it works at once.
    const changed = new Map([['prometheus', bcrypt.hashSync('hunter2', 4)]]);
    assert.equal(await auth.check(changed, header('prometheus:hunter2')), 'ok');
    assert.equal(compared.length, 3);
  });

  test('an unknown user under a cost-14 file costs one cost-10 comparison', async () => {
    // A cost-14 hash of 24 random bytes, made once with bcryptjs (making one takes seconds).
    const users14 = new Map([['admin', '$2b$14$uK3NVYFACtaJEQLj1GXlDu1FiRqxEj0fTI.UXBVsVKmc1omUpxMFG']]);
    const { auth, compared } = countingAuth();
    assert.equal(await auth.check(users14, header('root:toor')), 'denied');
    assert.deepEqual(compared, [10]);
  });

  test('known and unknown user names cannot be told apart by how long their 401 takes', async (t) => {
    // alice's hash costs 12: four times the dummy's work. Without the floor her wrong passwords take
    // four times as long as an unknown name's; with it both take the floor. Each kind is measured
    // round by round, interleaved, with a fresh password each time (no failure cache); what is compared
    // is the ratio of the medians, loosely: the floor makes it ~1, its absence 4.
    const users = new Map([
      ['alice', bcrypt.hashSync('alice-secret', 12)],
      ['bob', bcrypt.hashSync('bob-secret', 4)],
    ]);
    const raw = new Map<string, number[]>([
      ['alice', []],
      ['bob', []],
      ['unknown', []],
    ]);
    const answered = new Map<string, number[]>([
      ['alice', []],
      ['bob', []],
      ['unknown', []],
    ]);
    let kind = '';
    const auth = createBasicAuth({
      compare: async (password, hash) => {
        const t0 = performance.now();
        const match = await thread.compare(password, hash);
        raw.get(kind)?.push(performance.now() - t0);
        return match;
      },
    });
    for (let round = 0; round < 6; round++) {
      for (const [k, user] of [
        ['alice', 'alice'],
        ['unknown', `carol-${round}`],
        ['bob', 'bob'],
      ] as const) {
        kind = k;
        const t0 = performance.now();
        assert.equal(await auth.check(users, header(`${user}:guess-${round}`)), 'denied');
        answered.get(k)?.push(performance.now() - t0);
      }
    }
    const m = (map: Map<string, number[]>, k: string): number => median(map.get(k) ?? []);
    t.diagnostic(
      `bcrypt alone, median ms: alice ${m(raw, 'alice').toFixed(0)}, unknown ${m(raw, 'unknown').toFixed(0)}, bob ${m(raw, 'bob').toFixed(0)}`,
    );
    t.diagnostic(
      `401 answered, median ms: alice ${m(answered, 'alice').toFixed(0)}, unknown ${m(answered, 'unknown').toFixed(0)}, bob ${m(answered, 'bob').toFixed(0)}`,
    );
    assert.ok(m(raw, 'alice') > 2 * m(raw, 'unknown'), 'bcrypt alone tells them apart (the test can fail)');
    for (const other of ['unknown', 'bob']) {
      const ratio = m(answered, 'alice') / m(answered, other);
      assert.ok(ratio > 2 / 3 && ratio < 3 / 2, `alice / ${other} = ${ratio.toFixed(2)}`);
    }
  });
});

describe('the parts', () => {
  test('ExpiringSet: entries expire, the oldest goes first at the bound, adding again renews', () => {
    let clock = 0;
    const set = new ExpiringSet(3, 100, () => clock);
    for (const k of ['a', 'b', 'c']) set.add(k);
    set.add('a'); // renewed: now the newest
    set.add('d');
    assert.deepEqual(
      ['a', 'b', 'c', 'd'].map((k) => set.has(k)),
      [true, false, true, true],
    );
    clock = 99;
    assert.equal(set.has('a'), true);
    clock = 100;
    assert.equal(set.has('a'), false);
    assert.equal(set.size, 2, 'expired entries go when looked at');
    const disabled = new ExpiringSet(0, 100, () => 0);
    disabled.add('x');
    assert.equal(disabled.has('x'), false, 'size 0 keeps nothing');
  });

  test('BoundedSlots: a turn passes straight to the next waiter; beyond the queue, null at once', async () => {
    const slots = createBoundedSlots(1, 2);
    const first = slots.tryAcquire();
    const second = slots.tryAcquire();
    const third = slots.tryAcquire();
    assert.ok(first && second && third);
    assert.equal(slots.tryAcquire(), null);
    assert.deepEqual([slots.running, slots.waiting], [1, 2]);
    const got: number[] = [];
    void second.then(() => got.push(2));
    void third.then(() => got.push(3));
    const release = await first;
    release();
    release(); // a second release of the same turn changes nothing
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(got, [2]);
    assert.deepEqual([slots.running, slots.waiting], [1, 1]);
    (await second)();
    (await third)();
    assert.deepEqual([slots.running, slots.waiting], [0, 0]);
  });

  test('DenialFloor: the slowest recent comparison scaled to the slowest cost, with the margin', () => {
    const floor = createDenialFloor({ window: 2, margin: 1.5 });
    assert.equal(floor.floorMs(14), 0, 'nothing measured yet');
    floor.record(10, 100);
    floor.record(12, 200); // 50 at cost 10
    assert.equal(floor.floorMs(12), 100 * 4 * 1.5);
    assert.equal(floor.floorMs(4), 100 * 1.5, 'never below the dummy cost: unknown names cost 10');
    floor.record(10, 60);
    floor.record(10, 60); // 100 left the window
    assert.equal(floor.floorMs(10), 60 * 1.5);
    floor.record(4, 7); // ~all overhead: 7 × 2^6 would claim 448 ms at cost 10
    assert.equal(floor.floorMs(10), 60 * 1.5, 'costs below 10 are not measured');
  });
});
