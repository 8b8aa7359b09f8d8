/**
 * Property tests of flag parsing (src/config/flags.ts): any argv and environment give a parsed
 * command or a FlagError naming a flag, never another exception; valid values given as
 * `--name=value`, `--name value` or an environment variable come back in the config, argv winning.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as fc from 'fast-check';
import { FLAGS, FlagError, envName, parseDuration, parseFlags, parseListenAddress } from '../../src/config/flags.js';
import { anyString, assertOneLineError, onlyThrows, params } from '../support/property.js';

const flagNames = FLAGS.map((f) => f.name);

/** A value that is often nearly valid for some flag. */
const flagValue = fc.oneof(
  anyString(40),
  fc.constantFrom('', ':9733', '[::1]:9733', '127.0.0.1:0', '/metrics', '/healthz', '/proc', 'unix:///run/docker.sock', 'tcp://x:2375'),
  fc.constantFrom('1s', '100ms', '99ms', '1h', '1h1ms', '0s', '5m', '1d', '1.5s', '-1s', '9999999999999999999h'),
  fc.constantFrom('moby', 'moby,k8s.io', ' moby , moby ', ',', 'a'.repeat(77), 'procfs', 'ps-list', 'debug', 'json', 'logfmt', 'text'),
);

const argvItem = fc.oneof(
  anyString(30),
  fc.tuple(fc.constantFrom(...flagNames), flagValue).map(([n, v]) => `--${n}=${v}`),
  fc.constantFrom(...flagNames).map((n) => `--${n}`),
  flagValue,
  fc.constantFrom('--help', '-h', '--version', 'check', '--', '-', '--=x', '--unknown=1'),
);

const argv = fc.array(argvItem, { maxLength: 8 });
const env = fc
  .array(fc.tuple(fc.constantFrom(...flagNames.map(envName), 'DOCKER_HOST', 'PATH'), flagValue), { maxLength: 6 })
  .map((pairs) => Object.fromEntries(pairs) as NodeJS.ProcessEnv);

describe('parseFlags', () => {
  it('any argv and environment give a command or a FlagError', () => {
    fc.assert(
      fc.property(argv, env, (a, e) => {
        const r = onlyThrows(FlagError, () => parseFlags(a, e));
        if (r) assert.ok(['help', 'version', 'run', 'check'].includes(r.kind));
      }),
      params(3000),
    );
  });

  it('a FlagError names a known flag (or the argument) and is one line', () => {
    // main prints it as "one clear line naming the flag" before exit 2 (docs/architecture.md, "Flags"); the value
    // is quoted into it, and a value read from an environment file may end with a newline.
    fc.assert(
      fc.property(argv, env, (a, e) => {
        try {
          parseFlags(a, e);
        } catch (err) {
          if (!(err instanceof FlagError)) throw err;
          assert.ok(err.message.startsWith(`--${err.flag}`));
        }
        assertOneLineError(FlagError, () => parseFlags(a, e));
      }),
      params(3000),
    );
  });

  it('valid values round-trip through argv or the environment, argv winning', () => {
    const unit = fc.constantFrom(['ms', 1], ['s', 1000], ['m', 60_000], ['h', 3_600_000]) as fc.Arbitrary<[string, number]>;
    const duration = fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), unit), { minLength: 1, maxLength: 4 }).map((parts) => ({
      text: parts.map(([n, [u]]) => `${n}${u}`).join(''),
      ms: parts.reduce((sum, [n, [, f]]) => sum + n * f, 0),
    }));
    const namespace = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);
    const valid = fc.record({
      'web.listen-address': fc
        .tuple(
          fc.constantFrom(['', '0.0.0.0'], ['127.0.0.1', '127.0.0.1'], ['localhost', 'localhost'], ['[::1]', '::1'], ['[::]', '::']),
          fc.integer({ min: 0, max: 65535 }),
        )
        .map(([[text, host], port]) => ({ text: `${text}:${port}`, value: { host, port } })),
      'web.telemetry-path': fc
        .stringMatching(/^\/[A-Za-z0-9._~\-/]{0,20}$/)
        .filter((p) => p !== '/healthz')
        .map((p) => ({ text: p, value: p })),
      'docker.host': fc.oneof(
        fc.constant({ text: '', value: null }),
        fc.stringMatching(/^\/[a-z0-9/._-]{1,30}$/).map((p) => ({ text: `unix://${p}`, value: p })),
      ),
      'containerd.address': fc.oneof(
        fc.constant({ text: '', value: null }),
        fc
          .tuple(fc.boolean(), fc.stringMatching(/^\/[a-z0-9/._-]{1,30}$/))
          .map(([prefix, p]) => ({ text: prefix ? `unix://${p}` : p, value: p })),
      ),
      'containerd.namespaces': fc
        .array(namespace, { minLength: 1, maxLength: 4 })
        .map((ns) => ({ text: ns.join(' , '), value: [...new Set(ns)] })),
      'poll.interval': duration.map((d) => ({ text: d.text, value: d.ms >= 100 && d.ms <= 3_600_000 ? d.ms : FlagError })),
      'log.level': fc.constantFrom('debug', 'info', 'warn', 'error').map((v) => ({ text: v, value: v })),
      'process.source': fc.constantFrom('procfs', 'ps-list').map((v) => ({ text: v, value: v })),
    });
    const field: Record<string, string> = {
      'web.listen-address': 'listenAddress',
      'web.telemetry-path': 'telemetryPath',
      'docker.host': 'dockerSocket',
      'containerd.address': 'containerdAddress',
      'containerd.namespaces': 'containerdNamespaces',
      'poll.interval': 'pollIntervalMs',
      'log.level': 'logLevel',
      'process.source': 'processSource',
    };
    const how = fc.constantFrom('eq', 'space', 'env', 'both');
    fc.assert(
      fc.property(valid, fc.array(how, { minLength: 8, maxLength: 8 }), (values, hows) => {
        const a: string[] = [];
        const e: NodeJS.ProcessEnv = {};
        const entries = Object.entries(values);
        entries.forEach(([name, v], i) => {
          const h = hows[i];
          if (h === 'eq') a.push(`--${name}=${v.text}`);
          else if (h === 'space') a.push(`--${name}`, v.text);
          else if (h === 'env') e[envName(name)] = v.text;
          else {
            a.push(`--${name}=${v.text}`);
            e[envName(name)] = 'not a valid value for anything';
          }
        });
        const bad = entries.some(([, v]) => v.value === FlagError);
        if (bad) {
          assert.throws(() => parseFlags(a, e), FlagError);
          return;
        }
        const r = parseFlags(a, e);
        assert.equal(r.kind, 'run');
        if (r.kind !== 'run') return;
        for (const [name, v] of entries) {
          assert.deepEqual((r.config as unknown as Record<string, unknown>)[field[name] as string], v.value, `--${name}=${v.text}`);
        }
      }),
      params(1000),
    );
  });

  it('parseDuration: any string is null or a finite non-negative number of ms', () => {
    fc.assert(
      fc.property(fc.oneof(anyString(20), fc.stringMatching(/^([0-9]{1,30}(ms|s|m|h)){1,4}$/)), (s) => {
        const ms = parseDuration(s);
        assert.ok(ms === null || (Number.isFinite(ms) && ms >= 0), `${JSON.stringify(s)} -> ${ms}`);
      }),
      params(2000),
    );
  });

  it('parseListenAddress: any string is a host and a port 0-65535, or a FlagError', () => {
    fc.assert(
      fc.property(fc.oneof(anyString(30), fc.stringMatching(/^(\[[0-9a-f:.]{0,10}\]|[a-z0-9.:]{0,10}):[0-9]{0,6}$/)), (s) => {
        const r = onlyThrows(FlagError, () => parseListenAddress(s));
        if (r) assert.ok(Number.isInteger(r.port) && r.port >= 0 && r.port <= 65535 && typeof r.host === 'string');
      }),
      params(2000),
    );
  });
});
