/**
 * exporter-toolkit compatibility: each of upstream's web/testdata files, as re-stated in
 * test/fixtures/web-config/, is accepted or refused as upstream does (web-config-upstream-cases.ts),
 * in process (loadWebConfig, what main calls at start) and by the built exporter (it listens, or
 * exits 2 with one line). The table of docs/web-config.md is generated here: the test fails when the
 * committed table differs (UPDATE_DOCS=1 rewrites it). Then what the accepted files mean, with real
 * clients: cipher suites, curves, client_allowed_sans, rate_limit.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { loadWebConfig } from '../../src/http/web-config.js';
import { run } from '../support/run.js';
import { get, runExporterToExit, startExporter, tempDir, type RunningExporter } from './web-config-harness.js';
import { UPSTREAM_CASES } from './web-config-upstream-cases.js';

const FIXTURES = new URL('../../../test/fixtures/web-config/', import.meta.url).pathname;
const DOC = new URL('../../../docs/web-config.md', import.meta.url).pathname;

let tmp: { dir: string; remove: () => void };
const running: RunningExporter[] = [];
const pem = (name: string) => readFileSync(join(tmp.dir, name), 'utf8');

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { cwd: tmp.dir, timeoutMs: 60_000 });
}

/**
 * The certificates upstream's files name: server.crt/.key (RSA, for the ECDHE_RSA suites) from a CA
 * in tls-ca-chain.pem; client_selfsigned (a self-signed client CA, CN test, no SAN); client2_selfsigned
 * (the same with SAN DNS:test3); and client3, issued by client2 with SAN DNS:other.
 */
async function makeCertificates(): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'];
  await openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'tls-ca-chain.pem',
    '-subj',
    '/CN=upstream-case CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
  ]);
  await openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(tmp.dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await openssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'tls-ca-chain.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    'server.crt',
    '-extfile',
    'server.ext',
  ]);
  const client = [
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'extendedKeyUsage=clientAuth',
    '-addext',
    'keyUsage=digitalSignature,keyCertSign',
  ];
  await openssl(['req', '-x509', ...ec, '-keyout', 'client_selfsigned.key', '-out', 'client_selfsigned.pem', '-subj', '/CN=test', ...client]);
  await openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'client2_selfsigned.key',
    '-out',
    'client2_selfsigned.pem',
    '-subj',
    '/CN=test3',
    ...client,
    '-addext',
    'subjectAltName=DNS:test3',
  ]);
  await openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'client3.key',
    '-out',
    'client3.csr',
    '-subj',
    '/CN=test3',
  ]);
  writeFileSync(join(tmp.dir, 'client3.ext'), 'subjectAltName=DNS:other\nextendedKeyUsage=clientAuth\n');
  await openssl([
    'x509',
    '-req',
    '-in',
    'client3.csr',
    '-CA',
    'client2_selfsigned.pem',
    '-CAkey',
    'client2_selfsigned.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    'client3.pem',
    '-extfile',
    'client3.ext',
  ]);
}

/** The fixtures, beside the certificates, with "@inline:<file>@" replaced by that file's PEM. */
function placeFixtures(): string[] {
  const names = readdirSync(FIXTURES)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  for (const name of names) {
    copyFileSync(join(FIXTURES, name), join(tmp.dir, name));
    const text = readFileSync(join(tmp.dir, name), 'utf8').replace(/"@inline:([^@"]+)@"/g, (_, file: string) => JSON.stringify(pem(file)));
    writeFileSync(join(tmp.dir, name), text);
  }
  return names;
}

before(async () => {
  tmp = tempDir('webcfg-upstream-');
  await makeCertificates();
});
after(async () => {
  await Promise.all(running.map((r) => r.stop()));
  tmp.remove();
});

function ourVerdict(name: string): { verdict: 'accepted' | 'refused'; error?: string } {
  try {
    loadWebConfig(join(tmp.dir, name));
    return { verdict: 'accepted' };
  } catch (err) {
    return { verdict: 'refused', error: (err as Error).message.replaceAll(tmp.dir, '<dir>') };
  }
}

const cell = (text: string) => text.replaceAll('|', '\\|');
const short = (text: string) => (text.length > 110 ? `${text.slice(0, 107)}…` : text);

describe("exporter-toolkit's web/testdata, re-stated", () => {
  let names: string[] = [];
  before(() => {
    names = placeFixtures();
  });

  test('a fixture for every upstream case, and no other', () => {
    assert.deepEqual(names, Object.keys(UPSTREAM_CASES).sort());
  });

  test("every verdict is upstream's, and docs/web-config.md has this table", () => {
    const rows: string[] = [];
    const disagree: string[] = [];
    const counts = { accepted: 0, refused: 0, agree: 0 };
    for (const name of names) {
      const up = UPSTREAM_CASES[name];
      assert.ok(up, name);
      const ours = ourVerdict(name);
      counts[up.verdict]++;
      if (ours.verdict === up.verdict) counts.agree++;
      else disagree.push(`${name}: upstream ${up.verdict}, here ${ours.verdict} ${ours.error ?? ''}`);
      rows.push(
        `| \`${name}\` | ${up.verdict}${up.error ? `: ${cell(up.error)}` : ''} | ${cell(up.source)} | ${ours.verdict}${ours.error ? `: ${cell(short(ours.error))}` : ''} |`,
      );
    }
    const table = [
      `${names.length} files: upstream accepts ${counts.accepted} and refuses ${counts.refused}; this exporter agrees on ${counts.agree}, disagrees on ${names.length - counts.agree}.`,
      '',
      '| upstream file | upstream verdict | from | this exporter |',
      '|---|---|---|---|',
      ...rows,
    ].join('\n');
    const doc = readFileSync(DOC, 'utf8');
    const begin = '<!-- upstream-table:begin (generated by test/http/web-config-upstream.test.ts) -->\n';
    const end = '\n<!-- upstream-table:end -->';
    const at = doc.indexOf(begin);
    const until = doc.indexOf(end);
    assert.ok(at >= 0 && until > at, 'docs/web-config.md has the table markers');
    const expected = `${doc.slice(0, at + begin.length)}${table}${doc.slice(until)}`;
    if (process.env.UPDATE_DOCS === '1') writeFileSync(DOC, expected);
    assert.deepEqual(disagree, [], 'verdicts that differ from upstream');
    assert.equal(doc, expected, 'docs/web-config.md is out of date: run this test with UPDATE_DOCS=1');
  });

  test('the built exporter starts with each accepted file and exits 2 with one line on each refused one', async () => {
    const check = async (name: string): Promise<void> => {
      const file = join(tmp.dir, name);
      if (UPSTREAM_CASES[name]?.verdict === 'accepted') {
        const exporter = await startExporter(file);
        await exporter.stop();
        return;
      }
      const r = await runExporterToExit(file);
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, /^docker-engine-exporter: error: --web\.config\.file: [^\n]+\n$/, name);
    };
    // Four at a time: each is a separate process, and this is the slow part of the file.
    for (let i = 0; i < names.length; i += 4) await Promise.all(names.slice(i, i + 4).map(check));
  });
});

describe('what the accepted files mean, with real clients', () => {
  const ca = () => pem('tls-ca-chain.pem');
  async function serve(name: string): Promise<number> {
    const exporter = await startExporter(join(tmp.dir, name));
    running.push(exporter);
    return exporter.port;
  }
  const ok = (p: Promise<{ status: number }>) =>
    p.then(
      (r) => r.status === 200,
      () => false,
    );

  test('cipher_suites: a client offering only another suite fails the handshake; the server picks from its list', async () => {
    const port = await serve('web_config_noAuth_someCiphers.good.yml');
    const tls12 = (ciphers: string) => ({ ca: ca(), ciphers, maxVersion: 'TLSv1.2' as const });
    await assert.rejects(get(port, { tls: tls12('ECDHE-RSA-AES256-SHA') }), /handshake failure|alert/i, 'a suite outside the list');
    await assert.rejects(get(port, { tls: tls12('ECDHE-RSA-CHACHA20-POLY1305') }), /handshake failure|alert/i);
    const one = await get(port, { tls: tls12('ECDHE-RSA-AES128-GCM-SHA256') });
    assert.equal(one.status, 200);
    assert.equal(one.cipher, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    // The client prefers AES-256; prefer_server_cipher_suites (default true) makes the server's first win.
    const both = await get(port, { tls: tls12('ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256') });
    assert.equal(both.cipher, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    assert.equal((await get(port, { tls: { ca: ca() } })).protocol, 'TLSv1.2', 'max_version TLS12');
  });

  test("prefer_server_cipher_suites: off: the client's order wins", async () => {
    const port = await serve('web_config_noAuth_someCiphers_noOrder.good.yml');
    const both = await get(port, {
      tls: { ca: ca(), ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384', maxVersion: 'TLSv1.2' },
    });
    assert.equal(both.cipher, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    const reversed = await get(port, {
      tls: { ca: ca(), ciphers: 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' },
    });
    assert.equal(reversed.cipher, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
  });

  test('curve_preferences: a client with only another curve fails; with the listed one it is answered', async () => {
    const port = await serve('web_config_noAuth_someCurves.good.yml');
    await assert.rejects(get(port, { tls: { ca: ca(), ecdhCurve: 'P-256' } }), /handshake failure|alert|no suitable/i);
    await assert.rejects(get(port, { tls: { ca: ca(), ecdhCurve: 'X25519' } }));
    assert.equal((await get(port, { tls: { ca: ca(), ecdhCurve: 'P-384' } })).status, 200);
    const all = await serve('web_config_noAuth_allCurves.good.yml');
    for (const curve of ['P-256', 'P-384', 'P-521', 'X25519']) assert.ok(await ok(get(all, { tls: { ca: ca(), ecdhCurve: curve } })), curve);
  });

  test('client_allowed_sans: a certificate with an allowed SAN passes, one from the same CA without is refused', async () => {
    const client2 = { ca: ca(), cert: pem('client2_selfsigned.pem'), key: pem('client2_selfsigned.key') };
    const client3 = { ca: ca(), cert: `${pem('client3.pem')}`, key: pem('client3.key') };
    const good = await serve('web_config_auth_client_san.good.yaml');
    assert.equal((await get(good, { tls: client2 })).status, 200, 'SAN DNS:test3 is allowed');
    assert.equal(await ok(get(good, { tls: client3 })), false, 'SAN DNS:other (verified by the same CA) is not');
    assert.equal(await ok(get(good, { tls: { ca: ca() } })), false, 'no certificate');
    const bad = await serve('web_config_auth_client_san.bad.yaml');
    assert.equal(await ok(get(bad, { tls: client2 })), false, 'test3 is not in the bad file');
  });

  test('rate_limit: burst 0 refuses everything with 429, as in the toolkit', async () => {
    const port = await serve('web_config_rate_limiter_one_second.yaml');
    const res = await get(port);
    assert.equal(res.status, 429);
    assert.equal(res.body, 'Too Many Requests\n');
    const open = await serve('web_config_rate_limiter_nonblocking.yaml');
    for (let i = 0; i < 5; i++) assert.equal((await get(open)).status, 200, 'interval 0: no limiter');
  });

  test('rate_limit: burst+1 quick requests, the extra one is 429 (before authentication); after the interval, 200 again', async () => {
    const hash = bcrypt.hashSync('pw', 4);
    const file = join(tmp.dir, 'rate.yml');
    writeFileSync(
      file,
      `rate_limit:\n  interval: 4s\n  burst: 3\nbasic_auth_users:\n  alice: ${hash}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n`,
    );
    const exporter = await startExporter(file);
    running.push(exporter);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(exporter.port, { auth: 'alice:pw' })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const anonymous = await get(exporter.port);
    assert.equal(anonymous.status, 429, 'no token: 429 before the 401 of authentication');
    assert.equal(anonymous.headers['x-frame-options'], undefined, 'as the toolkit: the extra headers come after the limiter');
    await new Promise((r) => setTimeout(r, 4_500));
    assert.equal((await get(exporter.port, { auth: 'alice:pw' })).status, 200, 'a token came back after the interval');
  });
});
