/**
 * A flood of wrong passwords and unknown user names over real sockets, against the real app (buildApp
 * with a web config, listening on loopback) in this process, so that bcrypt's comparisons can be
 * counted through the injectable compare, which wraps the real worker thread. The flood's 20 clients
 * run in a worker thread of their own (auth-flood-driver.ts); an authorised client scrapes throughout.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { Registry } from 'prom-client';
import { buildApp } from '../../src/http/app.js';
import { createBcryptThread } from '../../src/http/bcrypt-thread.js';
import { createBasicAuth } from '../../src/http/web-config-auth.js';
import { loadWebConfig, bcryptCost } from '../../src/http/web-config.js';
import { createWebConfigRuntime } from '../../src/http/web-config-reload.js';
import { createLogger } from '../../src/log/logger.js';
import { runAuthFlood } from './auth-flood-driver.js';
import { get, tempDir } from './web-config-harness.js';

const tmp = tempDir('auth-flood-');
const thread = createBcryptThread();
after(async () => {
  await thread.close();
  tmp.remove();
});

test(
  '20 clients flooding wrong passwords and unknown users: every authorised scrape answers 200, the excess gets 429',
  { timeout: 120_000 },
  async (t) => {
    const password = 'correct horse battery staple';
    const file = join(tmp.dir, 'web.yml');
    writeFileSync(file, `basic_auth_users:\n  prometheus: ${bcrypt.hashSync(password, 10)}\n  ops: ${bcrypt.hashSync('other', 10)}\n`);
    const compared: number[] = [];
    const auth = createBasicAuth({
      compare: (p, hash) => {
        compared.push(bcryptCost(hash) ?? -1);
        return thread.compare(p, hash);
      },
    });
    const logger = createLogger('error', 'json', () => {});
    const web = createWebConfigRuntime(file, loadWebConfig(file), logger, auth);
    const app = buildApp({
      registry: new Registry(),
      telemetryPath: '/metrics',
      logger,
      version: 't',
      health: () => ({ ok: true, body: { status: 'ok' } }),
      webConfig: web,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (app.server.address() as AddressInfo).port;
      await auth.prepare(web.current().users);
      const prepared = compared.length; // the runtime's own prepare and this one: dummy comparisons
      assert.equal((await get(port, { auth: `prometheus:${password}` })).status, 200, 'the first scrape (compared, then cached)');

      const r = await runAuthFlood({ port, user: 'prometheus', password, clients: 20, durationMs: 6000, scrapeEveryMs: 250 });
      t.diagnostic(JSON.stringify({ ...r, counts: auth.counts, compared: compared.length - prepared }));

      assert.deepEqual(r.authorisedFailures, [], 'every authorised scrape during the flood answered 200');
      assert.ok(r.authorisedScrapes > 0);
      assert.deepEqual(r.flood.errors, {}, 'every flood request was answered');
      assert.deepEqual(r.flood.other, {}, 'flood requests get 401 or 429, nothing else');
      assert.equal(r.flood.requests, r.flood.status401 + r.flood.status429);
      assert.ok(r.flood.status429 > 0, 'more attempts than the queue holds: some were turned away');
      // What the server counted is what the clients saw, and only admitted denials cost bcrypt.
      assert.equal(auth.counts.busy, r.flood.status429);
      assert.equal(auth.counts.denied + auth.counts.deniedCached, r.flood.status401);
      assert.ok(auth.counts.deniedCached > 0, 'the clients repeating one wrong password hit the failure cache');
      assert.equal(auth.counts.ok, 1, 'one comparison for the authorised client; every later scrape was a cache hit');
      assert.equal(auth.counts.okCached, r.authorisedScrapes);
      assert.equal(compared.length - prepared, auth.counts.ok + auth.counts.denied);
      assert.deepEqual([...new Set(compared)], [10], 'unknown users too: the dummy costs 10');
    } finally {
      await app.close();
    }
  },
);
