/**
 * deploy/kubernetes/npd-docker-engine-monitor.json against node-problem-detector's own config types,
 * field by field, as NPD decodes and validates it (kubernetes/node-problem-detector, read for this test):
 * - pkg/custompluginmonitor/types/config.go: CustomPluginConfig {plugin, pluginConfig, source,
 *   conditions, rules, metricsReporting}; pluginGlobalConfig {invoke_interval, timeout,
 *   max_output_length, concurrency, enable_message_change_based_condition_update,
 *   skip_initial_status}; ApplyConfiguration() parses the durations with Go's time.ParseDuration
 *   (default timeout 5s, max_output_length 80); Validate(): plugin "custom", no rule timeout above the
 *   global one, every rule path present, every permanent rule's condition among the conditions.
 * - pkg/custompluginmonitor/types/types.go: CustomRule {type, condition, reason, path, args, timeout,
 *   invoke_interval}; a plugin's status is OK 0, NonOK 1, Unknown 2.
 * - pkg/types/types.go: Condition {type, status, transition, reason, message, taintEnabled, taintKey,
 *   taintValue, taintEffect}; Type "temporary" or "permanent".
 * Go's encoding/json ignores unknown keys, so a misspelt key would be silently dropped: here it fails.
 * Decoding by Go itself would need golang-go, which this machine's package lists do not offer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseFlags } from '../../src/config/flags.js';
import { NPD_MAX_OUTPUT_BYTES } from '../../src/cli/check-output.js';
import { repoPath } from '../support-static/repo.js';

const PATH = repoPath('deploy', 'kubernetes', 'npd-docker-engine-monitor.json');

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type Kind = 'string' | 'int' | 'bool' | 'duration' | 'strings' | 'time';

const CONFIG_FIELDS: Record<string, Kind | 'object' | 'array'> = {
  plugin: 'string',
  pluginConfig: 'object',
  source: 'string',
  conditions: 'array',
  rules: 'array',
  metricsReporting: 'bool',
};
const GLOBAL_FIELDS: Record<string, Kind> = {
  invoke_interval: 'duration',
  timeout: 'duration',
  max_output_length: 'int',
  concurrency: 'int',
  enable_message_change_based_condition_update: 'bool',
  skip_initial_status: 'bool',
};
const CONDITION_FIELDS: Record<string, Kind> = {
  type: 'string',
  status: 'string',
  transition: 'time',
  reason: 'string',
  message: 'string',
  taintEnabled: 'bool',
  taintKey: 'string',
  taintValue: 'string',
  taintEffect: 'string',
};
const RULE_FIELDS: Record<string, Kind> = {
  type: 'string',
  condition: 'string',
  reason: 'string',
  path: 'string',
  args: 'strings',
  timeout: 'duration',
  invoke_interval: 'duration',
};

/** Go's time.ParseDuration, in seconds: "0", or one or more <decimal><unit> (ns, us, µs, ms, s, m, h), signed. */
function goDurationSeconds(text: string): number {
  const unit: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, μs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  if (text === '0') return 0;
  const m = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(text);
  assert.ok(m, `"${text}" is not a Go duration`);
  let total = 0;
  for (const part of (m[2] ?? '').matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(part[1]) * (unit[part[2] ?? ''] ?? NaN);
  return m[1] === '-' ? -total : total;
}

function checkObject(what: string, value: Json | undefined, fields: Record<string, Kind | 'object' | 'array'>): Record<string, Json> {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${what} is an object`);
  for (const [key, v] of Object.entries(value)) {
    const kind = fields[key];
    assert.ok(kind !== undefined, `${what}.${key} is no field of NPD's type (Go would drop it silently)`);
    const at = `${what}.${key}`;
    switch (kind) {
      case 'string':
        assert.equal(typeof v, 'string', at);
        break;
      case 'bool':
        assert.equal(typeof v, 'boolean', at);
        break;
      case 'int':
        assert.ok(Number.isSafeInteger(v), at);
        break;
      case 'duration':
        assert.equal(typeof v, 'string', at);
        goDurationSeconds(v as string);
        break;
      case 'strings':
        assert.ok(Array.isArray(v) && v.every((s) => typeof s === 'string'), at);
        break;
      case 'time':
        assert.ok(typeof v === 'string' && !Number.isNaN(Date.parse(v)), at);
        break;
      case 'object':
        assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), at);
        break;
      case 'array':
        assert.ok(Array.isArray(v), at);
        break;
    }
  }
  return value;
}

describe('node-problem-detector custom-plugin monitor config', () => {
  const config = checkObject('config', JSON.parse(readFileSync(PATH, 'utf8')) as Json, CONFIG_FIELDS);
  const global = checkObject('pluginConfig', config['pluginConfig'], GLOBAL_FIELDS);
  const conditions = (config['conditions'] as Json[]).map((c, k) => checkObject(`conditions[${k}]`, c, CONDITION_FIELDS));
  const rules = (config['rules'] as Json[]).map((r, k) => checkObject(`rules[${k}]`, r, RULE_FIELDS));

  it('passes Validate(): plugin "custom", rule timeouts within the global one, permanent conditions declared', () => {
    assert.equal(config['plugin'], 'custom');
    assert.ok(typeof config['source'] === 'string' && config['source'] !== '');
    const globalTimeout = goDurationSeconds((global['timeout'] as string | undefined) ?? '5s');
    for (const rule of rules) {
      if (rule['timeout'] !== undefined) assert.ok(goDurationSeconds(rule['timeout'] as string) <= globalTimeout, JSON.stringify(rule));
      assert.ok(['temporary', 'permanent'].includes(rule['type'] as string), `rule type ${JSON.stringify(rule['type'])}`);
      if (rule['type'] === 'permanent') {
        assert.ok(
          conditions.some((c) => c['type'] === rule['condition']),
          `permanent ${JSON.stringify(rule['condition'])} has no default condition`,
        );
      }
      // Validate() stats the path inside NPD's container: the exporter image's node (Dockerfile).
      assert.equal(rule['path'], '/usr/local/bin/node');
    }
  });

  it('sets ContainerRuntimeUnhealthy from --output=npd and ContainerRuntimeDegraded from npd-warning', () => {
    const byCondition = new Map(rules.map((r) => [r['condition'], r['args'] as string[]]));
    assert.deepEqual([...byCondition.keys()].sort(), ['ContainerRuntimeDegraded', 'ContainerRuntimeUnhealthy']);
    assert.ok(byCondition.get('ContainerRuntimeUnhealthy')?.includes('--output=npd'));
    assert.ok(byCondition.get('ContainerRuntimeDegraded')?.includes('--output=npd-warning'));
    // Healthy default states: a condition is True only while its plugin says NonOK.
    for (const c of conditions) assert.equal(c['status'], undefined);
  });

  it("runs `check` with flags the exporter's own parser accepts", () => {
    for (const rule of rules) {
      const args = rule['args'] as string[];
      assert.equal(args[0], '/app/dist/main.js');
      // --path.procfs must exist where the parser runs: the host's /proc stands for the pod's /host/proc.
      const mapped = args.slice(1).map((a) => (a === '--path.procfs=/host/proc' ? '--path.procfs=/proc' : a));
      const parsed = parseFlags(mapped, {});
      assert.equal(parsed.kind, 'check');
    }
  });

  it('leaves check the time it needs and keeps all of its message', () => {
    // check ends within 5 s with the default --probe.timeout (src/cli/check.ts).
    for (const rule of rules) assert.ok(goDurationSeconds((rule['timeout'] as string | undefined) ?? '5s') >= 5);
    assert.ok(((global['max_output_length'] as number | undefined) ?? 80) >= NPD_MAX_OUTPUT_BYTES);
    // Many plugins at once would start several node processes: each rule runs by itself at most.
    assert.ok(goDurationSeconds(global['invoke_interval'] as string) >= 10);
  });

  it('Go durations are parsed as Go parses them', () => {
    assert.equal(goDurationSeconds('1m30s'), 90);
    assert.equal(goDurationSeconds('1.5h'), 5400);
    assert.equal(goDurationSeconds('0'), 0);
    for (const bad of ['30', '1d', '', 's', '1 s']) assert.throws(() => goDurationSeconds(bad), bad);
  });
});
