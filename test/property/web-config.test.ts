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
  'X-Frame-Options': fc.constantFrom('deny', 'sameorigin'),
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
    versions: fc
      .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }))
      .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
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
    doc.http_server_config = {
      ...(c.http2 !== undefined ? { http2: c.http2 } : {}),
      ...(c.headers.length > 0 ? { headers: Object.fromEntries(c.headers) } : {}),
    };
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
      'basic_auth_users:',
      'tls_server_config:',
      'http_server_config:',
      'headers:',
      'http2: true',
      'cert_file: c',
      'key_file: k',
      'client_auth_type: RequireAndVerifyClientCert',
      'alice: $2y$10$FHOa1dA9CwvFNAJoHHjZw.d06oo23qictpUK6t3dCn0XjxR44WoGu',
      'X-Frame-Options: deny',
      'rate_limit:',
      'cipher_suites: []',
      '!!omap',
      '!!set',
      '!!binary aGk=',
      '!!str',
      '!!map',
      '!!seq',
      '!!null',
      '&a',
      '*a',
      '*b',
      '&b {}',
      '[',
      ']',
      '{',
      '}',
      '- ',
      '? ',
      ': ',
      '---',
      '...',
      '%YAML 1.1',
      '<<: *a',
      '"',
      "'",
      '#',
      '\n',
      '\n  ',
      '\n    ',
      '\r',
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
        assert.equal(parsed.http2, c.http2 ?? true);
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
          cipherSuites: null,
          curvePreferences: null,
          clientAllowedSans: null,
        });
      }),
      params(500),
    );
  });

  const anyText = fc.oneof(
    anyString(),
    yamlish,
    config
      .map(toYaml)
      .chain((y) => fc.tuple(fc.nat(), anyString(6)).map(([at, ins]) => y.slice(0, at % (y.length + 1)) + ins + y.slice(at % (y.length + 1)))),
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
      fc.property(
        anyString(30).filter((u) => !u.includes(':')),
        anyString(40),
        fc.constantFrom('Basic', 'basic', 'BASIC'),
        (user, password, scheme) => {
          const header = `${scheme} ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
          assert.deepEqual(parseBasicAuthorization(header), { user, password, exact: true });
        },
      ),
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
      fc.property(
        fc.oneof(
          anyString(80),
          fc.base64String().map((b) => `Basic ${b}`),
        ),
        (text) => {
          const r = parseBasicAuthorization(text);
          assert.ok(r === null || (typeof r.user === 'string' && typeof r.password === 'string'));
          const cost = bcryptCost(text);
          assert.ok(cost === null || (Number.isInteger(cost) && cost >= 4 && cost <= 31));
        },
      ),
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

/**
 * YAML 1.1 scalars as exporter-toolkit's yaml.v2 (v2.4) decodes them into its typed fields. The
 * expected values are written from yaml.v2's rules (resolve.go's table, decode.go's per-kind
 * conversions, Go's strconv.ParseInt and time.ParseDuration), independently of the parser's code.
 */
describe('YAML 1.1 scalars into typed fields, as yaml.v2', () => {
  const V2_TRUE = ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'];
  const V2_FALSE = ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'];
  const http2 = (v: string) => parseWebConfig(`http_server_config:\n  http2: ${v}\n`, DIR).http2;
  const http2Flow = (v: string) => parseWebConfig(`http_server_config: {http2: ${v}}\n`, DIR).http2;
  const quote = fc.constantFrom(
    (t: string) => `"${t}"`,
    (t: string) => `'${t}'`,
  );

  it('a bool field takes every yaml.v2 spelling, plain, in block and flow style', () => {
    fc.assert(
      fc.property(fc.constantFrom(...V2_TRUE, ...V2_FALSE), (word) => {
        const expected = V2_TRUE.includes(word);
        assert.equal(http2(word), expected, word);
        assert.equal(http2Flow(word), expected, word);
        assert.equal(http2(`!!bool ${word}`), expected, `!!bool ${word}`);
      }),
      params(100),
    );
  });

  it('a bool field refuses the same words quoted, numbers, and any other text; null is false', () => {
    const other = fc.oneof(
      fc.tuple(fc.constantFrom(...V2_TRUE, ...V2_FALSE), quote).map(([w, q]) => q(w)),
      fc.integer().map(String),
      fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/).filter((w) => !V2_TRUE.includes(w) && !V2_FALSE.includes(w) && w !== 'null'),
    );
    fc.assert(
      fc.property(other, (text) => {
        assert.throws(
          () => http2(text),
          (err: Error) => err instanceof WebConfigError && /^http_server_config\.http2 must be true or false/.test(err.message),
        );
      }),
      params(300),
    );
    for (const nul of ['', '~', 'null', 'Null', 'NULL', '!!null ""']) assert.equal(http2(nul), false, JSON.stringify(nul));
  });

  /** Plain texts YAML 1.1 would read as something other than a string. */
  const typedLooking = fc.oneof(
    fc.constantFrom(
      ...V2_TRUE,
      ...V2_FALSE,
      '1:30',
      '0o17',
      '08',
      '017',
      '0x1F',
      '1_000',
      '+12',
      '.5',
      '1e3',
      '2001-12-14',
      '0b101',
      '1.0',
      '.inf',
      '-.Inf',
      '.NaN',
    ),
    fc.integer().map(String),
    fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .map(String)
      .filter((t) => !t.includes('e') || /^[-+]?\d/.test(t)),
    fc.integer({ min: 0 }).map((n) => `0x${n.toString(16)}`),
  );

  it('a string field keeps the text as written, whatever YAML 1.1 would make of it', () => {
    fc.assert(
      fc.property(typedLooking, quote, (text, q) => {
        const plain = parseWebConfig(`http_server_config:\n  headers:\n    Content-Security-Policy: ${text}\n`, DIR);
        assert.deepEqual(plain.headers, [['Content-Security-Policy', text]]);
        const quoted = parseWebConfig(`http_server_config:\n  headers:\n    Content-Security-Policy: ${q(text)}\n`, DIR);
        assert.deepEqual(quoted.headers, plain.headers);
        const user = parseWebConfig(`basic_auth_users:\n  ${text}: $2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG\n`, DIR);
        assert.deepEqual([...user.users.keys()], [text], 'a map key too');
      }),
      params(500),
    );
  });

  /** An int64 written the ways Go's ParseInt(s, 0, 64) reads after yaml.v2 drops every "_". */
  const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
  const spelled = fc
    .tuple(int64, fc.constantFrom('dec', 'hex', 'oct', '0o', 'bin'), fc.boolean(), fc.boolean())
    .map(([n, base, plus, underscores]) => {
      const abs = n < 0n ? -n : n;
      const digits = {
        dec: abs.toString(10),
        hex: `0x${abs.toString(16)}`,
        oct: `0${abs.toString(8)}`,
        '0o': `0o${abs.toString(8)}`,
        bin: `0b${abs.toString(2)}`,
      }[base];
      const withUnderscores = underscores ? digits.replace(/(\d)(?=(\d{3})+$)/g, '$1_') : digits;
      return { n, text: `${n < 0n ? '-' : plus ? '+' : ''}${withUnderscores}` };
    });

  it('an int field takes an int64 in any base Go reads, underscores anywhere', () => {
    fc.assert(
      fc.property(spelled, ({ n, text }) => {
        const burst = (t: string) => parseWebConfig(`rate_limit:\n  interval: 1s\n  burst: ${t}\n`, DIR).rateLimit?.burst;
        // burst is kept as a JS number: exact for every value a bucket can use.
        const expected =
          n > BigInt(Number.MAX_SAFE_INTEGER)
            ? Number.MAX_SAFE_INTEGER
            : n < -BigInt(Number.MAX_SAFE_INTEGER)
              ? -Number.MAX_SAFE_INTEGER
              : Number(n);
        assert.equal(burst(text), expected, text);
      }),
      params(500),
    );
  });

  it('an int field truncates a float and refuses what is outside int64, text, and quoted numbers', () => {
    const burst = (t: string) => parseWebConfig(`rate_limit:\n  interval: 1s\n  burst: ${t}\n`, DIR).rateLimit?.burst;
    assert.equal(burst('2.9'), 2);
    assert.equal(burst('-2.9'), -2);
    assert.equal(burst('1e3'), 1000);
    assert.equal(burst('08'), 8, 'not octal: ParseInt fails, yaml.v2 reads it as the float 8');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.bigInt({ min: 2n ** 63n, max: 2n ** 70n }).map(String),
          // (Below int64, Go's float-to-int conversion is platform-defined, MinInt64 on amd64; refused
          // here, from where the float is below -2^63.)
          fc.bigInt({ min: -(2n ** 70n), max: -(2n ** 63n) - 2n ** 11n }).map(String),
          fc.constantFrom('.inf', '-.inf', '.nan', '1:30', 'ten', '"5"', "'5'", 'yes', '0x', '0b2', '09x'),
        ),
        (text) => {
          assert.throws(
            () => burst(text),
            (err: Error) => err instanceof WebConfigError && /^rate_limit\.burst/.test(err.message),
            text,
          );
        },
      ),
      params(200),
    );
  });

  const UNIT_NS = { ns: 1n, us: 1_000n, µs: 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n } as const;
  it('a duration field takes Go duration text or an int of nanoseconds', () => {
    const part = fc.tuple(fc.integer({ min: 0, max: 999 }), fc.constantFrom(...(Object.keys(UNIT_NS) as Array<keyof typeof UNIT_NS>)));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), fc.boolean(), (parts, quoted) => {
        const text = parts.map(([n, u]) => `${n}${u}`).join('');
        const ns = parts.reduce((sum, [n, u]) => sum + BigInt(n) * UNIT_NS[u], 0n);
        const interval = parseWebConfig(`rate_limit:\n  interval: ${quoted ? `"${text}"` : text}\n  burst: 1\n`, DIR).rateLimit?.intervalMs;
        assert.equal(interval, ns === 0n ? undefined : Number(ns) / 1e6, text);
        const asInt = parseWebConfig(`rate_limit:\n  interval: ${ns}\n  burst: 1\n`, DIR).rateLimit?.intervalMs;
        assert.equal(asInt, interval, `${ns} as nanoseconds`);
      }),
      params(300),
    );
    assert.equal(parseWebConfig('rate_limit:\n  interval: 1\n  burst: 1\n', DIR).rateLimit?.intervalMs, 1e-6, 'a plain 1 is an int: 1 ns');
    for (const bad of ['"1"', '1d', 's', '1.s.', '--1s', '1 s', '9223372036854775808ns', 'yes']) {
      assert.throws(
        () => parseWebConfig(`rate_limit:\n  interval: ${bad}\n`, DIR),
        /^WebConfigError: rate_limit\.interval must be a duration/,
        bad,
      );
    }
    assert.equal(parseWebConfig('rate_limit:\n  interval: 1.5s\n  burst: 1\n', DIR).rateLimit?.intervalMs, 1500);
    assert.equal(parseWebConfig('rate_limit:\n  interval: .5m\n  burst: 1\n', DIR).rateLimit?.intervalMs, 30_000);
  });
});
