/**
 * Shared helpers of the issue-6 benchmarks (bench/run-issue6.ts): the other programs they run beside
 * the exporter (Debian's process-exporter, node_exporter and Prometheus), started by pid on loopback
 * and stopped again by pid; timed HTTP GETs; series counting; the section of docs/benchmarks.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { freePort } from './metrics-latency.js';

export const PROCESS_EXPORTER = '/usr/bin/prometheus-process-exporter';
export const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
export const PROMETHEUS = '/usr/bin/prometheus';
const SETPRIV = '/usr/bin/setpriv';

/** Everything started here that is still running, for an interrupted run's exit handler. */
const live = new Set<{ killNow(): void }>();
let hooked = false;
export function trackForExit(r: { killNow(): void }): void {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const x of live) x.killNow();
    });
  }
  live.add(r);
}
export function untrack(r: { killNow(): void }): void {
  live.delete(r);
}

export interface HttpResult {
  status: number;
  body: string;
  ms: number;
}

/** GET with a deadline; the body as text; `ms` from the request to the last byte. */
export function httpGet(url: string, agent: http.Agent | undefined, timeoutMs: number): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent: agent ?? false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Polls `url` until it answers 200 (bounded); returns the answer. */
export async function waitHttpOk(url: string, timeoutMs: number, exited: () => boolean, what: string): Promise<HttpResult> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (exited()) throw new Error(`${what} exited before answering ${url}`);
    try {
      const r = await httpGet(url, undefined, 5_000);
      if (r.status === 200) return r;
      last = `status ${r.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${url} within ${timeoutMs} ms (${last})`);
    await sleep(200);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A program started here, on a loopback port, under util-linux's setpriv with a parent-death signal
 * (same pid: setpriv execs it), so that it cannot outlive the bench even if the bench is SIGKILLed.
 */
export class ExternalProgram {
  private constructor(
    readonly name: string,
    readonly pid: number,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(
    name: string,
    binary: string,
    args: (port: number) => string[],
    logFile: string,
  ): Promise<ExternalProgram> {
    if (!existsSync(binary)) throw new Error(`${binary} not found (apt-get install -y ${debianPackageOf(binary)})`);
    const port = await freePort();
    const argv = [binary, ...args(port)];
    const [file = binary, ...rest] = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'TERM', '--', ...argv] : argv;
    const log = openSync(logFile, 'a');
    const child = spawn(file, rest, { stdio: ['ignore', log, log] });
    closeSync(log);
    if (child.pid === undefined) throw new Error(`${name} did not start`);
    const p = new ExternalProgram(name, child.pid, port, child);
    trackForExit(p);
    return p;
  }

  exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** user + system CPU time of the program so far, in ms (clock ticks of 10 ms). */
  cpuMs(): number {
    return processCpuMs(this.pid);
  }

  /** Resident set size now, bytes. */
  rssBytes(): number {
    try {
      return (residentMiB(this.pid).rss ?? Number.NaN) * 2 ** 20;
    } catch {
      return Number.NaN;
    }
  }

  /** SIGTERM by pid, SIGKILL after 5 s. */
  async stop(): Promise<void> {
    untrack(this);
    if (this.exited()) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  killNow(): void {
    if (!this.exited()) this.child.kill('SIGKILL');
  }
}

function debianPackageOf(binary: string): string {
  if (binary === PROCESS_EXPORTER) return 'prometheus-process-exporter';
  if (binary === NODE_EXPORTER) return 'prometheus-node-exporter';
  if (binary === PROMETHEUS) return 'prometheus';
  return binary;
}

/** utime + stime of a process (all its threads, not its children), ms. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after ") ": state=0 ppid=1 … utime=11 stime=12 (clock ticks, USER_HZ 100)
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Sample lines of an exposition (not comments, not blank): the number of exported series. */
export function seriesCount(body: string): number {
  let n = 0;
  for (const line of body.split('\n')) if (line !== '' && !line.startsWith('#')) n++;
  return n;
}

/** `name{labels}` of every sample line, as written. */
export function seriesSet(body: string): Set<string> {
  const out = new Set<string>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('}');
    out.add(brace >= 0 ? line.slice(0, brace + 1) : (line.split(' ')[0] ?? line));
  }
  return out;
}

/** Value of the sample `key` (`name` or `name{a="b"}` exactly as the exporter writes it), or null. */
export function sampleValue(body: string, key: string): number | null {
  for (const line of body.split('\n')) {
    if (line.startsWith(key) && line[key.length] === ' ') return Number(line.slice(key.length + 1).split(' ')[0]);
  }
  return null;
}

export const ISSUE6_BEGIN = '<!-- issue6:begin -->';
export const ISSUE6_END = '<!-- issue6:end -->';

/**
 * Puts `markdown` between the issue-6 markers of docsPath, leaving the rest of the file alone; when
 * the file has no markers yet, they are appended at its end.
 */
export function writeIssue6Section(docsPath: string, markdown: string): void {
  const text = existsSync(docsPath) ? readFileSync(docsPath, 'utf8') : '';
  const begin = text.indexOf(ISSUE6_BEGIN);
  const end = text.indexOf(ISSUE6_END);
  let next: string;
  if (begin >= 0 && end > begin) {
    next = `${text.slice(0, begin + ISSUE6_BEGIN.length)}\n${markdown}\n${text.slice(end)}`;
  } else {
    if (begin >= 0 || end >= 0) throw new Error(`${docsPath} has only one of ${ISSUE6_BEGIN} … ${ISSUE6_END}`);
    next = `${text.replace(/\n*$/, '\n')}\n${ISSUE6_BEGIN}\n${markdown}\n${ISSUE6_END}\n`;
  }
  writeFileSync(docsPath, next);
}

/** Numbers for tables. */
export const fmtMs = (v: number | null | undefined): string =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
export const fmtRatio = (a: number | null | undefined, b: number | null | undefined): string =>
  a === null || a === undefined || b === null || b === undefined || !(b > 0) || Number.isNaN(a) ? '–' : `${(a / b).toFixed(2)}x`;
export const fmtMiB = (bytes: number): string => (Number.isNaN(bytes) ? '–' : (bytes / 2 ** 20).toFixed(1));

export function mdTable(headers: readonly string[], body: readonly (readonly string[])[]): string {
  const line = (r: readonly string[]): string => `| ${r.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...body.map(line)].join('\n');
}

/** `X` of a Prometheus-style `--version` banner's `(… revision: X)` (Debian's package version), or of `version X`. */
export function programVersion(binary: string): string {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return /revision:\s*([^)\s]+)/.exec(text)?.[1] ?? /version\s+(\S+)/.exec(text)?.[1] ?? 'unknown';
}

/**
 * The node flags the exporter is deployed with, read from dist/main.js's shebang (the bin; the
 * Dockerfile's ENTRYPOINT passes the same, test/static checks both), so the benchmarks run it as
 * deployed and cannot drift from it.
 */
export function deployedNodeFlags(mainJs: string): string[] {
  const first = readFileSync(mainJs, 'utf8').split('\n', 1)[0] ?? '';
  const words = first.replace(/^#!/, '').trim().split(/\s+/);
  const node = words.indexOf('node');
  if (!first.startsWith('#!') || node < 0) throw new Error(`${mainJs}: no "#!... node" shebang`);
  return words.slice(node + 1);
}

export interface ResidentMiB {
  /** VmRSS, and its split as the kernel counts it: anonymous memory and file-backed pages. */
  rss: number | null;
  anon: number | null;
  file: number | null;
}

/** A process's resident memory from /proc/<pid>/status, MiB; a field the kernel does not give is null. */
export function residentMiB(pid: number | 'self'): ResidentMiB {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mib = (field: string): number | null => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    return m?.[1] === undefined ? null : Number(m[1]) / 1024;
  };
  return { rss: mib('VmRSS'), anon: mib('RssAnon'), file: mib('RssFile') };
}
