/**
 * Does a flood of wrong passwords slow down an authorised scrape? The built exporter (dist/main.js),
 * with a web config of two bcrypt cost-10 users, gets 20 clients sending wrong passwords and unknown
 * user names as fast as they are answered, while an authorised client scrapes /metrics every 250 ms
 * (test/http/auth-flood-driver.ts). Prints one JSON object; asserts nothing.
 *
 *   npm run build && npm run build:test && node build/bench/auth-flood.js [seconds]
 *
 * measureAuthFlood is exported for a harness.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { runAuthFlood } from '../test/http/auth-flood-driver.js';
import { get, startExporter, tempDir } from '../test/http/web-config-harness.js';

export interface AuthFloodMeasure {
  durationSeconds: number;
  floodClients: number;
  slowestAuthorisedScrapeMs: number;
  p50AuthorisedScrapeMs: number;
  p99AuthorisedScrapeMs: number;
  authorisedScrapes: number;
  authorisedFailures: number;
  status429: number;
  status401: number;
  floodRequests: number;
  floodErrors: number;
}

export async function measureAuthFlood(opts: { durationMs?: number; clients?: number } = {}): Promise<AuthFloodMeasure> {
  const durationMs = opts.durationMs ?? 15_000;
  const clients = opts.clients ?? 20;
  const password = 'correct horse battery staple';
  const tmp = tempDir('auth-flood-bench-');
  const file = join(tmp.dir, 'web.yml');
  writeFileSync(file, `basic_auth_users:\n  prometheus: ${bcrypt.hashSync(password, 10)}\n  ops: ${bcrypt.hashSync('another one', 10)}\n`);
  const exporter = await startExporter(file);
  try {
    // The first authorised scrape pays for bcrypt once; from then on it is a cache hit.
    const first = await get(exporter.port, { auth: `prometheus:${password}` });
    if (first.status !== 200) throw new Error(`authorised scrape answered ${first.status}`);
    const r = await runAuthFlood({ port: exporter.port, user: 'prometheus', password, clients, durationMs, scrapeEveryMs: 250 });
    const round = (ms: number): number => Math.round(ms * 10) / 10;
    return {
      durationSeconds: durationMs / 1000,
      floodClients: clients,
      slowestAuthorisedScrapeMs: round(r.slowestMs),
      p50AuthorisedScrapeMs: round(r.p50Ms),
      p99AuthorisedScrapeMs: round(r.p99Ms),
      authorisedScrapes: r.authorisedScrapes,
      authorisedFailures: r.authorisedFailures.length,
      status429: r.flood.status429,
      status401: r.flood.status401,
      floodRequests: r.flood.requests,
      floodErrors: Object.values(r.flood.errors).reduce((a, b) => a + b, 0),
    };
  } finally {
    await exporter.stop();
    tmp.remove();
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const seconds = Number(process.argv[2] ?? 15);
  console.log(JSON.stringify(await measureAuthFlood({ durationMs: seconds * 1000 })));
}
