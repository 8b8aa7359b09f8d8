/**
 * A password flood against a running exporter while an authorised client scrapes, for the auth test
 * and bench/auth-flood.ts. The flood runs in a worker thread of its own, so that its clients, which
 * never pause, do not delay the authorised client's event loop and its measured times.
 *
 * Flood clients send, each on its own keep-alive connection, one request after another: a random
 * wrong password for the real user, then an unknown random user name, in turn; every fourth client
 * repeats one wrong password instead (what a misconfigured scraper does).
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

export interface AuthFloodOptions {
  port: number;
  user: string;
  password: string;
  /** Flood clients (default 20). */
  clients?: number;
  durationMs?: number;
  /** The authorised client's pause between scrapes (default 250 ms). */
  scrapeEveryMs?: number;
  path?: string;
}

interface FloodCounts {
  requests: number;
  status401: number;
  status429: number;
  /** Any other status, by status. */
  other: Record<string, number>;
  /** Requests that got no answer (connection error, timeout), by message. */
  errors: Record<string, number>;
}

export interface AuthFloodResult {
  authorisedScrapes: number;
  /** Authorised scrapes that did not answer 200, and why. */
  authorisedFailures: string[];
  slowestMs: number;
  p50Ms: number;
  p99Ms: number;
  flood: FloodCounts;
}

interface Answer {
  status: number;
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function get(port: number, path: string, authorization: string, agent: Agent | false, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, timeout: timeoutMs, headers: { authorization } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Runs the flood and the authorised scrapes at once; resolves when both have ended. */
export async function runAuthFlood(opts: AuthFloodOptions): Promise<AuthFloodResult> {
  const durationMs = opts.durationMs ?? 15_000;
  const path = opts.path ?? '/metrics';
  const flood = new Worker(new URL(import.meta.url), { workerData: { ...opts, durationMs, path } });
  const floodDone = new Promise<FloodCounts>((resolve, reject) => {
    flood.once('message', (counts: FloodCounts) => resolve(counts));
    flood.once('error', reject);
    flood.once('exit', (code) => reject(new Error(`flood worker exited with code ${code}`)));
  });
  const times: number[] = [];
  const failures: string[] = [];
  const authorization = basic(opts.user, opts.password);
  const until = performance.now() + durationMs;
  try {
    while (performance.now() < until) {
      const started = performance.now();
      try {
        // A fresh connection each time, as Prometheus makes after an idle keep-alive is closed.
        const { status } = await get(opts.port, path, authorization, false, 10_000);
        if (status !== 200) failures.push(`status ${status}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
      times.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, opts.scrapeEveryMs ?? 250));
    }
    const counts = await floodDone;
    times.sort((a, b) => a - b);
    return {
      authorisedScrapes: times.length,
      authorisedFailures: failures,
      slowestMs: times.at(-1) ?? NaN,
      p50Ms: pct(times, 50),
      p99Ms: pct(times, 99),
      flood: counts,
    };
  } finally {
    await flood.terminate();
  }
}

async function floodClients(o: Required<AuthFloodOptions>): Promise<FloodCounts> {
  const counts: FloodCounts = { requests: 0, status401: 0, status429: 0, other: {}, errors: {} };
  const until = performance.now() + o.durationMs;
  const client = async (i: number): Promise<void> => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const repeated = basic(o.user, `wrong-${i}`);
    for (let n = 0; performance.now() < until; n++) {
      const random = randomBytes(9).toString('base64');
      const authorization = i % 4 === 0 ? repeated : n % 2 === 0 ? basic(o.user, random) : basic(`user-${random}`, o.password);
      counts.requests++;
      try {
        const { status } = await get(o.port, o.path, authorization, agent, 30_000);
        if (status === 401) counts.status401++;
        else if (status === 429) counts.status429++;
        else counts.other[status] = (counts.other[status] ?? 0) + 1;
      } catch (err) {
        const why = (err as Error).message;
        counts.errors[why] = (counts.errors[why] ?? 0) + 1;
      }
    }
    agent.destroy();
  };
  await Promise.all(Array.from({ length: o.clients }, (_, i) => client(i)));
  return counts;
}

if (!isMainThread && parentPort) {
  const o = workerData as AuthFloodOptions;
  const port = parentPort;
  void floodClients({ clients: 20, durationMs: 15_000, scrapeEveryMs: 250, path: '/metrics', ...o }).then((counts) => port.postMessage(counts));
}
