/**
 * --web.config.file, in process: parsing and validation on literal YAML, the TLS files on certificates
 * made by openssl, basic auth, and the app's answers (fastify inject) while the file changes.
 * The real exporter with a real TLS client is web-config-server.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { Registry } from 'prom-client';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/log/logger.js';
import {
  bcryptCost,
  loadTlsMaterial,
  loadWebConfig,
  parseWebConfig,
  WebConfigError,
  type TlsSettings,
  type WebConfig,
} from '../../src/http/web-config.js';
import { createBasicAuth, parseBasicAuthorization } from '../../src/http/web-config-auth.js';
import { createWebConfigRuntime } from '../../src/http/web-config-reload.js';
import { makePki, tempDir, type Pki } from './web-config-harness.js';

/** The example of exporter-toolkit's docs/web-configuration.md "About bcrypt" (htpasswd -nBC 10). */
const HTPASSWD_HASH = '$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG';
const ALICE = bcrypt.hashSync('alice-secret', 4);

function parse(yaml: string): WebConfig {
  return parseWebConfig(yaml, '/etc/exporter', 'web.yml');
}

function parseError(yaml: string): string {
  try {
    parse(yaml);
  } catch (err) {
    assert.ok(err instanceof WebConfigError, `not a WebConfigError: ${String(err)}`);
    assert.doesNotMatch(err.message, /\n/, 'one line');
    return err.message;
  }
  assert.fail(`accepted:\n${yaml}`);
}

describe('parseWebConfig', () => {
  test('the whole format: TLS files relative to the file, users, headers; toolkit defaults', () => {
    const c = parse(`
tls_server_config:
  cert_file: certs/server.crt
  key_file: /abs/server.key
  client_ca_file: ca.crt
  client_auth_type: RequireAndVerifyClientCert
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Strict-Transport-Security: max-age=31536000
    Content-Security-Policy: ""
basic_auth_users:
  alice: ${ALICE}
  prometheus: ${HTPASSWD_HASH}
`);
    assert.deepEqual(c.tls, {
      cert: { file: '/etc/exporter/certs/server.crt' },
      key: { file: '/abs/server.key' },
      clientCa: { file: '/etc/exporter/ca.crt' },
      clientAuth: 'RequireAndVerifyClientCert',
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      preferServerCipherSuites: true,
      cipherSuites: null,
      curvePreferences: null,
      clientAllowedSans: null,
    } satisfies TlsSettings);
    assert.deepEqual([...c.users.keys()], ['alice', 'prometheus']);
    assert.equal(c.users.get('prometheus'), HTPASSWD_HASH);
    // A blank header is unset, as the toolkit documents.
    assert.deepEqual(c.headers, [
      ['X-Frame-Options', 'deny'],
      ['X-Content-Type-Options', 'nosniff'],
      ['Strict-Transport-Security', 'max-age=31536000'],
    ]);
  });

  test('an empty file, empty sections, and TLS fields left empty mean plain HTTP without auth', () => {
    for (const yaml of [
      '',
      '# nothing\n',
      'tls_server_config:\nbasic_auth_users:\nhttp_server_config:\n',
      'tls_server_config:\n  cert_file: ""\n  client_auth_type: ""\n',
    ]) {
      const c = parse(yaml);
      assert.equal(c.tls, null, yaml);
      assert.equal(c.users.size, 0);
      assert.deepEqual(c.headers, []);
    }
  });

  test('versions, the old RequireClientCert name, inline PEMs, empty lists, a null rate_limit', () => {
    const c = parse(`
tls_server_config:
  cert: "-----BEGIN CERTIFICATE-----"
  key: "-----BEGIN PRIVATE KEY-----"
  client_auth_type: RequireClientCert
  min_version: TLS13
  max_version: TLS13
  prefer_server_cipher_suites: false
  cipher_suites: []
rate_limit:
`);
    assert.equal(c.tls?.clientAuth, 'RequireAnyClientCert');
    assert.deepEqual(c.tls?.cert, { inline: '-----BEGIN CERTIFICATE-----' });
    assert.equal(c.tls?.minVersion, 'TLSv1.3');
    assert.equal(c.tls?.preferServerCipherSuites, false);
  });

  const BAD: Array<[string, string, RegExp]> = [
    ['unparsable YAML', 'tls_server_config:\n  cert_file: [a,\n  key_file: b\n', /^web\.yml is not valid YAML: .* at line \d+, column \d+$/],
    ['a duplicate key', 'basic_auth_users:\n  a: x\n  a: y\n', /^basic_auth_users has the key "a" twice$/],
    ['a tab indentation', 'basic_auth_users:\n\ta: x\n', /not valid YAML/],
    ['an unknown top-level key', 'basic_auth_user:\n  alice: x\n', /^unknown key "basic_auth_user" in the file$/],
    ['an unknown TLS key', 'tls_server_config:\n  certfile: a\n', /^unknown key "certfile" in tls_server_config$/],
    [
      'an unknown http_server_config key',
      'http_server_config:\n  header:\n    X-Frame-Options: deny\n',
      /^unknown key "header" in http_server_config$/,
    ],
    ['a list at the top', '- a\n', /^the file must be a mapping$/],
    ['users as a list', 'basic_auth_users:\n  - alice\n', /^basic_auth_users must be a mapping$/],
    ['a plain-text password', 'basic_auth_users:\n  alice: secret\n', /^basic_auth_users: the password of user "alice" is not a bcrypt hash/],
    ['an MD5 htpasswd hash', 'basic_auth_users:\n  alice: $apr1$xyz$0123456789abcdefghijkl\n', /user "alice" is not a bcrypt hash/],
    ['a truncated bcrypt hash', `basic_auth_users:\n  alice: ${HTPASSWD_HASH.slice(0, -1)}\n`, /user "alice" is not a bcrypt hash/],
    ['bcrypt cost 3', `basic_auth_users:\n  alice: ${HTPASSWD_HASH.replace('$10$', '$03$')}\n`, /user "alice" is not a bcrypt hash/],
    ['a hash that is a number', 'basic_auth_users:\n  alice: 12\n', /user "alice" is not a bcrypt hash/],
    ['a hash left empty', 'basic_auth_users:\n  alice:\n', /user "alice" is not a bcrypt hash/],
    [
      'a bad client_auth_type',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerify\n',
      /^tls_server_config\.client_auth_type: "RequireAndVerify" is not one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert$/,
    ],
    ['a cert without key', 'tls_server_config:\n  cert_file: a\n', /^tls_server_config: key_file \(or key\) is missing$/],
    ['a key without cert', 'tls_server_config:\n  key_file: a\n', /^tls_server_config: cert_file \(or cert\) is missing$/],
    ['a client CA alone', 'tls_server_config:\n  client_ca_file: ca.crt\n', /cert_file \(or cert\) is missing/],
    ['cert and cert_file', 'tls_server_config:\n  cert: x\n  cert_file: a\n  key_file: b\n', /give cert or cert_file, not both/],
    [
      'a client CA with NoClientCert',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n',
      /a client CA is configured but client_auth_type is NoClientCert/,
    ],
    [
      'an unknown TLS version',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n',
      /^tls_server_config\.min_version: "TLS14" is not one of TLS10, TLS11, TLS12, TLS13$/,
    ],
    [
      'min above max',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n',
      /min_version TLS13 is above max_version TLS12/,
    ],
    [
      'a file name that is a list',
      'tls_server_config:\n  cert_file: [a]\n  key_file: b\n',
      /^tls_server_config\.cert_file must be a string, not a list$/,
    ],
    [
      'a header the toolkit does not allow',
      'http_server_config:\n  headers:\n    Server: nginx\n',
      /^http_server_config\.headers: "Server" can not be configured \(allowed: Strict-Transport-Security, /,
    ],
    ['a header in another case', 'http_server_config:\n  headers:\n    x-frame-options: deny\n', /"x-frame-options" can not be configured/],
    [
      'a bad X-Frame-Options',
      'http_server_config:\n  headers:\n    X-Frame-Options: allow-from x\n',
      /X-Frame-Options: "allow-from x" is not one of deny, sameorigin/,
    ],
    ['a bad X-Content-Type-Options', 'http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n', /is not one of nosniff/],
    [
      'a header value with a newline',
      'http_server_config:\n  headers:\n    Content-Security-Policy: "a\\nSet-Cookie: x"\n',
      /characters a header cannot carry/,
    ],
    ['an alias to no anchor', 'basic_auth_users: *users\n', /^the alias \*users names no anchor$/],
    ['users as a !!set (names without hashes)', 'basic_auth_users: !!set\n  ? alice\n', /user "alice" is not a bcrypt hash/],
    [
      'users as a !!omap (a list, where Go wants a mapping)',
      `basic_auth_users: !!omap\n  - alice: ${ALICE}\n`,
      /^basic_auth_users must be a mapping$/,
    ],
    ['a merge key', 'a: &a\n  alice: x\nbasic_auth_users:\n  <<: *a\n', /^unknown key "a" in the file$|merge keys \(<<\) are not supported/],
    ['a merge key in users', `basic_auth_users:\n  <<: {alice: ${ALICE}}\n`, /^basic_auth_users: merge keys \(<<\) are not supported$/],
    [
      'X-Frame-Options in capitals (the toolkit compares exactly)',
      'http_server_config:\n  headers:\n    X-Frame-Options: DENY\n',
      /"DENY" is not one of deny, sameorigin/,
    ],
    [
      'a quoted bool',
      'http_server_config:\n  http2: "true"\n',
      /^http_server_config\.http2 must be true or false \(yes\/no\/on\/off\), not "true"$/,
    ],
    [
      'a number for a bool',
      'tls_server_config:\n  prefer_server_cipher_suites: 1\n',
      /prefer_server_cipher_suites must be true or false .*not int 1$/,
    ],
    [
      'an unknown cipher',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n',
      /^tls_server_config\.cipher_suites: unknown cipher "TLS_RSA_WITH_RC4_128_SHA" \(Go's names: /,
    ],
    [
      'an unknown curve',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [P-256]\n',
      /^tls_server_config\.curve_preferences: unknown curve "P-256"/,
    ],
    [
      'cipher_suites that is not a list',
      'tls_server_config:\n  cipher_suites: TLS_AES_128_GCM_SHA256\n',
      /^tls_server_config\.cipher_suites must be a list$/,
    ],
    [
      'an empty cipher in the list',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [~]\n',
      /^tls_server_config\.cipher_suites\[0\] is empty$/,
    ],
    [
      'a TLS 1.2 suite list without the one HTTP/2 needs',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n',
      /cipher_suites lacks the suite HTTP\/2 requires .* or set http_server_config\.http2: false$/,
    ],
    [
      'only TLS 1.3 suites but at most TLS 1.2',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  max_version: TLS12\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\nhttp_server_config:\n  http2: false\n',
      /holds only TLS 1\.3 suites but max_version is below TLS13/,
    ],
    [
      'a min_version written Null (reaches the version parser as "")',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: Null\n',
      /^tls_server_config\.min_version: "" is not one of TLS10/,
    ],
    [
      'a rate_limit interval without a unit',
      'rate_limit:\n  interval: "5"\n  burst: 1\n',
      /^rate_limit\.interval must be a duration such as 30s or 1m .*not "5"$/,
    ],
    [
      'a rate_limit burst that is text',
      'rate_limit:\n  interval: 1s\n  burst: many\n',
      /^rate_limit\.burst must be a whole number, not "many"$/,
    ],
    ['an unknown rate_limit key', 'rate_limit:\n  interval: 1s\n  brust: 1\n', /^unknown key "brust" in rate_limit$/],
    [
      'an explicit tag the text does not fit',
      'rate_limit:\n  interval: 1s\n  burst: !!int ten\n',
      /^rate_limit\.burst: cannot decode !!str `ten` as a !!int$/,
    ],
    [
      'the same user as a number and as text',
      `basic_auth_users:\n  1: ${ALICE}\n  "1": ${ALICE}\n`,
      /^basic_auth_users has the key "1" twice$/,
    ],
    [
      'a user name with a line break, in one line',
      'basic_auth_users:\n  "a\\r\\nb": x\n',
      /^basic_auth_users: the password of user "a\\r\\nb" is not a bcrypt hash/,
    ],
  ];
  for (const [what, yaml, expected] of BAD) {
    test(`refuses ${what}, in one line`, () => {
      assert.match(parseError(yaml), expected);
    });
  }

  test('user names are read as Go reads them: the text as written (0x10, yes, 1.0, __proto__)', () => {
    const c = parse(`basic_auth_users:\n  alice: ${ALICE}\n  0x10: ${ALICE}\n  yes: ${ALICE}\n  1.0: ${ALICE}\n  __proto__: ${ALICE}\n`);
    assert.deepEqual([...c.users.keys()], ['alice', '0x10', 'yes', '1.0', '__proto__']);
  });

  test('YAML 1.1 values as exporter-toolkit reads them into its typed fields', () => {
    const c = parse(`
tls_server_config:
  cert_file: 0755
  key_file: yes
  prefer_server_cipher_suites: no
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
  curve_preferences: [X25519, CurveP256]
  client_allowed_sans: [1.2.3.4, on]
http_server_config:
  http2: yes
  headers:
    X-XSS-Protection: 1
    Strict-Transport-Security: 0x10
rate_limit:
  interval: 1m30s
  burst: 0x1_0
`);
    assert.deepEqual(c.tls?.cert, { file: '/etc/exporter/0755' }, 'a string field keeps the text');
    assert.deepEqual(c.tls?.key, { file: '/etc/exporter/yes' });
    assert.equal(c.tls?.preferServerCipherSuites, false);
    assert.deepEqual(c.tls?.cipherSuites, ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256']);
    assert.deepEqual(c.tls?.curvePreferences, ['X25519', 'CurveP256']);
    assert.deepEqual(c.tls?.clientAllowedSans, ['1.2.3.4', 'on']);
    assert.equal(c.http2, true);
    assert.deepEqual(c.headers, [
      ['X-XSS-Protection', '1'],
      ['Strict-Transport-Security', '0x10'],
    ]);
    assert.deepEqual(c.rateLimit, { intervalMs: 90_000, burst: 16 });
  });

  test('null fields take Go zero values; rate_limit with interval 0 or below is no limiter', () => {
    const c = parse('http_server_config:\nrate_limit:\n  interval: 0\n  burst: 0\n');
    assert.equal(c.http2, false, 'a null http_server_config resets http2 to false, as yaml.v2 does');
    assert.equal(c.rateLimit, null);
    assert.equal(parse('rate_limit:\n  interval: -1s\n  burst: 0\n').rateLimit, null, 'rate.Every of a negative interval is unlimited');
    assert.equal(parse('').http2, true, "Go's default");
    assert.equal(parse('rate_limit:\n  interval: 1000000000\n').rateLimit?.intervalMs, 1000, 'an int is nanoseconds');
    assert.equal(parse('rate_limit:\n  interval: 1s\n').rateLimit?.burst, 0, 'burst null is 0: every request refused, as in the toolkit');
    const sans = parse('tls_server_config:\n  cert_file: a\n  key_file: b\n  client_allowed_sans: []\n').tls?.clientAllowedSans;
    assert.deepEqual(sans, [], 'an empty list is set (every client refused), not absent');
  });

  test("the README's example file is valid", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## TLS and basic authentication'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const c = parse(example);
    assert.equal(c.tls?.clientAuth, 'RequireAndVerifyClientCert');
    assert.equal(c.users.get('prometheus'), HTPASSWD_HASH);
    assert.equal(c.headers.length, 3);
  });

  test('bcryptCost reads $2y$ (htpasswd), $2b$ and $2a$ hashes', () => {
    assert.equal(bcryptCost(HTPASSWD_HASH), 10);
    assert.equal(bcryptCost(ALICE), 4);
    assert.equal(bcryptCost(HTPASSWD_HASH.replace('$2y$', '$2a$')), 10);
    assert.equal(bcryptCost(HTPASSWD_HASH.replace('$10$', '$32$')), null);
    assert.equal(bcryptCost('$2x$10$' + 'a'.repeat(53)), null);
  });
});

describe('basic auth', () => {
  test('parseBasicAuthorization reads the header as Go does', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    assert.deepEqual(parseBasicAuthorization(`Basic ${b64('alice:pa:ss')}`), { user: 'alice', password: 'pa:ss', exact: true });
    assert.deepEqual(parseBasicAuthorization(`basic ${b64('alice:')}`), { user: 'alice', password: '', exact: true });
    assert.deepEqual(parseBasicAuthorization(`Basic ${b64('ünï:çödé')}`), { user: 'ünï', password: 'çödé', exact: true });
    assert.equal(parseBasicAuthorization(`Basic ${b64('no-colon')}`), null);
    assert.equal(parseBasicAuthorization(`Bearer ${b64('a:b')}`), null);
    assert.equal(parseBasicAuthorization('Basic !!!'), null);
    assert.equal(parseBasicAuthorization('Basic YWJj'.slice(0, -1)), null);
    const invalidUtf8 = Buffer.concat([Buffer.from('alice:'), Buffer.from([0xff, 0xfe])]).toString('base64');
    assert.equal(parseBasicAuthorization(`Basic ${invalidUtf8}`)?.exact, false);
  });

  test('right, wrong, unknown, absent; unknown users are compared against a dummy hash', async () => {
    const compared: string[] = [];
    const auth = createBasicAuth({
      compare: async (password, hash) => {
        compared.push(hash);
        return bcrypt.compare(password, hash);
      },
    });
    const users = new Map([['alice', ALICE]]);
    const header = (creds: string) => `Basic ${Buffer.from(creds).toString('base64')}`;
    assert.equal(await auth.check(users, header('alice:alice-secret')), 'ok');
    assert.equal(await auth.check(users, header('alice:wrong')), 'denied');
    assert.equal(await auth.check(users, header('mallory:alice-secret')), 'denied');
    assert.equal(await auth.check(users, undefined), 'absent');
    assert.equal(await auth.check(users, 'Basic garbage'), 'denied');
    assert.equal(compared.length, 3, 'a malformed header costs no bcrypt, a known or unknown user one each');
    const dummy = compared[2] ?? '';
    assert.notEqual(dummy, ALICE);
    // One fixed cost, exporter-toolkit's 10, whatever the users' costs (4 here): an unknown name never
    // costs more than that; the denial floor (denial-floor.ts) makes their timing equal.
    assert.equal(bcryptCost(dummy), 10);
  });

  test('a success is remembered for a while, keyed by the hash: a new password applies at once', async () => {
    let compares = 0;
    let clock = 1_000_000;
    const auth = createBasicAuth({
      cacheTtlMs: 60_000,
      now: () => clock,
      compare: async (p, h) => {
        compares++;
        return bcrypt.compare(p, h);
      },
    });
    const header = `Basic ${Buffer.from('alice:alice-secret').toString('base64')}`;
    const users = new Map([['alice', ALICE]]);
    assert.equal(await auth.check(users, header), 'ok');
    assert.equal(await auth.check(users, header), 'ok');
    assert.equal(compares, 1, 'the second check is a cache hit');
    clock += 61_000;
    assert.equal(await auth.check(users, header), 'ok');
    assert.equal(compares, 2, 'expired: compared again');
    const changed = new Map([['alice', bcrypt.hashSync('new-secret', 4)]]);
    assert.equal(await auth.check(changed, header), 'denied', 'the old password stops working with the new hash');
    // A failure is remembered too (for a shorter while): a repeated wrong password costs no bcrypt.
    const wrong = `Basic ${Buffer.from('alice:nope').toString('base64')}`;
    const before = compares;
    assert.equal(await auth.check(users, wrong), 'denied');
    assert.equal(await auth.check(users, wrong), 'denied');
    assert.equal(compares - before, 1);
  });
});

describe('TLS files', () => {
  let pki: Pki;
  let tmp: { dir: string; remove: () => void };
  before(async () => {
    tmp = tempDir('webcfg-unit-');
    pki = await makePki(tmp.dir);
  });
  after(() => tmp.remove());

  const settings = (over: Partial<TlsSettings> = {}): TlsSettings => ({
    cert: { file: pki.serverCertFile },
    key: { file: pki.serverKeyFile },
    clientCa: null,
    clientAuth: 'NoClientCert',
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    preferServerCipherSuites: true,
    cipherSuites: null,
    curvePreferences: null,
    clientAllowedSans: null,
    ...over,
  });

  test('each client auth type maps onto OpenSSL as Go means it', () => {
    const expected = {
      NoClientCert: [false, false],
      RequestClientCert: [true, false],
      RequireAnyClientCert: [true, false],
      VerifyClientCertIfGiven: [true, false],
      RequireAndVerifyClientCert: [true, true],
    } as const;
    for (const [clientAuth, [requestCert, rejectUnauthorized]] of Object.entries(expected)) {
      const m = loadTlsMaterial(settings({ clientAuth: clientAuth as TlsSettings['clientAuth'], clientCa: { file: pki.caFile } }));
      assert.deepEqual([m.clientAuth, m.requestCert, m.rejectUnauthorized], [clientAuth, requestCert, rejectUnauthorized]);
      assert.equal(m.contextOptions.ca, pki.ca);
    }
    const inline = loadTlsMaterial(settings({ cert: { inline: pki.clientCert }, key: { inline: pki.clientKey } }));
    assert.equal(inline.contextOptions.cert, pki.clientCert);
  });

  test('unreadable, unparsable and mismatched files are one clear line each', () => {
    const bad = (over: Partial<TlsSettings>, expected: RegExp) => {
      assert.throws(
        () => loadTlsMaterial(settings(over)),
        (err: Error) => {
          assert.ok(err instanceof WebConfigError);
          assert.doesNotMatch(err.message, /\n/);
          assert.match(err.message, expected);
          return true;
        },
      );
    };
    bad({ cert: { file: join(pki.dir, 'missing.crt') } }, /^cannot read tls_server_config\.cert_file .*missing\.crt: no such file$/);
    bad({ key: { file: pki.dir } }, /^cannot read tls_server_config\.key_file .*: is a directory$/);
    bad({ cert: { file: pki.serverKeyFile } }, /cert_file .*server\.key holds no PEM certificate$/);
    bad({ key: { file: pki.serverCertFile } }, /key_file .*server\.crt holds no PEM private key$/);
    bad({ key: { inline: pki.clientKey } }, /^tls_server_config: key does not match cert_file /);
    bad(
      { clientAuth: 'RequireAndVerifyClientCert', clientCa: { file: pki.serverKeyFile } },
      /client_ca_file .* holds no valid PEM certificates$/,
    );
  });

  test('loadWebConfig reads the file and its TLS files, as main does at start', () => {
    const file = join(tmp.dir, 'web.yml');
    writeFileSync(file, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n');
    const loaded = loadWebConfig(file);
    assert.equal(loaded.tls?.contextOptions.cert, readFileSync(pki.serverCertFile, 'utf8'), 'relative to the file');
    writeFileSync(file, 'tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n');
    assert.throws(() => loadWebConfig(file), /key_file .*client\.key does not match cert_file .*server\.crt/);
    assert.throws(() => loadWebConfig(join(tmp.dir, 'nope.yml')), /^WebConfigError: cannot read .*nope\.yml: no such file$/);
  });
});

describe('the app with a web config (inject)', () => {
  let tmp: { dir: string; remove: () => void };
  before(() => {
    tmp = tempDir('webcfg-app-');
  });
  after(() => tmp.remove());

  function setup(yaml: string) {
    const file = join(tmp.dir, `web-${Math.random().toString(36).slice(2)}.yml`);
    writeFileSync(file, yaml);
    const lines: string[] = [];
    const logger = createLogger('info', 'json', (l) => lines.push(l));
    const runtime = createWebConfigRuntime(file, loadWebConfig(file), logger);
    const registry = new Registry();
    const app = buildApp({
      registry,
      telemetryPath: '/metrics',
      logger,
      version: 't',
      health: () => ({ ok: true, body: { status: 'ok', components: { dockerd: 'up' } } }),
      webConfig: runtime,
    });
    /** Replaces the file the way editors and config management do: write beside, rename over. */
    const rewrite = (text: string) => {
      writeFileSync(`${file}.new`, text);
      renameSync(`${file}.new`, file);
    };
    return { app, file, rewrite, logs: () => lines.map((l) => JSON.parse(l) as { level: string; msg: string; err?: string }) };
  }
  const basic = (creds: string) => ({ authorization: `Basic ${Buffer.from(creds).toString('base64')}` });

  test('every path needs credentials; 401 says Basic; the extra headers are on every answer', async () => {
    const { app } = setup(
      `basic_auth_users:\n  alice: ${ALICE}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n    Content-Security-Policy: default-src 'none'\n`,
    );
    for (const url of ['/metrics', '/', '/nope', '/metrics?x=1']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 401, url);
      assert.equal(res.headers['www-authenticate'], 'Basic');
      assert.equal(res.headers['x-frame-options'], 'deny');
    }
    for (const creds of ['alice:wrong', 'bob:alice-secret', 'alice']) {
      assert.equal((await app.inject({ url: '/metrics', headers: basic(creds) })).statusCode, 401, creds);
    }
    const ok = await app.inject({ url: '/metrics', headers: basic('alice:alice-secret') });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.headers['content-security-policy'], "default-src 'none'");
    assert.equal((await app.inject({ url: '/nope', headers: basic('alice:alice-secret') })).statusCode, 404);
    const post = await app.inject({ method: 'POST', url: '/metrics' });
    assert.equal(post.statusCode, 401, 'authentication comes before the method check');
  });

  test('/healthz answers probes without credentials with its status only; details need credentials', async () => {
    const { app } = setup(`basic_auth_users:\n  alice: ${ALICE}\n`);
    const anon = await app.inject({ url: '/healthz' });
    assert.equal(anon.statusCode, 200);
    assert.deepEqual(anon.json(), { status: 'ok' });
    assert.equal((await app.inject({ method: 'HEAD', url: '/healthz' })).statusCode, 200);
    assert.equal((await app.inject({ url: '/healthz', headers: basic('alice:wrong') })).statusCode, 401, 'wrong credentials are refused');
    const authed = await app.inject({ url: '/healthz', headers: basic('alice:alice-secret') });
    assert.deepEqual(authed.json(), { status: 'ok', components: { dockerd: 'up' } });
  });

  test('without users nothing needs credentials, headers still apply', async () => {
    const { app } = setup('http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n');
    const res = await app.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  test('rate_limit: 429 beyond the burst, on every path, before authentication; a changed rate_limit applies at once', async () => {
    const { app, rewrite, logs } = setup(`rate_limit:\n  interval: 1h\n  burst: 2\nbasic_auth_users:\n  alice: ${ALICE}\n`);
    const asAlice = () => app.inject({ url: '/metrics', headers: basic('alice:alice-secret') });
    assert.equal((await asAlice()).statusCode, 200);
    assert.equal((await app.inject({ url: '/nope' })).statusCode, 401, 'a refused request still takes a token');
    const limited = await asAlice();
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.body, 'Too Many Requests\n');
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 429, 'every path, as the toolkit');
    assert.match(JSON.stringify(logs()[0]), /"rateLimit":"burst 2, one per 3600000ms"/);
    rewrite(`rate_limit:\n  interval: 1h\n  burst: 1\nbasic_auth_users:\n  alice: ${ALICE}\n`);
    assert.deepEqual([(await asAlice()).statusCode, (await asAlice()).statusCode], [200, 429], 'a new, full bucket of the new burst');
    rewrite(`basic_auth_users:\n  alice: ${ALICE}\n`);
    for (let i = 0; i < 3; i++) assert.equal((await asAlice()).statusCode, 200, 'no rate_limit: no limit');
  });

  test('the file is read again on the next request after a change; a broken file keeps the last good one, logged once', async () => {
    const { app, rewrite, logs } = setup(`basic_auth_users:\n  alice: ${ALICE}\n`);
    const asAlice = (pw: string) => app.inject({ url: '/metrics', headers: basic(`alice:${pw}`) });
    assert.equal((await asAlice('alice-secret')).statusCode, 200);

    rewrite(`basic_auth_users:\n  alice: ${bcrypt.hashSync('second', 4)}\nhttp_server_config:\n  headers:\n    X-Frame-Options: sameorigin\n`);
    const next = await asAlice('second');
    assert.equal(next.statusCode, 200, 'the very next request uses the new password');
    assert.equal(next.headers['x-frame-options'], 'sameorigin');
    assert.equal((await asAlice('alice-secret')).statusCode, 401, 'the old one stopped working');

    rewrite('basic_auth_users:\n  alice: not-a-hash\n');
    for (let i = 0; i < 3; i++) assert.equal((await asAlice('second')).statusCode, 200, 'the last good config stays');
    const failures = logs().filter((l) => l.msg === 'web config reload failed; keeping the last good config');
    assert.equal(failures.length, 1, 'one line, not one per request');
    assert.match(failures[0]?.err ?? '', /user "alice" is not a bcrypt hash/);

    rewrite('basic_auth_users:\n');
    assert.equal((await app.inject({ url: '/metrics' })).statusCode, 200, 'fixed by removing the users: open again');
  });
});
