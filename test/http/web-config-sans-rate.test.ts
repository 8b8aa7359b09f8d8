/**
 * client_allowed_sans' reading of a certificate (src/http/client-sans.ts) on certificates made by
 * openssl with every kind of SAN, and rate_limit's token bucket (src/http/rate-limit.ts) on a clock
 * the test moves, against golang.org/x/time/rate's arithmetic.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificateSans, goIpString, sanRefusal } from '../../src/http/client-sans.js';
import { tokenBucket } from '../../src/http/rate-limit.js';
import { run } from '../support/run.js';
import { tempDir } from './web-config-harness.js';

describe('client_allowed_sans: the SANs of a certificate, as Go lists them', () => {
  let tmp: { dir: string; remove: () => void };
  before(() => {
    tmp = tempDir('webcfg-sans-');
  });
  after(() => tmp.remove());

  async function certWith(san: string | null): Promise<Buffer> {
    const args = [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=sans',
      '-keyout',
      'k.pem',
      '-out',
      'c.pem',
    ];
    await run('openssl', san === null ? args : [...args, '-addext', `subjectAltName=${san}`], { cwd: tmp.dir, timeoutMs: 30_000 });
    return new X509Certificate(readFileSync(join(tmp.dir, 'c.pem'))).raw;
  }

  test('DNS names, then e-mails, then IPs in Go form, then URIs, whatever order the certificate has', async () => {
    const der = await certWith(
      'URI:spiffe://cluster.local/ns/mon/sa/prometheus,IP:::ffff:10.1.2.3,email:ops@example.org,IP:2001:db8:0:0:1:0:0:1,DNS:scraper.example.org,IP:10.0.0.1,IP:0:0:0:0:0:0:0:1,DNS:b',
    );
    assert.deepEqual(certificateSans(der), [
      'scraper.example.org',
      'b',
      'ops@example.org',
      '10.1.2.3',
      '2001:db8::1:0:0:1',
      '10.0.0.1',
      '::1',
      'spiffe://cluster.local/ns/mon/sa/prometheus',
    ]);
  });

  test('no SAN extension: none; a match is exact (case and all)', async () => {
    const none = await certWith(null);
    assert.deepEqual(certificateSans(none), []);
    assert.match(sanRefusal(['sans'], none) ?? '', /carries none of client_allowed_sans/, 'the CN is not a SAN');
    const der = await certWith('DNS:Scraper');
    assert.equal(sanRefusal(['Scraper'], der), null);
    assert.notEqual(sanRefusal(['scraper'], der), null);
    assert.notEqual(sanRefusal([], der), null, 'an empty list refuses all');
    assert.match(sanRefusal(['x'], null) ?? '', /no client certificate/);
  });

  test('truncated or garbled DER is unreadable (refused), never a throw', async () => {
    const der = await certWith('DNS:a,IP:10.0.0.1');
    for (let cut = 0; cut < der.length; cut += 7) {
      const r = certificateSans(der.subarray(0, cut));
      assert.ok(r === null || Array.isArray(r));
    }
    const flipped = Buffer.from(der);
    for (let i = 0; i < flipped.length; i += 3) {
      flipped[i] = (flipped[i] as number) ^ 0xff;
      const r = certificateSans(flipped);
      assert.ok(r === null || Array.isArray(r));
    }
  });

  test("IP addresses as Go's net.IP.String() writes them", () => {
    const v6 = (hex: string) => Buffer.from(hex.replaceAll(':', ''), 'hex');
    assert.equal(goIpString(Buffer.from([192, 0, 2, 1])), '192.0.2.1');
    assert.equal(goIpString(v6('0000:0000:0000:0000:0000:ffff:c000:0201')), '192.0.2.1', 'IPv4-mapped');
    assert.equal(goIpString(v6('0000:0000:0000:0000:0000:0000:c000:0201')), '::c000:201', 'IPv4-compatible is not dotted in Go');
    assert.equal(goIpString(v6('2001:0db8:0000:0000:0001:0000:0000:0001')), '2001:db8::1:0:0:1', 'the first of two equal runs');
    assert.equal(goIpString(v6('2001:0db8:0000:0001:0001:0001:0001:0001')), '2001:db8:0:1:1:1:1:1', 'a single zero group stays');
    assert.equal(goIpString(v6('0000:0000:0000:0000:0000:0000:0000:0000')), '::');
    assert.equal(goIpString(v6('fe80:0000:0000:0000:0000:0000:0000:0000')), 'fe80::');
  });
});

describe("rate_limit's token bucket, as golang.org/x/time/rate", () => {
  test('full at start; one token back per interval, never more than burst', () => {
    let now = 1_000;
    const bucket = tokenBucket({ intervalMs: 1_000, burst: 3 }, () => now);
    assert.deepEqual([bucket.allow(), bucket.allow(), bucket.allow(), bucket.allow()], [true, true, true, false]);
    now += 999;
    assert.equal(bucket.allow(), false, '0.999 of a token');
    now += 1;
    assert.equal(bucket.allow(), true, 'one token after one interval');
    assert.equal(bucket.allow(), false);
    now += 60_000;
    assert.deepEqual([bucket.allow(), bucket.allow(), bucket.allow(), bucket.allow()], [true, true, true, false], 'capped at burst');
  });

  test('refused requests take nothing; burst 0 or below refuses all; a clock going back adds nothing', () => {
    let now = 0;
    const bucket = tokenBucket({ intervalMs: 100, burst: 1 }, () => now);
    assert.equal(bucket.allow(), true);
    now += 50;
    assert.equal(bucket.allow(), false);
    now += 50;
    assert.equal(bucket.allow(), true, 'the refused request at 50 ms cost nothing');
    now -= 1_000;
    assert.equal(bucket.allow(), false);
    for (const burst of [0, -1]) {
      const none = tokenBucket({ intervalMs: 1, burst }, () => now);
      now += 10_000;
      assert.equal(none.allow(), false, `burst ${burst}`);
    }
  });
});
