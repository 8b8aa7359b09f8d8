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

  test('a denial takes the floor whatever the name: known (cost 12), unknown (dummy, cost 10), known (cost 4)', async () => {
    // On a clock of its own, so that what is asserted is the rule, not this machine's load (the real
    // thread's times, floor beside bcrypt alone, are measured by `npm run bench`, section auth-flood).
    // A comparison takes 100 ms × 2^(cost − 10) of that clock, a wait advances it by what was asked.
    let clock = 0;
    let comparisonMs10 = 100;
    const compared: number[] = [];
    const auth = createBasicAuth({
      now: () => clock,
      sleep: (ms) => {
        clock += ms;
        return Promise.resolve();
      },
      compare: (_password, hash) => {
        const cost = bcryptCost(hash) ?? -1;
        compared.push(cost);
        clock += comparisonMs10 * 2 ** (cost - 10);
        return Promise.resolve(false);
      },
    });
    const users = new Map([
      ['alice', bcrypt.hashSync('alice-secret', 12)],
      ['bob', bcrypt.hashSync('bob-secret', 4)],
    ]);
    await auth.prepare(users); // two dummy comparisons: the first measure, 100 ms at cost 10
    const answerMs = async (user: string, round: number): Promise<number> => {
      const t0 = clock;
      assert.equal(await auth.check(users, header(`${user}:guess-${round}`)), 'denied');
      return clock - t0;
    };
    const round = async (n: number): Promise<number[]> => [
      await answerMs('alice', n),
      await answerMs(`carol-${n}`, n),
      await answerMs('bob', n),
    ];
    // bcrypt alone would take 400, 100 and 1.6 ms; the floor is 100 × 2^(12 − 10) × 1.5 for all three.
    assert.deepEqual(await round(0), [600, 600, 600]);
    assert.deepEqual(compared, [10, 10, 12, 10, 4]);
    // A busier moment (comparisons twice as slow) raises the floor at once, for every name alike...
    comparisonMs10 = 200;
    assert.deepEqual(await round(1), [1200, 1200, 1200]);
    // ...and a quieter one does not lower it while the slow comparisons are among the recent ones.
    comparisonMs10 = 50;
    assert.deepEqual(await round(2), [1200, 1200, 1200]);
    assert.equal(auth.counts.denied, 9);
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
