/**
 * Property tests of the web config (src/http/web-config.ts: parseWebConfig, bcryptCost;
 * src/http/web-config-auth.ts: parseBasicAuthorization). Any YAML text gives a config or a one-line
 * WebConfigError (main turns it into exit 2; a reload keeps the last good config), never another
 * exception; a file written from known settings parses back to them; and it fails closed: a file that
 * lists users never yields a config without them.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as fc from 'fast-check';
import { stringify } from 'yaml';
import { CLIENT_AUTH_TYPES, WebConfigError, bcryptCost, parseWebConfig } from '../../src/http/web-config.js';
import { parseBasicAuthorization } from '../../src/http/web-config-auth.js';
import { anyString, assertOneLineError, onlyThrows, params } from '../support/property.js';

const DIR = '/etc/dee';

const bcryptHash = fc
  .tuple(fc.constantFrom('a', 'b', 'y'), fc.integer({ min: 4, max: 31 }), fc.stringMatching(/^[./A-Za-z0-9]{53}$/))
  .map(([v, cost, rest]) => `$2${v}$${String(cost).padStart(2, '0')}$${rest}`);
const userName = fc.oneof(anyString(20), fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/));
const users = fc.dictionary(userName, bcryptHash, { maxKeys: 4, noNullPrototype: true });

const HEADER_VALUES: Record<string, fc.Arbitrary<string>> = {
  'Strict-Transport-Security': fc.constantFrom('max-age=31536000', 'max-age=0; includeSubDomains'),
  'X-Content-Type-Options': fc.constant('nosniff'),
  'X-Frame-Options': fc.constantFrom('deny', 'sameorigin', 'DENY'),
  'X-XSS-Protection': fc.constantFrom('0', '1; mode=block'),
  'Content-Security-Policy': fc.stringMatching(/^[\x20-\x7e]{1,40}$/),
};
const headers = fc
  .subarray(Object.keys(HEADER_VALUES))
  .chain((names) => fc.tuple(...names.map((n) => (HEADER_VALUES[n] as fc.Arbitrary<string>).map((v): [string, string] => [n, v]))));

const VERSIONS = ['TLS10', 'TLS11', 'TLS12', 'TLS13'] as const;
const NODE_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
const fileName = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9._-]{0,12}$/), fc.stringMatching(/^\/[a-z0-9/._-]{1,20}$/));
const tls = fc.option(
  fc.record({
    cert_file: fileName,
    key_file: fileName,
    client: fc.option(fc.tuple(fileName, fc.constantFrom(...CLIENT_AUTH_TYPES.filter((t) => t !== 'NoClientCert'))), { nil: null }),
    versions: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
    prefer: fc.option(fc.boolean(), { nil: undefined }),
  }),
  { nil: null },
);

const config = fc.record({ users, headers, http2: fc.option(fc.boolean(), { nil: undefined }), tls });
type GeneratedConfig = typeof config extends fc.Arbitrary<infer T> ? T : never;

function toYaml(c: GeneratedConfig): string {
  const doc: Record<string, unknown> = {};
  if (Object.keys(c.users).length > 0) doc.basic_auth_users = c.users;
  if (c.headers.length > 0 || c.http2 !== undefined) {
    doc.http_server_config = { ...(c.http2 !== undefined ? { http2: c.http2 } : {}), ...(c.headers.length > 0 ? { headers: Object.fromEntries(c.headers) } : {}) };
  }
  if (c.tls) {
    doc.tls_server_config = {
      cert_file: c.tls.cert_file,
      key_file: c.tls.key_file,
      ...(c.tls.client ? { client_ca_file: c.tls.client[0], client_auth_type: c.tls.client[1] } : {}),
      min_version: VERSIONS[c.tls.versions[0]],
      max_version: VERSIONS[c.tls.versions[1]],
      ...(c.tls.prefer !== undefined ? { prefer_server_cipher_suites: c.tls.prefer } : {}),
    };
  }
  return stringify(doc);
}

const resolve = (f: string): string => (f.startsWith('/') ? f : join(DIR, f));

/** YAML-ish text from the schema's keys, tags, anchors and aliases: the parser's harder inputs. */
const yamlish = fc
  .array(
    fc.constantFrom(
      'basic_auth_users:', 'tls_server_config:', 'http_server_config:', 'headers:', 'http2: true', 'cert_file: c', 'key_file: k',
      'client_auth_type: RequireAndVerifyClientCert', 'alice: $2y$10$FHOa1dA9CwvFNAJoHHjZw.d06oo23qictpUK6t3dCn0XjxR44WoGu',
      'X-Frame-Options: deny', 'rate_limit:', 'cipher_suites: []', '!!omap', '!!set', '!!binary aGk=', '!!str', '!!map', '!!seq', '!!null',
      '&a', '*a', '*b', '&b {}', '[', ']', '{', '}', '- ', '? ', ': ', '---', '...', '%YAML 1.1', '<<: *a', '"', "'", '#', '\n', '\n  ', '\n    ', '\r',
    ),
    { maxLength: 14 },
  )
  .map((parts) => parts.join(' '));

describe('parseWebConfig', () => {
  it('a file written from settings parses back to them', () => {
    fc.assert(
      fc.property(config, (c) => {
        const parsed = parseWebConfig(toYaml(c), DIR);
        assert.deepEqual(parsed.users, new Map(Object.entries(c.users)));
        assert.deepEqual(parsed.headers, c.headers);
        if (!c.tls) {
          assert.equal(parsed.tls, null);
          return;
        }
        assert.deepEqual(parsed.tls, {
          cert: { file: resolve(c.tls.cert_file) },
          key: { file: resolve(c.tls.key_file) },
          clientCa: c.tls.client ? { file: resolve(c.tls.client[0]) } : null,
          clientAuth: c.tls.client ? c.tls.client[1] : 'NoClientCert',
          minVersion: NODE_VERSIONS[VERSIONS[c.tls.versions[0]] as (typeof VERSIONS)[number]],
          maxVersion: NODE_VERSIONS[VERSIONS[c.tls.versions[1]] as (typeof VERSIONS)[number]],
          preferServerCipherSuites: c.tls.prefer !== false,
        });
      }),
      params(500),
    );
  });

  const anyText = fc.oneof(
    anyString(),
    yamlish,
    config.map(toYaml).chain((y) => fc.tuple(fc.nat(), anyString(6)).map(([at, ins]) => y.slice(0, at % (y.length + 1)) + ins + y.slice(at % (y.length + 1)))),
  );

  it('any text gives a config or a WebConfigError', () => {
    // main catches only WebConfigError (as a FlagError: one line, exit 2); anything else is a crash
    // with a stack trace at start.
    fc.assert(
      fc.property(anyText, (text) => {
        onlyThrows(WebConfigError, () => parseWebConfig(text, DIR, 'web.yml'));
      }),
      params(2000),
    );
  });

  it('a WebConfigError message is one line', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        assertOneLineError(WebConfigError, () => parseWebConfig(text, DIR, 'web.yml'));
      }),
      params(2000),
    );
  });

  it('fails closed: a file that lists users gives exactly those users, or an error', () => {
    // However the mapping of users is written (block, flow, or a YAML tag that makes another kind of
    // collection), the parser must not end up with fewer users than the file lists: zero users means
    // no authentication at all.
    const tagged = fc.tuple(
      fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), bcryptHash, { minKeys: 1, maxKeys: 3, noNullPrototype: true }),
      fc.constantFrom('', '!!map ', '!!omap ', '!!set ', '!!pairs ', '!!seq '),
      fc.boolean(),
    );
    fc.assert(
      fc.property(tagged, ([us, tag, asList]) => {
        const entries = Object.entries(us);
        const body =
          tag === '!!omap ' || tag === '!!pairs ' || tag === '!!seq ' || asList
            ? `[ ${entries.map(([u, h]) => `{ ${u}: "${h}" }`).join(', ')} ]`
            : tag === '!!set '
              ? `{ ${entries.map(([u]) => u).join(', ')} }`
              : `{ ${entries.map(([u, h]) => `${u}: "${h}"`).join(', ')} }`;
        const text = `basic_auth_users: ${tag}${body}\n`;
        const parsed = onlyThrows(WebConfigError, () => parseWebConfig(text, DIR));
        if (parsed) assert.equal(parsed.users.size, entries.length, `${JSON.stringify(text)} gave ${parsed.users.size} users`);
      }),
      params(300),
    );
  });
});

describe('basic authentication header and bcrypt hashes', () => {
  it('Basic base64(user:password) parses back for any user without ":" and any password', () => {
    fc.assert(
      fc.property(anyString(30).filter((u) => !u.includes(':')), anyString(40), fc.constantFrom('Basic', 'basic', 'BASIC'), (user, password, scheme) => {
        const header = `${scheme} ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
        assert.deepEqual(parseBasicAuthorization(header), { user, password, exact: true });
      }),
      params(1000),
    );
  });

  it('a password that is not valid UTF-8 is never exact', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), (bytes) => {
        const raw = Buffer.concat([Buffer.from('u:'), Buffer.from(bytes)]);
        const r = parseBasicAuthorization(`Basic ${raw.toString('base64')}`);
        assert.ok(r);
        assert.equal(r.exact, Buffer.from(Buffer.from(bytes).toString('utf8'), 'utf8').equals(Buffer.from(bytes)));
      }),
      params(500),
    );
  });

  it('any header and any hash text: a result or null, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(anyString(80), fc.base64String().map((b) => `Basic ${b}`)), (text) => {
        const r = parseBasicAuthorization(text);
        assert.ok(r === null || (typeof r.user === 'string' && typeof r.password === 'string'));
        const cost = bcryptCost(text);
        assert.ok(cost === null || (Number.isInteger(cost) && cost >= 4 && cost <= 31));
      }),
      params(1000),
    );
  });

  it('bcryptCost reads the cost of every hash htpasswd, Go and bcryptjs write', () => {
    fc.assert(
      fc.property(bcryptHash, (h) => {
        assert.equal(bcryptCost(h), Number(h.slice(4, 6)));
      }),
      params(300),
    );
  });
});
