#!/usr/bin/env node
// Runs every compiled *.test.js under build/test with Node's test runner, one file at a time: the
// fast suites first, then the real-engine suites (test/engine/), which start daemons of their own.
// (Node 20's `node --test <dir>` would also run every helper module under a directory named test.)
// --fast (`npm run test:unit`) runs the suites outside test/engine except those that start the built
// exporter for seconds to minutes or judge timing (Slowloris timeouts, connection floods, TLS starts, config reloads,
// bcrypt floods and timing, the blocked scan's 5 s deadlines, 41 web-config starts, the golden runs),
// as many files at once as there are cores, so it stays under a minute. `npm test` runs every file,
// one at a time. Other arguments go to node --test.
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
const files = fastOnly ? fast : [...fast, ...slow.filter((f) => all.includes(f)), ...engine];
if (files.length === 0) {
  console.error('run-tests: no compiled tests under build/test (run npm run build:test first)');
  process.exit(1);
}
const concurrency = fastOnly ? availableParallelism() : 1;
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=900000', ...nodeArgs, ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
