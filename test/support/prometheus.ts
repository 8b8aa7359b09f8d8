/**
 * A real Prometheus (Debian's prometheus package) for tests: started from a generated config on a
 * free port with its own fresh TSDB, read through its HTTP API, stopped again by pid.
 *
 * The process is spawned through a caller-supplied function, normally an engine rig's spawnOwned,
 * so that the rig's exit-time cleanup also kills it if the test process dies before stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor, WaitAbort } from './engine-rig.js';
import { readProcStat } from './proc.js';
import { run, settlesWithin } from './run.js';

const PROMETHEUS_BINARY = '/usr/bin/prometheus';
const PROMTOOL_BINARY = '/usr/bin/promtool';

/** Spawns cmd with args, stdout and stderr appended to logName (relative to the caller's directory). */
type Spawner = (cmd: string, args: string[], logName: string) => ChildProcess;

export interface PrometheusProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  pid: number;
  logPath: string;
  /** The last lines of Prometheus's own log, for failure messages. */
  logTail(lines?: number): string;
  exited(): boolean;
  /** SIGTERM, then SIGKILL after 10 s; only ever to the process it started (pid and start time). */
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** The generated prometheus.yml. */
  configFile: string;
  /** A fresh directory: the TSDB goes to <dir>/data, the log to <dir>/<logName>. */
  dir: string;
  /** How the process is started; defaults to a plain spawn with its output in <dir>/prometheus.log. */
  spawner?: Spawner;
  readyTimeoutMs?: number;
}

/** Whether Debian's prometheus and promtool are installed; the reason when not. */
export function prometheusAvailability(): { ok: true } | { ok: false; why: string } {
  for (const bin of [PROMETHEUS_BINARY, PROMTOOL_BINARY]) {
    if (!existsSync(bin)) return { ok: false, why: `${bin} not found (apt-get install -y prometheus)` };
  }
  return { ok: true };
}

function plainSpawner(dir: string): Spawner {
  return (cmd, args, logName) => {
    const fd = openSync(join(dir, logName), 'a');
    try {
      return spawn(cmd, args, { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
  };
}

/** `promtool check config` on a generated config (it also checks the rule files the config names). */
export async function promtoolCheckConfig(configFile: string): Promise<{ ok: boolean; output: string }> {
  const r = await run(PROMTOOL_BINARY, ['check', 'config', configFile], { timeoutMs: 30_000, allowFailure: true });
  return { ok: r.code === 0, output: `${r.stdout}${r.stderr}` };
}

/**
 * Starts Prometheus with `--config.file`, a TSDB in <dir>/data, `--web.listen-address` on a free
 * 127.0.0.1 port, and nothing remote; waits for /-/ready.
 */
export async function startPrometheus(opts: StartPrometheusOptions): Promise<PrometheusProcess> {
  const dataDir = join(opts.dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logName = 'prometheus.log';
  const logPath = join(opts.dir, logName);
  const child = (opts.spawner ?? plainSpawner(opts.dir))(
    PROMETHEUS_BINARY,
    [
      `--config.file=${opts.configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1d',
      '--log.level=info',
    ],
    logName,
  );
  if (child.pid === undefined) throw new Error(`could not spawn ${PROMETHEUS_BINARY}`);
  const pid = child.pid;
  const startTicks = readProcStat(pid)?.startTicks ?? null;
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const exitPromise = new Promise<void>((r) => {
    if (exited()) r();
    else child.once('exit', () => r());
  });
  const logTail = (lines = 20): string => {
    try {
      return readFileSync(logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const signal = (sig: NodeJS.Signals): void => {
    if (exited()) return;
    const st = readProcStat(pid);
    if (st === null || (startTicks !== null && st.startTicks !== startTicks)) return;
    try {
      process.kill(pid, sig);
    } catch {
      /* gone meanwhile */
    }
  };
  const stop = async (): Promise<void> => {
    signal('SIGTERM');
    if (!(await settlesWithin(exitPromise, 10_000))) {
      signal('SIGKILL');
      await settlesWithin(exitPromise, 5000);
    }
  };
  try {
    await waitFor(
      'Prometheus to answer /-/ready',
      async () => {
        if (exited()) throw new WaitAbort(`prometheus exited (${child.exitCode ?? child.signalCode})`);
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        return res.status === 200;
      },
      opts.readyTimeoutMs ?? 30_000,
      200,
    );
  } catch (e) {
    await stop();
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- prometheus log ---\n${logTail(40)}`, { cause: e });
  }
  return { url, port, pid, logPath, logTail, exited, stop };
}

// ---------------------------------------------------------------------------------------------------
// The HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/)

/** GET <url><path> and return `data` of a {"status":"success"} answer; throws otherwise. */
async function promApi<T>(url: string, path: string, timeoutMs = 5000): Promise<T> {
  const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  const body = (await res.json()) as { status?: string; data?: T; errorType?: string; error?: string };
  if (body.status !== 'success' || body.data === undefined) {
    throw new Error(`GET ${path}: HTTP ${res.status}, ${body.errorType ?? ''} ${body.error ?? JSON.stringify(body)}`);
  }
  return body.data;
}

export interface PromTarget {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

export async function activeTargets(url: string): Promise<PromTarget[]> {
  return (await promApi<{ activeTargets: PromTarget[] }>(url, '/api/v1/targets?state=active')).activeTargets;
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt?: string;
  value: string;
}

/** Pending and firing alerts (resolved ones are not listed). */
export async function activeAlerts(url: string): Promise<PromAlert[]> {
  return (await promApi<{ alerts: PromAlert[] }>(url, '/api/v1/alerts')).alerts;
}

export interface PromRule {
  name: string;
  type: 'alerting' | 'recording';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  lastEvaluation?: string;
  state?: 'pending' | 'firing' | 'inactive';
}

export async function loadedRules(url: string): Promise<PromRule[]> {
  const data = await promApi<{ groups: Array<{ name: string; file: string; rules: PromRule[] }> }>(url, '/api/v1/rules');
  return data.groups.flatMap((g) => g.rules);
}

export interface InstantSample {
  metric: Record<string, string>;
  value: [number, string];
}

/**
 * An instant query; the result as a list of samples (a scalar or string result becomes one sample
 * with no labels). Throws on a query error (bad PromQL, many-to-many matching, …).
 */
export async function instantQuery(url: string, expr: string): Promise<InstantSample[]> {
  const data = await promApi<{ resultType: string; result: unknown }>(url, `/api/v1/query?query=${encodeURIComponent(expr)}`);
  if (data.resultType === 'vector') return data.result as InstantSample[];
  if (data.resultType === 'scalar' || data.resultType === 'string') return [{ metric: {}, value: data.result as [number, string] }];
  throw new Error(`unexpected result type ${data.resultType} for ${expr}`);
}
