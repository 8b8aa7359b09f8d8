/**
 * Wrong passwords against authorised scrapes: the built exporter with two bcrypt cost-10 users; 20
 * clients send wrong passwords and unknown user names as fast as they are answered while an authorised
 * client scrapes /metrics every 250 ms (test/http/auth-flood-driver.ts). Target: the slowest
 * authorised scrape under 1 s on 2 cores.
 *
 * Then how long a denial takes by name, in process on the real bcrypt thread and the real timer:
 * a known user whose hash costs 12, an unknown name (the dummy, cost 10) and a known user of cost 4,
 * round by round, interleaved, each with a fresh password (no failure cache), beside what bcrypt alone
 * took for the same comparisons: bcrypt alone tells the names apart (4× and 64×), the 401 should not.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { createBcryptThread } from '../../src/http/bcrypt-thread.js';
import { createBasicAuth } from '../../src/http/web-config-auth.js';
import { runAuthFlood } from '../../test/http/auth-flood-driver.js';
import { get, startExporter } from '../../test/http/web-config-harness.js';
import type { Context, Section } from '../harness.js';
import { fmtMs, mdTable } from '../lib/markdown.js';
import { summarize } from '../lib/stats.js';

type Result = Awaited<ReturnType<typeof runBoth>>;

const KINDS = ['known, cost 12', 'unknown (dummy, cost 10)', 'known, cost 4'] as const;

/** Per kind of name: median ms of bcrypt alone and of the whole denial, over `rounds` rounds. */
async function denialTiming(rounds: number) {
  const thread = createBcryptThread();
  const bcryptMs = new Map<string, number[]>(KINDS.map((k) => [k, []]));
  const answeredMs = new Map<string, number[]>(KINDS.map((k) => [k, []]));
  let kind: string = KINDS[0];
  try {
    const auth = createBasicAuth({
      compare: async (password, hash) => {
        const t0 = performance.now();
        const match = await thread.compare(password, hash);
        bcryptMs.get(kind)?.push(performance.now() - t0);
        return match;
      },
    });
    const users = new Map([
      ['alice', bcrypt.hashSync('alice-secret', 12)],
      ['bob', bcrypt.hashSync('bob-secret', 4)],
    ]);
    await auth.prepare(users);
    for (let round = 0; round < rounds; round++) {
      for (const [k, user] of [
        [KINDS[0], 'alice'],
        [KINDS[1], `carol-${round}`],
        [KINDS[2], 'bob'],
      ] as const) {
        kind = k;
        const t0 = performance.now();
        const outcome = await auth.check(users, `Basic ${Buffer.from(`${user}:guess-${round}`).toString('base64')}`);
        if (outcome !== 'denied') throw new Error(`a wrong password for ${user} was answered ${outcome}`);
        answeredMs.get(k)?.push(performance.now() - t0);
      }
    }
  } finally {
    await thread.close();
  }
  return KINDS.map((k) => ({
    kind: k,
    bcryptMs: summarize(bcryptMs.get(k) ?? []).median,
    answeredMs: summarize(answeredMs.get(k) ?? []).median,
  }));
}

async function run(ctx: Context) {
  const [seconds, clients, password] = [ctx.opts.num['flood-s'], 20, 'correct horse battery staple'];
  const file = join(ctx.workDir, 'auth-flood-web.yml');
  writeFileSync(file, `basic_auth_users:\n  prometheus: ${bcrypt.hashSync(password, 10)}\n  ops: ${bcrypt.hashSync('another', 10)}\n`);
  const exporter = await startExporter(file);
  try {
    // The first authorised scrape pays for bcrypt once; from then on it is a cache hit.
    if ((await get(exporter.port, { auth: `prometheus:${password}` })).status !== 200) throw new Error('authorised scrape refused');
    const [port, durationMs] = [exporter.port, seconds * 1000];
    const r = await runAuthFlood({ port, user: 'prometheus', password, clients, durationMs, scrapeEveryMs: 250 });
    const { slowestMs, p50Ms, p99Ms, flood } = r;
    return { seconds, clients, slowestMs, p50Ms, p99Ms, scrapes: r.authorisedScrapes, failed: r.authorisedFailures.length, flood };
  } finally {
    await exporter.stop();
  }
}

async function runBoth(ctx: Context) {
  const flood = await run(ctx);
  const rounds = ctx.opts.num['denial-rounds'];
  ctx.log(`auth-flood: denial timing, ${rounds} rounds of three names`);
  return { ...flood, denialRounds: rounds, denials: await denialTiming(rounds) };
}

export const authFlood: Section<Result> = {
  name: 'auth-flood',
  title: () => 'Authorised scrapes under a flood of wrong passwords',
  run: runBoth,
  render: (r) => [
    `${r.clients} clients sent wrong passwords and unknown users for ${r.seconds} s (${r.flood.requests} requests: ${r.flood.status401} answered 401, ${r.flood.status429} answered 429 at once).`,
    '',
    mdTable(
      ['authorised scrapes', 'failed', 'p50 ms', 'p99 ms', 'slowest ms'],
      [[String(r.scrapes), String(r.failed), fmtMs(r.p50Ms), fmtMs(r.p99Ms), fmtMs(r.slowestMs)]],
    ),
    '',
    `A wrong password, by kind of user name, ${r.denialRounds} rounds interleaved (median ms; the floor is the slowest recent comparison scaled to the file's slowest cost, × 1.5):`,
    '',
    mdTable(
      ['user name', 'bcrypt alone', '401 answered', '÷ unknown name'],
      r.denials.map((d) => [d.kind, fmtMs(d.bcryptMs), fmtMs(d.answeredMs), (d.answeredMs / (r.denials[1]?.answeredMs ?? NaN)).toFixed(2)]),
    ),
  ],
};
