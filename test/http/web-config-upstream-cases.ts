/**
 * exporter-toolkit's own web config test files (web/testdata of prometheus/exporter-toolkit) and the
 * verdict upstream gives each: whether an exporter built on the toolkit starts with it (web.Validate
 * and web.ListenAndServe), and the error it stops with. The verdicts are read from upstream's
 * web/tls_config_test.go (TestYAMLFiles, TestServerBehaviour, TestConfigReloading, TestUsers: the
 * ExpectedError of each case) and, for files no test names, from what web.Validate does with them
 * (web/tls_config.go). A file upstream starts with but whose test expects a client to fail (a bad SAN,
 * a rate limit) is "accepted": the failure is the server's answer, tested in
 * web-config-upstream.test.ts.
 *
 * test/fixtures/web-config/ holds our own re-statement of each file, under the same name, with the
 * keys and values that decide the verdict; the certificates are made by the test.
 */
export interface UpstreamCase {
  verdict: 'accepted' | 'refused';
  /** Upstream's error (the test's expectation), for refused files. */
  error?: string;
  /** Where upstream's verdict comes from. */
  source: string;
}

const SERVER = 'TestServerBehaviour';
const YAML = 'TestYAMLFiles';
const VALIDATE = 'web.Validate (no test names it)';

export const UPSTREAM_CASES: Readonly<Record<string, UpstreamCase>> = {
  'tls_config_noAuth.requireandverifyclientcert.good.yml': { verdict: 'accepted', source: SERVER },
  'tls_config_noAuth.requireanyclientcert.good.yml': { verdict: 'accepted', source: SERVER },
  'tls_config_noAuth.requireanyclientcertkeyinline.good.yml': { verdict: 'accepted', source: VALIDATE },
  'web_config_auth_clientCAs_invalid.bad.yml': { verdict: 'refused', error: 'open somefile: no such file or directory', source: YAML },
  'web_config_auth_clientCAs_missing.bad.yml': { verdict: 'accepted', source: VALIDATE },
  'web_config_auth_client_san.bad.yaml': { verdict: 'accepted', source: `${SERVER} (the client is refused: bad certificate)` },
  'web_config_auth_client_san.good.yaml': { verdict: 'accepted', source: SERVER },
  'web_config_auth_user_list_invalid.bad.yml': {
    verdict: 'refused',
    error: 'crypto/bcrypt: hashedSecret too short to be a bcrypted password',
    source: YAML,
  },
  'web_config_empty.yml': { verdict: 'accepted', source: YAML },
  'web_config_headers.good.yml': { verdict: 'accepted', source: SERVER },
  'web_config_headers_content_type_options.bad.yml': { verdict: 'refused', error: 'invalid value for X-Content-Type-Options', source: SERVER },
  'web_config_headers_extra_header.bad.yml': { verdict: 'refused', error: 'HTTP header "Content-Type" can not be configured', source: SERVER },
  'web_config_headers_frame_options.bad.yml': { verdict: 'refused', error: 'invalid value for X-Frame-Options', source: SERVER },
  'web_config_junk.yml': { verdict: 'refused', error: 'yaml: unmarshal errors: cannot unmarshal !!str into web.Config', source: YAML },
  'web_config_junk_key.yml': { verdict: 'refused', error: 'yaml: unmarshal errors: field not found in type web.TLSConfig', source: YAML },
  'web_config_noAuth.bad.yml': { verdict: 'refused', error: "client CA's have been configured without a Client Auth Policy", source: YAML },
  'web_config_noAuth.good.blocking.yml': { verdict: 'accepted', source: 'TestConfigReloading (clients without a certificate fail)' },
  'web_config_noAuth.good.yml': { verdict: 'accepted', source: SERVER },
  'web_config_noAuth_allCiphers.good.yml': { verdict: 'accepted', source: SERVER },
  'web_config_noAuth_allCurves.good.yml': { verdict: 'accepted', source: SERVER },
  'web_config_noAuth_certPath_empty.bad.yml': { verdict: 'refused', error: 'missing one of cert or cert_file', source: YAML },
  'web_config_noAuth_certPath_invalid.bad.yml': { verdict: 'refused', error: 'failed to read cert_file: no such file', source: YAML },
  'web_config_noAuth_certPath_keyPath_empty.bad.yml': { verdict: 'refused', error: 'missing one of cert or cert_file', source: YAML },
  'web_config_noAuth_certPath_keyPath_invalid.bad.yml': { verdict: 'refused', error: 'failed to read cert_file: no such file', source: YAML },
  'web_config_noAuth_cert_empty.bad.yml': { verdict: 'refused', error: 'missing one of cert or cert_file', source: YAML },
  'web_config_noAuth_inventedCiphers.bad.yml': { verdict: 'refused', error: 'unknown cipher', source: YAML },
  'web_config_noAuth_inventedCurves.bad.yml': { verdict: 'refused', error: 'unknown curve', source: YAML },
  'web_config_noAuth_keyPath_empty.bad.yml': { verdict: 'refused', error: 'missing one of key or key_file', source: YAML },
  'web_config_noAuth_keyPath_invalid.bad.yml': { verdict: 'refused', error: 'failed to read cert_file: no such file', source: YAML },
  'web_config_noAuth_key_empty.bad.yml': { verdict: 'refused', error: 'missing one of key or key_file', source: YAML },
  'web_config_noAuth_noHTTP2.good.yml': { verdict: 'accepted', source: SERVER },
  'web_config_noAuth_noHTTP2Cipher.bad.yml': {
    verdict: 'refused',
    error: 'http2: TLSConfig.CipherSuites is missing an HTTP/2-required AES_128_GCM_SHA256 cipher',
    source: `${SERVER} (ListenAndServe; web.Validate passes it)`,
  },
  'web_config_noAuth_someCiphers.good.yml': { verdict: 'accepted', source: SERVER },
  'web_config_noAuth_someCiphers_noOrder.good.yml': { verdict: 'accepted', source: SERVER },
  'web_config_noAuth_someCurves.good.yml': { verdict: 'accepted', source: SERVER },
  'web_config_noAuth_tlsInline.good.yml': { verdict: 'accepted', source: SERVER },
  'web_config_noAuth_wrongTLSVersion.bad.yml': { verdict: 'refused', error: 'unknown TLS version', source: YAML },
  'web_config_rate_limiter_nonblocking.yaml': { verdict: 'accepted', source: SERVER },
  'web_config_rate_limiter_one_second.yaml': { verdict: 'accepted', source: `${SERVER} (requests get 429 Too Many Requests)` },
  'web_config_users.good.yml': { verdict: 'accepted', source: 'TestUsers' },
  'web_config_users_noTLS.good.yml': { verdict: 'accepted', source: 'TestUsers' },
};
