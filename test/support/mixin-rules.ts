/**
 * Rule files generated from the monitoring mixin (mixin/) with other settings, as an operator would
 * with `npm run mixin -- --out DIR --config '{...}'` (mixin/README.md): the same generator that makes
 * the committed prometheus/rules/docker-engine.rules.yml, only with another _config.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoPath } from '../support-static/repo.js';
import { run } from './run.js';

/** Why rules cannot be generated here (no jsonnet), or false. CI must have it. */
export function mixinUnavailable(): string | false {
  if (spawnSync('jsonnet', ['--version']).status === 0) return false;
  if (process.env.CI === 'true') throw new Error('CI=true but jsonnet is not installed');
  return 'jsonnet not installed (apt-get install -y jsonnet)';
}

/** Generates the rules with `config` merged into the mixin's _config under `outDir`; returns the rules file. */
export async function generateRules(outDir: string, config: Record<string, string | number>): Promise<string> {
  // JSON is Jsonnet: the object goes to --config as it is.
  await run(process.execPath, [repoPath('scripts', 'mixin.mjs'), '--out', outDir, '--config', JSON.stringify(config)], { timeoutMs: 60_000 });
  return join(outDir, 'prometheus', 'rules', 'docker-engine.rules.yml');
}
