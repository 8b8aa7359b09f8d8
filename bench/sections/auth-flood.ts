/**
 * Wrong passwords against authorised scrapes: the built exporter with two bcrypt cost-10 users; 20
 * clients send wrong passwords and unknown user names as fast as they are answered while an authorised
 * client scrapes /metrics every 250 ms (test/http/auth-flood-driver.ts). Target: the slowest
 * authorised scrape under 1 s on 2 cores.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { runAuthFlood } from '../../test/http/auth-flood-driver.js';
import { get, startExporter } from '../../test/http/web-config-harness.js';
import type { Context, Section } from '../harness.js';
import { fmtMs, mdTable } from '../lib/markdown.js';

type Result = Awaited<ReturnType<typeof run>>;

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

export const authFlood: Section<Result> = {
  name: 'auth-flood',
  title: () => 'Authorised scrapes under a flood of wrong passwords',
  run,
  render: (r) => [
    `${r.clients} clients sent wrong passwords and unknown users for ${r.seconds} s (${r.flood.requests} requests: ${r.flood.status401} answered 401, ${r.flood.status429} answered 429 at once).`,
    '',
    mdTable(
      ['authorised scrapes', 'failed', 'p50 ms', 'p99 ms', 'slowest ms'],
      [[String(r.scrapes), String(r.failed), fmtMs(r.p50Ms), fmtMs(r.p99Ms), fmtMs(r.slowestMs)]],
    ),
  ],
};
