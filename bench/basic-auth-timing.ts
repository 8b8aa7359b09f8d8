/**
 * Does an unknown user name cost the same time as a known one with a wrong password? (It must: a
 * difference would let anyone list the configured users by timing 401s.) Prints medians; asserts
 * nothing, timing is not for tests.
 *
 *   npm run build && npm run build:test && node build/bench/basic-auth-timing.js [rounds]
 *
 * 1. In process: createBasicAuth alone, bcrypt cost 10 (htpasswd -nBC 10).
 * 2. Over HTTP: the built exporter with a web config holding one user, one keep-alive connection.
 * The kinds of attempt are interleaved round by round, so drift (CPU frequency, GC) hits all alike.
 */
import { request, Agent } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { createBasicAuth } from '../src/http/web-config-auth.js';
import { startExporter, tempDir } from '../test/http/web-config-harness.js';
import { summarize } from './stats.js';

const ROUNDS = Number(process.argv[2] ?? 31);
const PASSWORD = 'correct horse battery staple';
const KINDS = {
  'right password (cached)': `prometheus:${PASSWORD}`,
  'wrong password': 'prometheus:Tr0ub4dor&3',
  'unknown user': `nobody:${PASSWORD}`,
} as const;
type Kind = keyof typeof KINDS;

const header = (creds: string) => `Basic ${Buffer.from(creds).toString('base64')}`;

function report(title: string, samples: Map<string, number[]>): void {
  console.log(`\n${title} (${ROUNDS} rounds, ms)`);
  console.log('attempt'.padEnd(34) + 'median'.padStart(9) + 'p90'.padStart(9) + 'min'.padStart(9) + 'max'.padStart(9));
  for (const [kind, values] of samples) {
    const s = summarize(values);
    console.log(kind.padEnd(34) + [s.median, s.p90, s.min, s.max].map((v) => v.toFixed(2).padStart(9)).join(''));
  }
}

async function inProcess(hash: string): Promise<void> {
  const users = new Map([['prometheus', hash]]);
  const cached = createBasicAuth();
  const uncached = createBasicAuth({ cacheTtlMs: 0 }); // every success compared again: bcrypt's own cost
  await cached.prepare(users);
  const samples = new Map<string, number[]>([['right password (bcrypt, not cached)', []], ...Object.keys(KINDS).map((k): [string, number[]] => [k, []])]);
  for (let i = 0; i < ROUNDS + 2; i++) {
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['right password (bcrypt, not cached)', () => uncached.check(users, header(KINDS['right password (cached)']))],
      ...Object.entries(KINDS).map(([k, creds]): [string, () => Promise<unknown>] => [k, () => cached.check(users, header(creds))]),
    ];
    for (const [kind, attempt] of attempts) {
      const t0 = process.hrtime.bigint();
      await attempt();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (i >= 2) samples.get(kind)?.push(ms); // two warm-up rounds
    }
  }
  report('in process: createBasicAuth, bcrypt cost 10', samples);
}

function timedGet(port: number, agent: Agent, authorization: string): Promise<{ ms: number; status: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent, headers: { authorization } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function overHttp(hash: string): Promise<void> {
  const tmp = tempDir('auth-bench-');
  const file = join(tmp.dir, 'web.yml');
  writeFileSync(file, `basic_auth_users:\n  prometheus: ${hash}\n`);
  const exporter = await startExporter(file);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const samples = new Map<string, number[]>(Object.keys(KINDS).map((k) => [k, []]));
    for (let i = 0; i < ROUNDS + 2; i++) {
      for (const [kind, creds] of Object.entries(KINDS) as Array<[Kind, string]>) {
        const { ms, status } = await timedGet(exporter.port, agent, header(creds));
        const expected = kind === 'right password (cached)' ? 200 : 401;
        if (status !== expected) throw new Error(`${kind}: status ${status}, expected ${expected}`);
        if (i >= 2) samples.get(kind)?.push(ms);
      }
    }
    report('over HTTP: GET /metrics on the built exporter, bcrypt cost 10', samples);
  } finally {
    agent.destroy();
    await exporter.stop();
    tmp.remove();
  }
}

const hash = bcrypt.hashSync(PASSWORD, 10);
await inProcess(hash);
await overHttp(hash);
