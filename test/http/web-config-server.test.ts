/**
 * --web.config.file on the built exporter (dist/main.js, run without a Docker engine), with real TLS
 * clients (node:https, a fresh connection per request) and certificates made here by openssl: a CA,
 * a server certificate for 127.0.0.1, a client certificate from the CA and a self-signed one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { get, makePki, runExporterToExit, startExporter, tempDir, type Pki, type RunningExporter } from './web-config-harness.js';

let tmp: { dir: string; remove: () => void };
let pki: Pki;
const running: RunningExporter[] = [];

before(async () => {
  tmp = tempDir('webcfg-srv-');
  pki = await makePki(tmp.dir);
});
after(async () => {
  await Promise.all(running.map((r) => r.stop()));
  tmp.remove();
});

/** Writes a new file beside the old and renames it over, as config management does. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

function configFile(name: string, yaml: string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, yaml);
  return path;
}

async function start(name: string, yaml: string): Promise<{ exporter: RunningExporter; file: string }> {
  const file = configFile(name, yaml);
  const exporter = await startExporter(file);
  running.push(exporter);
  return { exporter, file };
}

const tlsYaml = (clientAuth = 'NoClientCert', extra = '') =>
  `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n` +
  (clientAuth === 'NoClientCert' ? '' : `  client_ca_file: ca.crt\n  client_auth_type: ${clientAuth}\n`) +
  extra;

describe('TLS', () => {
  test('the handshake works and /metrics answers; plain HTTP to the TLS port fails', async () => {
    const { exporter } = await start('tls.yml', tlsYaml());
    const res = await get(exporter.port, { tls: { ca: pki.ca } });
    assert.equal(res.status, 200);
    assert.match(res.body, /^docker_engine_exporter_build_info\{/m);
    assert.equal(res.peer?.subject.CN, 'server-1');
    await assert.rejects(get(exporter.port), 'plain HTTP is not answered');
    await assert.rejects(
      get(exporter.port, { tls: { ca: pki.rogueCert } }),
      /self-signed|unable to verify|certificate/i,
      'a client that does not trust the CA refuses',
    );
    assert.match(exporter.stderr(), /msg="web config loaded" file=\S+ tls=true clientAuth=NoClientCert/);
  });

  test('RequireAndVerifyClientCert: no certificate and a foreign one are refused, the CA-signed one accepted', async () => {
    const { exporter } = await start('mtls.yml', tlsYaml('RequireAndVerifyClientCert'));
    await assert.rejects(get(exporter.port, { tls: { ca: pki.ca } }), 'no client certificate');
    await assert.rejects(get(exporter.port, { tls: { ca: pki.ca, cert: pki.rogueCert, key: pki.rogueKey } }), 'self-signed client certificate');
    const res = await get(exporter.port, { tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } });
    assert.equal(res.status, 200);
  });

  test('every client_auth_type, switched in the running exporter: the next connection follows the file', async () => {
    // Starts without asking for certificates: each later policy only works if the change really
    // reached the next connection (OpenSSL asks for the certificate, or fails on a bad one).
    const { exporter, file } = await start('policies.yml', tlsYaml('NoClientCert'));
    const none = { ca: pki.ca };
    const rogue = { ca: pki.ca, cert: pki.rogueCert, key: pki.rogueKey };
    const good = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };
    const steps: Array<[string, [boolean, boolean, boolean]]> = [
      // policy, and whether a client with no / a self-signed / the CA's certificate gets a 200
      ['NoClientCert', [true, true, true]],
      ['RequireAndVerifyClientCert', [false, false, true]],
      ['RequestClientCert', [true, true, true]],
      ['RequireAnyClientCert', [false, true, true]],
      ['VerifyClientCertIfGiven', [true, false, true]],
      ['NoClientCert', [true, true, true]],
    ];
    for (const [i, [policy, outcomes]] of steps.entries()) {
      if (i > 0) replaceFile(file, tlsYaml(policy));
      const results: boolean[] = [];
      for (const client of [none, rogue, good]) {
        results.push(
          await get(exporter.port, { tls: client }).then(
            (r) => r.status === 200,
            () => false,
          ),
        );
      }
      assert.deepEqual(results, outcomes, `${policy}: none, rogue, good`);
    }
  });

  test('rotated certificate files are served on the next connection; a half-rotated pair keeps the old one', async () => {
    const live = { cert: join(tmp.dir, 'live.crt'), key: join(tmp.dir, 'live.key') };
    writeFileSync(live.cert, readFileSync(pki.serverCertFile));
    writeFileSync(live.key, readFileSync(pki.serverKeyFile));
    const { exporter } = await start('rotate.yml', 'tls_server_config:\n  cert_file: live.crt\n  key_file: live.key\n');
    const cn = async () => (await get(exporter.port, { tls: { ca: pki.ca } })).peer?.subject.CN;
    assert.equal(await cn(), 'server-1');

    const next = await pki.issueServer('server-2');
    replaceFile(live.cert, next.cert); // the key is not there yet: the pair does not match
    for (let i = 0; i < 3; i++) assert.equal(await cn(), 'server-1', 'the last good pair is still served');
    const failures = exporter.stderr().match(/msg="TLS reload failed; keeping the last good TLS config".*/g) ?? [];
    assert.equal(failures.length, 1, 'one line, not one per connection');
    assert.match(failures[0] ?? '', /does not match cert_file/);

    replaceFile(live.key, next.key);
    assert.equal(await cn(), 'server-2', 'the very next connection has the new certificate');

    // Rewritten in place (same inode) rather than renamed over: seen as well.
    const third = await pki.issueServer('server-3');
    writeFileSync(live.key, third.key);
    writeFileSync(live.cert, third.cert);
    assert.equal(await cn(), 'server-3');
  });
});

describe('basic auth and headers', () => {
  test('right password 200, wrong password and unknown user 401 with WWW-Authenticate: Basic, headers on both', async () => {
    const hash = bcrypt.hashSync('s3cret', 10);
    const { exporter, file } = await start(
      'auth.yml',
      tlsYaml() +
        `basic_auth_users:\n  prometheus: ${hash}\n` +
        'http_server_config:\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n    Strict-Transport-Security: max-age=63072000\n',
    );
    const tls = { ca: pki.ca };
    const ok = await get(exporter.port, { tls, auth: 'prometheus:s3cret' });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /^docker_engine_exporter_build_info\{/m);
    assert.equal(ok.headers['x-frame-options'], 'deny');
    assert.equal(ok.headers['x-content-type-options'], 'nosniff');
    assert.equal(ok.headers['strict-transport-security'], 'max-age=63072000');

    for (const auth of ['prometheus:wrong', 'nobody:s3cret', undefined]) {
      const res = await get(exporter.port, { tls, auth });
      assert.equal(res.status, 401, String(auth));
      assert.equal(res.headers['www-authenticate'], 'Basic');
      assert.equal(res.headers['x-frame-options'], 'deny', 'headers on the 401 too');
      assert.doesNotMatch(res.body, /docker_engine/);
    }

    // The container HEALTHCHECK's request: no credentials, status only.
    const health = await get(exporter.port, { tls, path: '/healthz' });
    assert.ok(health.status === 200 || health.status === 503, String(health.status));
    assert.deepEqual(Object.keys(JSON.parse(health.body) as object), ['status']);
    const details = await get(exporter.port, { tls, path: '/healthz', auth: 'prometheus:s3cret' });
    assert.ok('components' in (JSON.parse(details.body) as object));

    // A new password in the file applies to the next request.
    replaceFile(file, tlsYaml() + `basic_auth_users:\n  prometheus: ${bcrypt.hashSync('rotated', 10)}\n`);
    assert.equal((await get(exporter.port, { tls, auth: 'prometheus:rotated' })).status, 200);
    assert.equal((await get(exporter.port, { tls, auth: 'prometheus:s3cret' })).status, 401);
    assert.match(exporter.stderr(), /msg="web config reloaded"/);
  });

  test('basic auth without TLS', async () => {
    const { exporter } = await start('auth-plain.yml', `basic_auth_users:\n  alice: ${bcrypt.hashSync('pw', 4)}\n`);
    assert.equal((await get(exporter.port, { auth: 'alice:pw' })).status, 200);
    assert.equal((await get(exporter.port, { auth: 'alice:pW' })).status, 401);
  });
});

describe('a bad file stops the start: exit 2, one line on stderr, nothing listening', () => {
  const hash = bcrypt.hashSync('pw', 4);
  const cases: Array<[string, (dir: string) => string, RegExp]> = [
    ['a missing file', (d) => join(d, 'absent.yml'), /cannot read \S+absent\.yml: no such file$/],
    ['a directory', (d) => d, /cannot read \S+: is a directory$/],
    ['unparsable YAML', () => configFile('bad-yaml.yml', 'basic_auth_users:\n  alice: [\n'), /bad-yaml\.yml is not valid YAML: .*line \d+/],
    [
      'an unknown key',
      () => configFile('bad-key.yml', `basic_auth_users:\n  alice: ${hash}\ntls_config:\n  cert_file: x\n`),
      /unknown key "tls_config" in the file$/,
    ],
    [
      'a bad bcrypt hash',
      () => configFile('bad-hash.yml', 'basic_auth_users:\n  alice: password\n'),
      /the password of user "alice" is not a bcrypt hash/,
    ],
    [
      'a missing certificate',
      () => configFile('bad-cert.yml', 'tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n'),
      /cannot read tls_server_config\.cert_file \S+nope\.crt: no such file$/,
    ],
    [
      'a certificate file holding a key',
      () => configFile('bad-pem.yml', 'tls_server_config:\n  cert_file: server.key\n  key_file: server.key\n'),
      /cert_file \S+server\.key holds no PEM certificate$/,
    ],
    [
      'a key that does not match the certificate',
      () => configFile('bad-pair.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n'),
      /key_file \S+client\.key does not match cert_file \S+server\.crt$/,
    ],
    [
      'a bad client_auth_type',
      () => configFile('bad-auth.yml', tlsYaml('RequireClientCerts')),
      /client_auth_type: "RequireClientCerts" is not one of /,
    ],
    [
      'a forbidden header',
      () => configFile('bad-header.yml', 'http_server_config:\n  headers:\n    Access-Control-Allow-Origin: "*"\n'),
      /"Access-Control-Allow-Origin" can not be configured/,
    ],
  ];
  for (const [what, make, expected] of cases) {
    test(what, async () => {
      const r = await runExporterToExit(make(tmp.dir));
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      const lines = r.stderr.split('\n');
      assert.equal(lines.length, 2, `exactly one line:\n${r.stderr}`);
      assert.equal(lines[1], '');
      assert.match(lines[0] ?? '', /^docker-engine-exporter: error: --web\.config\.file: /);
      assert.match(lines[0] ?? '', expected);
    });
  }
});
