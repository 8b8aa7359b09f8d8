/**
 * For the web config tests: certificates made by openssl in a fresh directory, the built exporter as a
 * child process, and an HTTP(S) client that reports what the server really did (status, headers, the
 * certificate it presented, or the error that ended the connection).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate, SecureVersion, TLSSocket } from 'node:tls';
import { run } from '../support/run.js';

const MAIN = new URL('../../../dist/main.js', import.meta.url).pathname;

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Pki {
  dir: string;
  /** PEM texts. */
  ca: string;
  /** A client certificate and key signed by the CA. */
  clientCert: string;
  clientKey: string;
  /** A self-signed client certificate the CA never signed. */
  rogueCert: string;
  rogueKey: string;
  /** Paths of the server's certificate and key (what the web config names). */
  serverCertFile: string;
  serverKeyFile: string;
  caFile: string;
  /** Issues another server certificate and key (for rotation), CN as given; returns the PEM texts. */
  issueServer(cn: string): Promise<{ cert: string; key: string }>;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd, timeoutMs: 30_000 });
}

async function issue(dir: string, name: string, cn: string, ext: string): Promise<{ cert: string; key: string }> {
  writeFileSync(join(dir, `${name}.ext`), ext);
  await openssl(['req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
  return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

const SERVER_EXT =
  'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n';
const CLIENT_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n';

/** A CA, a server certificate for 127.0.0.1/localhost, a client certificate, and a rogue one. */
export async function makePki(dir: string): Promise<Pki> {
  await openssl(
    [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=web-config test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  await issue(dir, 'server', 'server-1', SERVER_EXT);
  const client = await issue(dir, 'client', 'scraper', CLIENT_EXT);
  await openssl(
    [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      'rogue.key',
      '-out',
      'rogue.crt',
      '-days',
      '2',
      '-subj',
      '/CN=rogue',
      '-addext',
      'extendedKeyUsage=clientAuth',
    ],
    dir,
  );
  let n = 0;
  return {
    dir,
    ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    clientCert: client.cert,
    clientKey: client.key,
    rogueCert: readFileSync(join(dir, 'rogue.crt'), 'utf8'),
    rogueKey: readFileSync(join(dir, 'rogue.key'), 'utf8'),
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile: join(dir, 'server.key'),
    caFile: join(dir, 'ca.crt'),
    issueServer: (cn) => issue(dir, `server-next-${++n}`, cn, SERVER_EXT),
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface RunningExporter {
  port: number;
  stderr(): string;
  stop(): Promise<void>;
}

function exporterArgs(port: number, configFile: string): string[] {
  return [
    MAIN,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.config.file=${configFile}`,
    '--docker.host=',
    '--poll.interval=500ms',
    '--log.level=debug',
  ];
}

/** Starts dist/main.js with the web config and resolves once it listens. */
export async function startExporter(configFile: string): Promise<RunningExporter> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, exporterArgs(port, configFile), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
  };
  const deadline = Date.now() + 15_000;
  while (!/docker-engine-exporter listening/.test(err)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`exporter did not start (exit ${child.exitCode}):\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { port, stderr: () => err, stop };
}

/** Runs dist/main.js with the web config and waits for it to exit (it must, within the timeout). */
export async function runExporterToExit(configFile: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const port = await freePort();
  const r = await run(process.execPath, exporterArgs(port, configFile), { allowFailure: true, timeoutMs: 15_000 });
  return { code: r.code, stderr: r.stderr, stdout: r.stdout };
}

export interface Answer {
  status: number;
  /** The negotiated cipher suite (IANA name) and protocol (HTTPS). */
  cipher?: string | undefined;
  protocol?: string | null | undefined;
  headers: IncomingHttpHeaders;
  body: string;
  /** The server's certificate (HTTPS). */
  peer: PeerCertificate | null;
}

export interface GetOptions {
  tls?: { ca: string; cert?: string; key?: string; ciphers?: string; maxVersion?: SecureVersion; ecdhCurve?: string } | undefined;
  /** user:password for basic auth. */
  auth?: string | undefined;
  path?: string;
}

/** One GET on a fresh connection (no agent, no keep-alive): every call is a new TLS handshake. */
export function get(port: number, opts: GetOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const common = {
      host: '127.0.0.1',
      port,
      path: opts.path ?? '/metrics',
      method: 'GET',
      agent: false as const,
      timeout: 10_000,
      headers: opts.auth !== undefined ? { authorization: `Basic ${Buffer.from(opts.auth).toString('base64')}` } : {},
    };
    const req = opts.tls ? httpsRequest({ ...common, ...opts.tls, servername: 'localhost' }) : httpRequest(common);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.on('response', (res) => {
      const peer = opts.tls ? (res.socket as TLSSocket).getPeerCertificate() : null;
      const cipher = opts.tls ? (res.socket as TLSSocket).getCipher().standardName : undefined;
      const protocol = opts.tls ? (res.socket as TLSSocket).getProtocol() : undefined;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), peer, cipher, protocol }),
      );
    });
    req.end();
  });
}
