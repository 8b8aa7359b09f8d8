#!/usr/bin/env node
// Runs every compiled *.test.js under build/test with Node's test runner, in three phases:
// 1. the fast suites, as many files at once as there are cores;
// 2. two lanes side by side, each one file at a time: the heavy suites outside test/engine (they start
//    the built exporter for seconds to minutes or judge timing: Slowloris timeouts, connection floods,
//    TLS starts, config reloads, bcrypt floods, the blocked scan's 5 s deadlines, 41
//    web-config starts, the golden runs), and the real-engine suites that must be the only engine on
//    the host (they start no other engine, so the lanes do not meet);
// 3. the other real-engine suites (test/engine/), ENGINE_SUITES_AT_ONCE files at a time (default 2).
//    Each rig has its own temporary directory, bridge and subnet, so two engines do not meet; they
//    spend most of their time waiting on daemons and containers, so two at once nearly halve the wall
//    time on two cores.
// A lane's output is printed whole when it ends, so two lanes do not interleave their TAP.
// (Node 20's `node --test <dir>` would also run every helper module under a directory named test.)
// --fast (`npm run test:unit`) runs only the first phase, so it stays under a minute. Other arguments
// go to node --test.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const fastOnly = process.argv.includes('--fast');
const nodeArgs = process.argv.slice(2).filter((a) => a !== '--fast');
const all = find('build/test');
const engine = all.filter((f) => f.startsWith(join('build/test/engine')));
const slow = [
  'http/abuse.test.js',
  'http/web-config-server.test.js',
  'http/web-config.test.js',
  'http/web-config-upstream.test.js',
  'http/basic-auth.test.js',
  'http/auth-flood.test.js',
  'http/golden-metrics.test.js',
  'http/prometheus-openmetrics.test.js',
  'sources/blocked-scan.test.js',
].map((f) => join('build/test', f));
const fast = all.filter((f) => !engine.includes(f) && !slow.includes(f));
const heavy = slow.filter((f) => all.includes(f));
// Real-engine suites that watch an engine without its pidfile (so they find dockerd as the only root
// dockerd on the host), or plant decoys beside it, must be the only engine on the host.
const alone = ['engine/hostile-decoys.test.js', 'engine/fault-sequence.test.js'].map((f) => join('build/test', f));
const shared = engine.filter((f) => !alone.includes(f));
if (all.length === 0) {
  console.error('run-tests: no compiled tests under build/test (run npm run build:test first)');
  process.exit(1);
}
const engineAtOnce = Number(process.env.ENGINE_SUITES_AT_ONCE ?? 2);
const lane = (files, concurrency) => ({ files, concurrency });
const phases = fastOnly
  ? [[lane(fast, availableParallelism())]]
  : [
      [lane(fast, availableParallelism())],
      [
        lane(heavy, 1),
        lane(
          engine.filter((f) => alone.includes(f)),
          1,
        ),
      ],
      [lane(shared, Number.isInteger(engineAtOnce) && engineAtOnce > 0 ? engineAtOnce : 2)],
    ];

/** Runs one lane; resolves to whether it passed. Alone in its phase it prints as it goes. */
function run({ files, concurrency }, live) {
  if (files.length === 0) return Promise.resolve(true);
  const args = ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=900000', ...nodeArgs, ...files];
  const child = spawn(process.execPath, args, { stdio: live ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
  const out = [];
  child.stdout?.on('data', (b) => out.push(b));
  child.stderr?.on('data', (b) => out.push(b));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      if (!live) process.stdout.write(Buffer.concat(out));
      resolve(code === 0);
    });
  });
}

let failed = false;
for (const lanes of phases) {
  const results = await Promise.all(lanes.map((l) => run(l, lanes.length === 1)));
  if (results.includes(false)) failed = true;
}
process.exit(failed ? 1 : 0);
