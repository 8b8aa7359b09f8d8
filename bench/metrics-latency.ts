/**
 * GET /metrics latency of the built exporter (dist/main.js), loopback only, a bounded number of
 * sequential requests over one keep-alive connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { summarize, type Summary } from './stats.js';

/** Pools runs of the same variant: all their requests, all their polls. */
export function poolLatency(runs: readonly LatencyResult[]): LatencyResult {
  const first = runs[0];
  if (first === undefined) throw new Error('poolLatency: no runs');
  const samplesMs = runs.flatMap((r) => r.samplesMs);
  const pollsDuring = runs.reduce((n, r) => n + r.pollsDuring, 0);
  const pollMs = runs.reduce((t, r) => t + (r.meanPollMs ?? 0) * r.pollsDuring, 0);
  return {
    variant: first.variant,
    latencyMs: summarize(samplesMs),
    samplesMs,
    pollsDuring,
    meanPollMs: pollsDuring > 0 ? pollMs / pollsDuring : null,
    scannedProcesses: runs[runs.length - 1]?.scannedProcesses ?? null,
    wallMs: runs.reduce((t, r) => t + r.wallMs, 0),
  };
}

const SETPRIV = '/usr/bin/setpriv';

export interface LatencyResult {
  /** The exporter's flags that vary between runs, as shown in the table. */
  variant: string;
  latencyMs: Summary;
  /** Every request's latency, ms, in order (to pool runs). */
  samplesMs: number[];
  /** Polls the exporter finished while the requests ran, and their mean duration (from its histogram). */
  pollsDuring: number;
  meanPollMs: number | null;
  scannedProcesses: number | null;
  wallMs: number;
}

/** A free loopback port (bound then released; the exporter binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

interface Response {
  status: number;
  body: string;
}

function get(url: string, agent: http.Agent, timeoutMs: number): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Value of an unlabelled sample in a Prometheus exposition, or null. */
function sample(body: string, name: string): number | null {
  const m = new RegExp(`^${name} ([^\\s]+)$`, 'm').exec(body);
  return m?.[1] === undefined ? null : Number(m[1]);
}

export class RunningExporter {
  private constructor(
    readonly pid: number,
    readonly url: string,
    private readonly child: ChildProcess,
  ) {}

  /** Starts `node dist/main.js` on a free loopback port and waits (bounded) for a first poll. */
  static async start(mainJs: string, flags: readonly string[], logFile: string): Promise<RunningExporter> {
    const port = await freePort();
    const log = openSync(logFile, 'a');
    const argv = [process.execPath, mainJs, `--web.listen-address=127.0.0.1:${port}`, ...flags];
    // util-linux's setpriv execs the exporter (same pid) with a parent-death signal, so even a bench
    // killed with SIGKILL leaves no exporter behind.
    const [file = process.execPath, ...args] = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'TERM', '--', ...argv] : argv;
    const child = spawn(file, args, { stdio: ['ignore', log, log] });
    closeSync(log);
    if (child.pid === undefined) throw new Error('exporter did not start');
    const exporter = new RunningExporter(child.pid, `http://127.0.0.1:${port}/metrics`, child);
    const agent = new http.Agent({ keepAlive: false });
    try {
      for (let i = 0; i < 200; i++) {
        if (child.exitCode !== null) throw new Error(`exporter exited with ${child.exitCode}; see ${logFile}`);
        try {
          const res = await get(exporter.url, agent, 2_000);
          const polls = sample(res.body, 'docker_engine_exporter_poll_duration_seconds_count');
          if (res.status === 200 && polls !== null && polls >= 1) return exporter;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`exporter did not answer with a finished poll within 20 s; see ${logFile}`);
    } catch (err) {
      await exporter.stop();
      throw err;
    } finally {
      agent.destroy();
    }
  }

  /** `requests` sequential GETs on one keep-alive connection. */
  async measure(requests: number, variant: string): Promise<LatencyResult> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // A few unmeasured requests: connection set-up, JIT of the route.
      let before = await get(this.url, agent, 5_000);
      for (let i = 0; i < 20; i++) before = await get(this.url, agent, 5_000);
      const samples: number[] = [];
      const t0 = performance.now();
      let last = before;
      for (let i = 0; i < requests; i++) {
        const s = performance.now();
        last = await get(this.url, agent, 5_000);
        samples.push(performance.now() - s);
        if (last.status !== 200) throw new Error(`GET /metrics answered ${last.status}`);
      }
      const wallMs = performance.now() - t0;
      const countName = 'docker_engine_exporter_poll_duration_seconds_count';
      const sumName = 'docker_engine_exporter_poll_duration_seconds_sum';
      const polls = (sample(last.body, countName) ?? 0) - (sample(before.body, countName) ?? 0);
      const sumS = (sample(last.body, sumName) ?? 0) - (sample(before.body, sumName) ?? 0);
      return {
        variant,
        latencyMs: summarize(samples),
        samplesMs: samples,
        pollsDuring: polls,
        meanPollMs: polls > 0 ? (sumS / polls) * 1000 : null,
        scannedProcesses: sample(last.body, 'docker_engine_exporter_scanned_processes'),
        wallMs,
      };
    } finally {
      agent.destroy();
    }
  }

  /** SIGTERM by pid, SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  killNow(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
