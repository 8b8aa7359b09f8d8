#!/usr/bin/env node
// Runs every compiled *.test.js under build/test with Node's test runner, in three phases:
// - the fast suites, as many files at once as there are cores;
// - the heavy suites outside test/engine (they start the built exporter for seconds to minutes or judge
//   timing: Slowloris timeouts, connection floods, TLS starts, config reloads, bcrypt floods and timing,
//   the blocked scan's 5 s deadlines, 41 web-config starts, the golden runs), one file at a time;
// - the real-engine suites (test/engine/), ENGINE_SUITES_AT_ONCE files at a time (default 2), then those
//   that must be the only engine on the host, one at a time. Each rig
//   has its own temporary directory, bridge and subnet, so two engines do not meet; they spend most of
//   their time waiting on daemons and containers, so two at once nearly halve the wall time on two cores.
// (Node 20's `node --test <dir>` would also run every helper module under a directory named test.)
// --fast (`npm run test:unit`) runs only the first phase, so it stays under a minute. Other arguments
// go to node --test.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
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
// dockerd on the host), or plant decoys beside it, must be the only engine on the host: they run last,
// one at a time.
const alone = ['engine/hostile-decoys.test.js', 'engine/fault-sequence.test.js'].map((f) => join('build/test', f));
const shared = engine.filter((f) => !alone.includes(f));
if (all.length === 0) {
  console.error('run-tests: no compiled tests under build/test (run npm run build:test first)');
  process.exit(1);
}
const engineAtOnce = Number(process.env.ENGINE_SUITES_AT_ONCE ?? 2);
const phases = fastOnly
  ? [{ files: fast, concurrency: availableParallelism() }]
  : [
      { files: fast, concurrency: availableParallelism() },
      { files: heavy, concurrency: 1 },
      { files: shared, concurrency: Number.isInteger(engineAtOnce) && engineAtOnce > 0 ? engineAtOnce : 2 },
      { files: engine.filter((f) => alone.includes(f)), concurrency: 1 },
    ];
let failed = false;
for (const { files, concurrency } of phases) {
  if (files.length === 0) continue;
  const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=900000', ...nodeArgs, ...files], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
