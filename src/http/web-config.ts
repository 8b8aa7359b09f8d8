/**
 * `--web.config.file` in the Prometheus exporter-toolkit format (docs/web-configuration.md of
 * prometheus/exporter-toolkit): TLS, client certificates, basic authentication, extra response headers
 * and a rate limit, so one file serves every exporter on a host. The file is read as the toolkit reads
 * it (Go's yaml.v2, strictly: web-config-yaml.ts), and docs/web-config.md lists how each of the
 * toolkit's own test files fares. Every message is one line naming the key: main prints it and exits 2
 * before listening; at runtime a reload that fails keeps the last good config (web-config-reload.ts).
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { createSecureContext, type SecureContextOptions, type SecureVersion } from 'node:tls';
import type { Node } from 'yaml';
import { FlagError } from '../config/flags.js';
import { GoYaml, YamlDecodeError } from './web-config-yaml.js';
import { oneLine } from '../one-line.js';

export class WebConfigError extends Error {
  constructor(message: string) {
    // One line whatever the file held: line breaks and other control characters become spaces.
    super(oneLine(message, 'space'));
    this.name = 'WebConfigError';
  }
}

/** Go's crypto/tls client auth policies, by the names the toolkit accepts. */
export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

const TLS_VERSIONS: Record<string, SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };
const TLS_VERSION_ORDER: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * The headers the toolkit lets a file add, with the values it accepts where the header is an
 * enumeration. Anything else (Server, Set-Cookie, Access-Control-*) is refused: private on purpose in
 * the toolkit "to ensure consistency in the Prometheus ecosystem".
 */
const EXTRA_HEADERS: Record<string, readonly string[] | null> = {
  'Strict-Transport-Security': null,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': null,
  'Content-Security-Policy': null,
};

/**
 * The cipher suites Go's crypto/tls offers (tls.CipherSuites(): those without known weaknesses), by
 * the names the toolkit reads, with OpenSSL's name of each. The three TLS 1.3 suites are accepted but
 * change nothing, as in Go: TLS 1.3 suites are not configurable there.
 */
const GO_CIPHER_SUITES: Readonly<Record<string, string>> = {
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};
/** The suites Go's HTTP/2 server insists on in a TLS 1.2 list (net/http, http2ConfigureServer). */
const HTTP2_REQUIRED = ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'];
/** The toolkit's curve names, with OpenSSL's group names (Node's ecdhCurve). */
const GO_CURVES: Readonly<Record<string, string>> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** A PEM either in its own file (re-read when it changes) or inline in the config file. */
type PemSource = { file: string } | { inline: string };

export interface TlsSettings {
  cert: PemSource;
  key: PemSource;
  clientCa: PemSource | null;
  clientAuth: ClientAuthType;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  preferServerCipherSuites: boolean;
  /** Go names (GO_CIPHER_SUITES); null: the defaults. */
  cipherSuites: string[] | null;
  /** Go names (GO_CURVES); null: the defaults. */
  curvePreferences: string[] | null;
  /** A client certificate must carry one of these SANs exactly; null: no such check ([] refuses all). */
  clientAllowedSans: string[] | null;
}

/** The toolkit's rate_limit: a token bucket of `burst` tokens, one more every interval. */
export interface RateLimitSettings {
  intervalMs: number;
  burst: number;
}

export interface WebConfig {
  /** null: plain HTTP. */
  tls: TlsSettings | null;
  /** user → bcrypt hash; empty: no basic authentication. */
  users: ReadonlyMap<string, string>;
  /** Extra response headers, blank ones left out. */
  headers: ReadonlyArray<readonly [string, string]>;
  /** http_server_config.http2 as written (only HTTP/1.1 is served; it decides what cipher_suites may be). */
  http2: boolean;
  /** null: no limit. */
  rateLimit: RateLimitSettings | null;
}

/** What a TLS server needs for one connection: certificates read and checked, policy resolved. */
export interface TlsMaterial {
  clientAuth: ClientAuthType;
  /** For https.createServer and tls.Server#setSecureContext. */
  contextOptions: SecureContextOptions;
  /** OpenSSL asks the client for a certificate. */
  requestCert: boolean;
  /** OpenSSL fails the handshake unless the client's certificate verifies against the client CA. */
  rejectUnauthorized: boolean;
  /** client_allowed_sans: checked on every client certificate OpenSSL asked for; null: none. */
  clientAllowedSans: readonly string[] | null;
  /** tlsStamp() of the settings and files this was read from, taken before reading. */
  stamp: string;
}

export interface LoadedWebConfig {
  config: WebConfig;
  /** fileStamp() of the config file, taken before reading it. */
  configStamp: string;
  tls: TlsMaterial | null;
}

/** Reads and checks the whole file, TLS files included, as at start. Throws WebConfigError. */
export function loadWebConfig(path: string): LoadedWebConfig {
  const configStamp = fileStamp(path);
  const config = readWebConfigFile(path);
  return { config, configStamp, tls: config.tls === null ? null : loadTlsMaterial(config.tls) };
}

/** Reads and parses the config file alone (its TLS files are not read). Throws WebConfigError. */
export function readWebConfigFile(path: string): WebConfig {
  return parseWebConfig(readText(path, path), dirname(path), path);
}

/**
 * What changes when a file is written, replaced or removed: a stamp taken before a read, compared with
 * one taken later, says whether to read again. Nanosecond times, inode and size, so that a rewrite
 * within the same second, or a rename over the file (how certificates are rotated), is seen.
 */
export function fileStamp(path: string): string {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (err) {
    return `error:${(err as NodeJS.ErrnoException).code ?? 'unknown'}`;
  }
}

/** The stamp of TLS settings: the settings themselves and the stamps of the files they name. */
export function tlsStamp(settings: TlsSettings): string {
  const files = [settings.cert, settings.key, settings.clientCa].map((src) => (src && 'file' in src ? fileStamp(src.file) : '-'));
  return `${JSON.stringify(settings)}|${files.join('|')}`;
}

/** loadWebConfig for main: a bad file is a FlagError (one line, exit 2). */
export function loadWebConfigFlag(path: string): LoadedWebConfig {
  try {
    return loadWebConfig(path);
  } catch (err) {
    if (err instanceof WebConfigError) throw new FlagError('web.config.file', err.message);
    throw err;
  }
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new WebConfigError(`cannot read ${what}: ${describeFsError(err)}`);
  }
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return err instanceof Error ? err.message : String(err);
}

/**
 * Parses the YAML text of a web config file, as exporter-toolkit's yaml.UnmarshalStrict does
 * (web-config-yaml.ts). Relative file names are taken from configDir, as the toolkit does. `source`
 * names the file in messages. Throws WebConfigError.
 */
export function parseWebConfig(text: string, configDir: string, source = 'web config'): WebConfig {
  try {
    const { yaml, root } = GoYaml.parse(text, source);
    const file = yaml.mapping(root, 'the file') ?? new Map<string, Node | null>();
    allowKeys(file, 'the file', ['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit']);
    const http = parseHttpServerConfig(yaml, file);
    const tls = parseTls(yaml, yaml.mapping(file.get('tls_server_config'), 'tls_server_config'), configDir, http.http2);
    return {
      tls,
      users: parseUsers(yaml, yaml.mapping(file.get('basic_auth_users'), 'basic_auth_users')),
      headers: http.headers,
      http2: http.http2,
      rateLimit: parseRateLimit(yaml, yaml.mapping(file.get('rate_limit'), 'rate_limit')),
    };
  } catch (err) {
    if (err instanceof YamlDecodeError) throw new WebConfigError(err.message);
    throw err;
  }
}

type Fields = ReadonlyMap<string, Node | null>;

function parseTls(yaml: GoYaml, m: Fields | null, configDir: string, http2: boolean): TlsSettings | null {
  const where = 'tls_server_config';
  if (m === null) return null;
  allowKeys(m, where, [
    'cert',
    'key',
    'client_ca',
    'cert_file',
    'key_file',
    'client_ca_file',
    'client_auth_type',
    'min_version',
    'max_version',
    'prefer_server_cipher_suites',
    'cipher_suites',
    'curve_preferences',
    'client_allowed_sans',
  ]);
  const s = (key: string): string => yaml.string(m.get(key), `${where}.${key}`);
  const pem = (inlineKey: string, fileKey: string): PemSource | null => {
    const inline = s(inlineKey);
    const file = s(fileKey);
    if (inline !== '' && file !== '') throw new WebConfigError(`${where}: give ${inlineKey} or ${fileKey}, not both`);
    if (file !== '') return { file: isAbsolute(file) ? file : join(configDir, file) };
    return inline !== '' ? { inline } : null;
  };
  const cert = pem('cert', 'cert_file');
  const key = pem('key', 'key_file');
  const clientCa = pem('client_ca', 'client_ca_file');
  const clientAuthText = s('client_auth_type');
  // Read (and checked) even when TLS ends up off, as the toolkit decodes every field first.
  const versions = { min: tlsVersion(yaml, m, 'min_version'), max: tlsVersion(yaml, m, 'max_version') };
  const cipherNames = nameList(yaml, m, 'cipher_suites', GO_CIPHER_SUITES, 'cipher');
  const curveNames = nameList(yaml, m, 'curve_preferences', GO_CURVES, 'curve');
  const sansNodes = yaml.list(m.get('client_allowed_sans'), `${where}.client_allowed_sans`);
  const clientAllowedSans = sansNodes === null ? null : sansNodes.map((n, i) => yaml.string(n, `${where}.client_allowed_sans[${i}]`));
  const prefer = m.has('prefer_server_cipher_suites')
    ? yaml.bool(m.get('prefer_server_cipher_suites'), `${where}.prefer_server_cipher_suites`)
    : true;

  // As the toolkit (TLSConfig.IsEnabled): any of these set means TLS is wanted, and then it must be complete.
  if (!cert && !key && !clientCa && clientAuthText === '') return null;
  if (!cert) throw new WebConfigError(`${where}: cert_file (or cert) is missing`);
  if (!key) throw new WebConfigError(`${where}: key_file (or key) is missing`);

  // "RequireClientCert" is the toolkit's old name of RequireAnyClientCert.
  const clientAuthName =
    clientAuthText === '' ? 'NoClientCert' : clientAuthText === 'RequireClientCert' ? 'RequireAnyClientCert' : clientAuthText;
  if (!(CLIENT_AUTH_TYPES as readonly string[]).includes(clientAuthName)) {
    throw new WebConfigError(`${where}.client_auth_type: "${clientAuthText}" is not one of ${CLIENT_AUTH_TYPES.join(', ')}`);
  }
  const clientAuth = clientAuthName as ClientAuthType;
  if (clientCa && clientAuth === 'NoClientCert') {
    throw new WebConfigError(`${where}: a client CA is configured but client_auth_type is NoClientCert (use RequireAndVerifyClientCert)`);
  }
  const minVersion = versions.min ?? 'TLSv1.2';
  const maxVersion = versions.max ?? 'TLSv1.3';
  if (TLS_VERSION_ORDER.indexOf(minVersion) > TLS_VERSION_ORDER.indexOf(maxVersion)) {
    throw new WebConfigError(`${where}: min_version ${s('min_version')} is above max_version ${s('max_version') || 'TLS13'}`);
  }
  const cipherSuites = cipherNames !== null && cipherNames.length > 0 ? cipherNames : null;
  if (cipherSuites && TLS_VERSION_ORDER.indexOf(minVersion) < TLS_VERSION_ORDER.indexOf('TLSv1.3')) {
    // Go's HTTP/2 server refuses to start (http2ConfigureServer) with a TLS 1.2 suite list that lacks the
    // suite HTTP/2 requires; the toolkit serves HTTP/2 unless http2: false, so the same file is refused.
    if (http2 && !cipherSuites.some((c) => HTTP2_REQUIRED.includes(c))) {
      throw new WebConfigError(
        `${where}.cipher_suites lacks the suite HTTP/2 requires (${HTTP2_REQUIRED.join(' or ')}); add one, or set http_server_config.http2: false`,
      );
    }
    if (!cipherSuites.some((c) => !c.startsWith('TLS_AES_') && !c.startsWith('TLS_CHACHA20_')) && maxVersion !== 'TLSv1.3') {
      throw new WebConfigError(`${where}.cipher_suites holds only TLS 1.3 suites but max_version is below TLS13: no handshake could succeed`);
    }
  }
  return {
    cert,
    key,
    clientCa,
    clientAuth,
    minVersion,
    maxVersion,
    preferServerCipherSuites: prefer,
    cipherSuites,
    curvePreferences: curveNames !== null && curveNames.length > 0 ? curveNames : null,
    clientAllowedSans,
  };
}

/**
 * min_version / max_version (the toolkit's TLSVersion). Go skips the field's own parser for a null
 * written as null, ~ or nothing (the zero version: Go's defaults, TLS 1.2 to 1.3); any other text,
 * Null and NULL included, must name a version.
 */
function tlsVersion(yaml: GoYaml, m: Fields, key: string): SecureVersion | null {
  const where = `tls_server_config.${key}`;
  if (yaml.skipsUnmarshaler(m.get(key))) return null;
  const text = yaml.string(m.get(key), where);
  const v = TLS_VERSIONS[text];
  if (!v) throw new WebConfigError(`${where}: "${text}" is not one of ${Object.keys(TLS_VERSIONS).join(', ')}`);
  return v;
}

/** cipher_suites / curve_preferences: Go's names, each checked; null is "not set". */
function nameList(yaml: GoYaml, m: Fields, key: string, known: Readonly<Record<string, string>>, what: string): string[] | null {
  const where = `tls_server_config.${key}`;
  const items = yaml.list(m.get(key), where);
  if (items === null) return null;
  return items.map((node, i) => {
    if (yaml.skipsUnmarshaler(node)) throw new WebConfigError(`${where}[${i}] is empty`);
    const name = yaml.string(node, `${where}[${i}]`);
    if (!Object.hasOwn(known, name)) {
      throw new WebConfigError(`${where}: unknown ${what} ${JSON.stringify(name)} (Go's names: ${Object.keys(known).join(', ')})`);
    }
    return name;
  });
}

function parseRateLimit(yaml: GoYaml, m: Fields | null): RateLimitSettings | null {
  if (m === null) return null;
  allowKeys(m, 'rate_limit', ['interval', 'burst']);
  const intervalNs = yaml.duration(m.get('interval'), 'rate_limit.interval');
  const burst = yaml.int(m.get('burst'), 'rate_limit.burst');
  // As the toolkit: an interval of 0 means no limiter at all, and rate.Every of a negative one is an
  // unlimited rate.
  if (intervalNs <= 0n) return null;
  return {
    intervalMs: Number(intervalNs) / 1e6,
    burst:
      burst > BigInt(Number.MAX_SAFE_INTEGER)
        ? Number.MAX_SAFE_INTEGER
        : burst < -BigInt(Number.MAX_SAFE_INTEGER)
          ? -Number.MAX_SAFE_INTEGER
          : Number(burst),
  };
}

/** `$2y$10$` + 53 characters of bcrypt's base64: the forms htpasswd, Go and bcryptjs write. */
const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/** The cost of a bcrypt hash, or null when the text is not one. */
export function bcryptCost(hash: string): number | null {
  const m = BCRYPT_HASH.exec(hash);
  const cost = m ? Number(m[1]) : NaN;
  return cost >= 4 && cost <= 31 ? cost : null;
}

function parseUsers(yaml: GoYaml, m: Fields | null): Map<string, string> {
  const users = new Map<string, string>();
  for (const [user, node] of m ?? []) {
    const hash =
      yaml.scalar(node, `basic_auth_users.${user}`, 'a bcrypt hash').kind === 'null' ? '' : yaml.string(node, `basic_auth_users.${user}`);
    if (bcryptCost(hash) === null) {
      throw new WebConfigError(
        `basic_auth_users: the password of user ${JSON.stringify(user)} is not a bcrypt hash ($2y$, $2b$ or $2a$, cost 04 to 31, e.g. from htpasswd -nBC 10 "")`,
      );
    }
    users.set(user, hash);
  }
  return users;
}

function parseHttpServerConfig(yaml: GoYaml, file: Fields): { http2: boolean; headers: Array<[string, string]> } {
  const m = yaml.mapping(file.get('http_server_config'), 'http_server_config');
  // Go's default is true; a section written as null resets the whole struct, http2 to false.
  if (m === null) return { http2: !file.has('http_server_config'), headers: [] };
  allowKeys(m, 'http_server_config', ['http2', 'headers']);
  // Only HTTP/1.1 is served; http2 is read because it decides whether a cipher_suites list is valid.
  const http2 = m.has('http2') ? yaml.bool(m.get('http2'), 'http_server_config.http2') : true;
  const headers: Array<[string, string]> = [];
  for (const [name, node] of yaml.mapping(m.get('headers'), 'http_server_config.headers') ?? []) {
    const where = `http_server_config.headers.${name}`;
    if (!Object.hasOwn(EXTRA_HEADERS, name)) {
      throw new WebConfigError(
        `http_server_config.headers: ${JSON.stringify(name)} can not be configured (allowed: ${Object.keys(EXTRA_HEADERS).join(', ')})`,
      );
    }
    const value = yaml.string(node, where);
    const allowed = EXTRA_HEADERS[name];
    // The toolkit compares exactly ("DENY" is not "deny"); an empty value is checked too.
    if (allowed && !allowed.includes(value)) {
      throw new WebConfigError(`${where}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
    }
    if (value === '') continue; // "Unset if blank"
    if (!/^[\t\x20-\x7e]*$/.test(value)) throw new WebConfigError(`${where}: the value holds characters a header cannot carry`);
    headers.push([name, value]);
  }
  return { http2, headers };
}

/**
 * Reads the TLS files (or takes the inline PEMs), checks that the certificate and key are a pair and
 * the client CA holds certificates, and resolves the client auth policy. Throws WebConfigError.
 */
export function loadTlsMaterial(settings: TlsSettings): TlsMaterial {
  const stamp = tlsStamp(settings);
  const read = (src: PemSource, key: string): string =>
    'file' in src ? readText(src.file, `tls_server_config.${key}_file ${src.file}`) : src.inline;
  const name = (src: PemSource, key: string): string => ('file' in src ? `${key}_file ${src.file}` : key);
  const certPem = read(settings.cert, 'cert');
  const keyPem = read(settings.key, 'key');

  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certPem);
  } catch {
    throw new WebConfigError(`tls_server_config.${name(settings.cert, 'cert')} holds no PEM certificate`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch (err) {
    const why = /passphrase/i.test((err as Error).message) ? 'is encrypted (a passphrase is not supported)' : 'holds no PEM private key';
    throw new WebConfigError(`tls_server_config.${name(settings.key, 'key')} ${why}`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new WebConfigError(`tls_server_config: ${name(settings.key, 'key')} does not match ${name(settings.cert, 'cert')}`);
  }

  let caPem: string | undefined;
  if (settings.clientCa) {
    caPem = read(settings.clientCa, 'client_ca');
    const blocks = caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    const bad = blocks.length === 0 || blocks.some((b) => !parsesAsCertificate(b));
    if (bad) throw new WebConfigError(`tls_server_config.${name(settings.clientCa, 'client_ca')} holds no valid PEM certificates`);
  }

  const contextOptions: SecureContextOptions = {
    cert: certPem,
    key: keyPem,
    ...(caPem !== undefined ? { ca: caPem } : {}),
    minVersion: settings.minVersion,
    maxVersion: settings.maxVersion,
    honorCipherOrder: settings.preferServerCipherSuites,
    ...suiteOptions(settings),
    ...(settings.curvePreferences ? { ecdhCurve: settings.curvePreferences.map((c) => GO_CURVES[c]).join(':') } : {}),
  };
  try {
    createSecureContext(contextOptions); // what the server will do: catches anything OpenSSL refuses
  } catch (err) {
    throw new WebConfigError(`tls_server_config: OpenSSL refuses the certificate or key: ${(err as Error).message}`);
  }
  const policy = settings.clientAuth;
  return {
    clientAuth: policy,
    contextOptions,
    requestCert: policy !== 'NoClientCert',
    rejectUnauthorized: policy === 'RequireAndVerifyClientCert',
    clientAllowedSans: settings.clientAllowedSans,
    stamp,
  };
}

/**
 * cipher_suites as OpenSSL options. Only TLS 1.0-1.2 suites are restricted (TLS 1.3 keeps OpenSSL's
 * defaults, as Go keeps its own); a list of TLS 1.3 suites alone leaves no TLS 1.2 suite, which in
 * Go fails every TLS 1.2 handshake: here TLS 1.2 is not offered at all.
 */
function suiteOptions(settings: TlsSettings): SecureContextOptions {
  if (!settings.cipherSuites) return {};
  const tls12 = settings.cipherSuites.map((c) => GO_CIPHER_SUITES[c] as string).filter((c) => !c.startsWith('TLS_'));
  if (tls12.length === 0) return { minVersion: 'TLSv1.3' };
  return { ciphers: [...new Set(tls12)].join(':') };
}

function parsesAsCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/** Unknown keys are errors (the toolkit parses with UnmarshalStrict). */
function allowKeys(m: Fields, where: string, known: readonly string[]): void {
  for (const key of m.keys()) {
    if (!known.includes(key)) throw new WebConfigError(`unknown key ${JSON.stringify(key)} in ${where}`);
  }
}
