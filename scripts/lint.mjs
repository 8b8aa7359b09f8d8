#!/usr/bin/env node
// `npm run lint`: ESLint (typescript-eslint's type-checked rules and the pipeline's import rule,
// eslint.config.js), Prettier's check and knip. Each runs even when one before it fails, so one run
// shows every report; the exit status is non-zero if any failed.
import { spawnSync } from 'node:child_process';

const steps = [
  ['eslint', ['eslint', '.']],
  ['prettier', ['prettier', '--check', '.']],
  ['knip', ['knip']],
];
const failed = [];
for (const [name, argv] of steps) {
  console.log(`lint: ${name}`);
  const r = spawnSync('npx', ['--no-install', ...argv], { stdio: 'inherit' });
  if (r.status !== 0) failed.push(name);
}
if (failed.length > 0) {
  console.error(`lint: failed: ${failed.join(', ')}`);
  process.exit(1);
}
