/**
 * Programs the bench runs beside the exporter: started on loopback ports, tracked so that an
 * interrupted run stops them, stopped by pid. Timed HTTP GETs, reading an exposition, and what the
 * kernel says of a process (CPU time, resident memory).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { fetchText, freePort, startExporter, waitFor, WaitAbort, type ExporterProcess } from '../../test/support/engine-rig.js';

export { delay as sleep } from '../../test/support/run.js';
export const PROCESS_EXPORTER = '/usr/bin/prometheus-process-exporter';
export const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
export const PROMETHEUS = '/usr/bin/prometheus';
const SETPRIV = '/usr/bin/setpriv';

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Everything started here that still runs, for the exit handler of an interrupted run. */
const live = new Set<{ killNow(): void }>();
let hooked = false;
export function track(r: { killNow(): void }): void {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => live.forEach((x) => x.killNow()));
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => process.exit(130));
  }
  live.add(r);
}
export const untrack = (r: { killNow(): void }): void => void live.delete(r);

/** argv under util-linux's setpriv with a parent-death signal (same pid: it execs), so it cannot outlive the bench. */
export const underSetpriv = (argv: string[]): string[] => (existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'TERM', '--', ...argv] : argv);

export interface HttpResult {
  status: number;
  body: string;
  /** From the request to the last byte. */
  ms: number;
}

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

export type Program = Awaited<ReturnType<typeof startProgram>>;

/** A program on a free loopback port (under setpriv), once GET `readyPath` answers 200; SIGTERM then SIGKILL by pid. */
export async function startProgram(binary: string, args: (port: number) => string[], logFile: string, readyPath = '/metrics') {
  if (!existsSync(binary)) throw new Error(`${binary} not found (Debian: apt-get install -y prometheus-${binary.split('prometheus-')[1]})`);
  const port = await freePort();
  const [file = binary, ...rest] = underSetpriv([binary, ...args(port)]);
  const log = openSync(logFile, 'a');
  const child = spawn(file, rest, { stdio: ['ignore', log, log] });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`${binary} did not start`);
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const killNow = (): void => void (exited() || child.kill('SIGKILL'));
  const p = { pid: child.pid, port, url: `http://127.0.0.1:${port}`, exited, killNow };
  const stop = async (): Promise<void> => {
    untrack(p);
    if (exited()) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(killNow, 5_000);
    await gone;
    clearTimeout(timer);
  };
  track(p);
  const answer = async (): Promise<boolean> => {
    if (exited()) throw new WaitAbort(`${binary} exited before answering ${readyPath}`);
    return (await httpGet(`${p.url}${readyPath}`, undefined, 5_000)).status === 200;
  };
  await waitFor(`${binary} to answer ${readyPath}`, answer, 60_000, 200).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { ...p, stop };
}

/** `node dist/main.js <flags>` (test/support's), once its /metrics shows a finished poll. */
export async function exporterPolled(args: string[], nodeArgs: string[] = [], env = process.env): Promise<ExporterProcess> {
  const ex = await startExporter({ args, nodeArgs, env });
  const polled = async (): Promise<boolean> => (sampleValue((await fetchText(`${ex.url}/metrics`)).body, POLLS) ?? 0) >= 1;
  await waitFor('the exporter to finish a poll', polled, 20_000, 200).catch(async (err: unknown) => {
    await ex.stop();
    throw err;
  });
  return ex;
}

export const POLLS = 'docker_engine_exporter_poll_duration_seconds_count';
export const POLL_SECONDS = 'docker_engine_exporter_poll_duration_seconds_sum';

/** `name{labels}` of every sample line (not comments, not blank), as written: the series. */
export function seriesSet(body: string): Set<string> {
  const out = new Set<string>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('}');
    out.add(brace >= 0 ? line.slice(0, brace + 1) : (line.split(' ')[0] ?? line));
  }
  return out;
}

/** Value of the sample `key` (`name` or `name{a="b"}` exactly as written), or null. */
export function sampleValue(body: string, key: string): number | null {
  for (const line of body.split('\n')) {
    if (line.startsWith(key) && line[key.length] === ' ') return Number(line.slice(key.length + 1).split(' ')[0]);
  }
  return null;
}

/** utime + stime of a process (all its threads), ms (clock ticks of 10 ms). */
export function processCpuMs(pid: number): number {
  try {
    const f = statFields(pid);
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** The fields of /proc/<pid>/stat after the command's closing ")": state is [0], ppid [1], pgrp [2]. */
export function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Resident memory from /proc/<pid>/status, MiB: VmRSS, its anonymous and file-backed parts; null where the kernel gives none. */
export function residentMiB(pid: number | 'self'): Record<'rss' | 'anon' | 'file', number | null> {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mib = (field: string): number | null => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    return m?.[1] === undefined ? null : Number(m[1]) / 1024;
  };
  return { rss: mib('VmRSS'), anon: mib('RssAnon'), file: mib('RssFile') };
}

/** `X` of a Prometheus-style `--version` banner's `(… revision: X)` (Debian's package version), or of `version X`. */
export function programVersion(binary: string): string {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return /revision:\s*([^)\s]+)/.exec(text)?.[1] ?? /version\s+(\S+)/.exec(text)?.[1] ?? 'unknown';
}

/** The node flags of dist/main.js's shebang, as deployed (test/static checks the Dockerfile passes the same): no drift. */
export function deployedNodeFlags(mainJs: string): string[] {
  const first = readFileSync(mainJs, 'utf8').split('\n', 1)[0] ?? '';
  const words = first.replace(/^#!/, '').trim().split(/\s+/);
  const node = words.indexOf('node');
  if (!first.startsWith('#!') || node < 0) throw new Error(`${mainJs}: no "#!... node" shebang`);
  return words.slice(node + 1);
}

export type MachineInfo = Record<'cpu' | 'kernel' | 'node' | 'distro', string> & Record<'nproc' | 'memGiB', number>;

export function machineInfo(): MachineInfo {
  const release = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const distro = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(release)?.[1] ?? '';
  const [nproc, cpu, memGiB] = [os.availableParallelism(), os.cpus()[0]?.model ?? 'unknown', Math.round(os.totalmem() / 2 ** 30)];
  return { nproc, cpu, memGiB, kernel: `${os.type()} ${os.release()}`, node: process.version, distro };
}

/** The checkout measured: the short HEAD, with "+ changes in src/" when src/ differs from it; null outside git. */
export function checkoutCommit(repoRoot: string): string | null {
  const git = (args: string[]): string | null => {
    const r = spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8', timeout: 10_000 });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const head = git(['rev-parse', '--short', 'HEAD']);
  if (head === null) return null;
  return git(['status', '--porcelain', '--', 'src']) ? `${head} + changes in src/` : head;
}
