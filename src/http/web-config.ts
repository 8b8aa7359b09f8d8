/**
 * `--web.config.file` in the Prometheus exporter-toolkit format (docs/web-configuration.md of
 * prometheus/exporter-toolkit): TLS, basic authentication and extra response headers, so one file
 * serves every exporter on a host. Parsing is strict, as the toolkit's (an unknown key is an error, not
 * a silently ignored setting), and every message is one line naming the key: main prints it and exits 2
 * before listening; at runtime a reload that fails keeps the last good config (web-config-reload.ts).
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { createSecureContext, type SecureContextOptions, type SecureVersion } from 'node:tls';
import { parseDocument } from 'yaml';
import { FlagError } from '../config/flags.js';
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
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

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

/** A PEM either in its own file (re-read when it changes) or inline in the config file. */
export type PemSource = { file: string } | { inline: string };

export interface TlsSettings {
  cert: PemSource;
  key: PemSource;
  clientCa: PemSource | null;
  clientAuth: ClientAuthType;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  preferServerCipherSuites: boolean;
}

export interface WebConfig {
  /** null: plain HTTP. */
  tls: TlsSettings | null;
  /** user → bcrypt hash; empty: no basic authentication. */
  users: ReadonlyMap<string, string>;
  /** Extra response headers, blank ones left out. */
  headers: ReadonlyArray<readonly [string, string]>;
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

export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new WebConfigError(`cannot read ${what}: ${describeFsError(err)}`);
  }
}

export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return err instanceof Error ? err.message : String(err);
}

/**
 * Parses the YAML text of a web config file. Relative file names are taken from configDir, as the
 * toolkit does. `source` names the file in messages. Throws WebConfigError.
 */
export function parseWebConfig(text: string, configDir: string, source = 'web config'): WebConfig {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    // The first line says what and where ("… at line 3, column 1:"); the rest is a source excerpt.
    const head = (yamlError.message.split('\n')[0] ?? yamlError.message).replace(/:$/, '');
    throw new WebConfigError(`${source} is not valid YAML: ${head}`);
  }
  let value: unknown;
  try {
    // Maps, not objects: every key is read as written (a user named __proto__ included), and a tagged
    // collection (!!omap, !!set) is a Map or refused, never an object whose entries go unseen.
    value = doc.toJS({ mapAsMap: true, maxAliasCount: 100 });
  } catch (err) {
    throw new WebConfigError(`${source} is not valid YAML: ${(err as Error).message}`);
  }
  const root = mapping(value, 'the file');
  allowKeys(root, 'the file', ['tls_server_config', 'http_server_config', 'basic_auth_users'], ['rate_limit']);
  return {
    tls: parseTls(mapping(root.get('tls_server_config'), 'tls_server_config'), configDir),
    users: parseUsers(mapping(root.get('basic_auth_users'), 'basic_auth_users')),
    headers: parseHttpServerConfig(mapping(root.get('http_server_config'), 'http_server_config')),
  };
}

function parseTls(m: ReadonlyMap<string, unknown>, configDir: string): TlsSettings | null {
  const where = 'tls_server_config';
  allowKeys(
    m,
    where,
    ['cert', 'key', 'client_ca', 'cert_file', 'key_file', 'client_ca_file', 'client_auth_type', 'min_version', 'max_version', 'prefer_server_cipher_suites'],
    ['cipher_suites', 'curve_preferences', 'client_allowed_sans'],
  );
  const s = (key: string): string => string(m.get(key), `${where}.${key}`);
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
  // As the toolkit: any of these set means TLS is wanted, and then it must be complete.
  if (!cert && !key && !clientCa && clientAuthText === '') return null;
  if (!cert) throw new WebConfigError(`${where}: cert_file (or cert) is missing`);
  if (!key) throw new WebConfigError(`${where}: key_file (or key) is missing`);

  // "RequireClientCert" is the toolkit's old name of RequireAnyClientCert.
  const clientAuthName = clientAuthText === '' ? 'NoClientCert' : clientAuthText === 'RequireClientCert' ? 'RequireAnyClientCert' : clientAuthText;
  if (!(CLIENT_AUTH_TYPES as readonly string[]).includes(clientAuthName)) {
    throw new WebConfigError(`${where}.client_auth_type: "${clientAuthText}" is not one of ${CLIENT_AUTH_TYPES.join(', ')}`);
  }
  const clientAuth = clientAuthName as ClientAuthType;
  if (clientCa && clientAuth === 'NoClientCert') {
    throw new WebConfigError(`${where}: a client CA is configured but client_auth_type is NoClientCert (use RequireAndVerifyClientCert)`);
  }
  const version = (key: string, fallback: SecureVersion): SecureVersion => {
    const text = s(key);
    if (text === '') return fallback;
    const v = TLS_VERSIONS[text];
    if (!v) throw new WebConfigError(`${where}.${key}: "${text}" is not one of ${Object.keys(TLS_VERSIONS).join(', ')}`);
    return v;
  };
  const minVersion = version('min_version', 'TLSv1.2');
  const maxVersion = version('max_version', 'TLSv1.3');
  if (TLS_VERSION_ORDER.indexOf(minVersion) > TLS_VERSION_ORDER.indexOf(maxVersion)) {
    throw new WebConfigError(`${where}: min_version ${s('min_version')} is above max_version ${s('max_version') || 'TLS13'}`);
  }
  const prefer = m.get('prefer_server_cipher_suites');
  if (prefer !== undefined && prefer !== null && typeof prefer !== 'boolean') {
    throw new WebConfigError(`${where}.prefer_server_cipher_suites must be true or false`);
  }
  return { cert, key, clientCa, clientAuth, minVersion, maxVersion, preferServerCipherSuites: prefer !== false };
}

/** `$2y$10$` + 53 characters of bcrypt's base64: the forms htpasswd, Go and bcryptjs write. */
const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/** The cost of a bcrypt hash, or null when the text is not one. */
export function bcryptCost(hash: string): number | null {
  const m = BCRYPT_HASH.exec(hash);
  const cost = m ? Number(m[1]) : NaN;
  return cost >= 4 && cost <= 31 ? cost : null;
}

function parseUsers(m: ReadonlyMap<string, unknown>): Map<string, string> {
  const users = new Map<string, string>();
  for (const [user, hash] of m) {
    if (typeof hash !== 'string' || bcryptCost(hash) === null) {
      throw new WebConfigError(
        `basic_auth_users: the password of user ${JSON.stringify(user)} is not a bcrypt hash ($2y$, $2b$ or $2a$, cost 04 to 31, e.g. from htpasswd -nBC 10 "")`,
      );
    }
    users.set(user, hash);
  }
  return users;
}

function parseHttpServerConfig(m: ReadonlyMap<string, unknown>): Array<[string, string]> {
  allowKeys(m, 'http_server_config', ['http2', 'headers'], []);
  // Only HTTP/1.1 is served; http2 is accepted (with either value) so toolkit files load unchanged.
  const http2 = m.get('http2');
  if (http2 !== undefined && http2 !== null && typeof http2 !== 'boolean') {
    throw new WebConfigError('http_server_config.http2 must be true or false');
  }
  const headers: Array<[string, string]> = [];
  for (const [name, raw] of mapping(m.get('headers'), 'http_server_config.headers')) {
    const where = `http_server_config.headers.${name}`;
    if (!Object.hasOwn(EXTRA_HEADERS, name)) {
      throw new WebConfigError(`http_server_config.headers: ${JSON.stringify(name)} can not be configured (allowed: ${Object.keys(EXTRA_HEADERS).join(', ')})`);
    }
    const value = string(raw, where);
    if (value === '') continue; // "Unset if blank"
    if (!/^[\t\x20-\x7e]*$/.test(value)) throw new WebConfigError(`${where}: the value holds characters a header cannot carry`);
    const allowed = EXTRA_HEADERS[name];
    if (allowed && !allowed.includes(value.toLowerCase())) {
      throw new WebConfigError(`${where}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
    }
    headers.push([name, value]);
  }
  return headers;
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
    stamp,
  };
}

function parsesAsCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/**
 * A YAML mapping with its keys as text (a user may be called 1234); absent or null is an empty one, as
 * an omitted section in the toolkit. Anything else, a !!set or a key that is itself a collection, is
 * refused.
 */
function mapping(v: unknown, where: string): Map<string, unknown> {
  if (v === undefined || v === null) return new Map();
  if (!(v instanceof Map)) throw new WebConfigError(`${where} must be a mapping`);
  const out = new Map<string, unknown>();
  for (const [key, value] of v as Map<unknown, unknown>) {
    if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean') {
      throw new WebConfigError(`${where} has a key that is not a name`);
    }
    const name = String(key);
    if (out.has(name)) throw new WebConfigError(`${where} has the key ${JSON.stringify(name)} twice`);
    out.set(name, value);
  }
  return out;
}

function string(v: unknown, where: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new WebConfigError(`${where} must be a string`);
  return v;
}

/**
 * Unknown keys are errors (the toolkit parses with UnmarshalStrict). Keys of the toolkit's format this
 * exporter does not implement are refused when set, so no security setting is silently dropped.
 */
function allowKeys(m: ReadonlyMap<string, unknown>, where: string, known: readonly string[], unsupported: readonly string[]): void {
  for (const [key, value] of m) {
    if (known.includes(key)) continue;
    if (unsupported.includes(key)) {
      const empty = value === null || (Array.isArray(value) && value.length === 0) || (value instanceof Map && value.size === 0);
      if (empty) continue;
      throw new WebConfigError(`${where === 'the file' ? '' : `${where}.`}${key} is not supported by docker-engine-exporter`);
    }
    throw new WebConfigError(`unknown key ${JSON.stringify(key)} in ${where}`);
  }
}
