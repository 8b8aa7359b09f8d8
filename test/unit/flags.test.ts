import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FlagError, envName, helpText, parseDuration, parseFlags, type Config } from '../../src/config/flags.js';

function run(argv: string[], env: NodeJS.ProcessEnv = {}): Config {
  const parsed = parseFlags(argv, env);
  assert.equal(parsed.kind, 'run');
  return (parsed as { config: Config }).config;
}

test('defaults follow the Prometheus exporter conventions', () => {
  const c = run([]);
  assert.deepEqual(c.listenAddress, { host: '0.0.0.0', port: 9733 });
  assert.equal(c.telemetryPath, '/metrics');
  assert.equal(c.procfsPath, '/proc');
  assert.equal(c.dockerSocket, '/var/run/docker.sock');
  assert.equal(c.dockerPidfile, '/var/run/docker.pid');
  assert.equal(c.containerdAddress, null);
  assert.equal(c.pollIntervalMs, 1000);
  assert.equal(c.processSource, 'procfs');
  assert.equal(c.logFormat, 'logfmt');
});

test('flags in both forms, environment variables, and flags over environment', () => {
  const c = run(['--poll.interval', '250ms', '--web.listen-address=[::1]:9999', '--docker.host='], {
    DOCKER_ENGINE_EXPORTER_POLL_INTERVAL: '5s',
    DOCKER_ENGINE_EXPORTER_LOG_LEVEL: 'debug',
  });
  assert.equal(c.pollIntervalMs, 250);
  assert.deepEqual(c.listenAddress, { host: '::1', port: 9999 });
  assert.equal(c.dockerSocket, null, '--docker.host="" means a containerd-only node');
  assert.equal(c.logLevel, 'debug');
  assert.equal(run([], { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }).dockerSocket, '/run/user/1000/docker.sock');
  assert.equal(envName('web.listen-address'), 'DOCKER_ENGINE_EXPORTER_WEB_LISTEN_ADDRESS');
});

test('every bad value is a FlagError naming its flag', () => {
  const cases: [string[], RegExp][] = [
    [['--poll.interval=fast'], /^--poll.interval: "fast" is not a duration/],
    [['--poll.interval=10ms'], /^--poll.interval: 10ms is out of range/],
    [['--web.listen-address=9733'], /^--web.listen-address:/],
    [['--web.listen-address=:70000'], /^--web.listen-address:/],
    [['--web.telemetry-path=metrics'], /^--web.telemetry-path:/],
    [['--path.procfs=/definitely/not/here'], /^--path.procfs: "\/definitely\/not\/here" is not a directory/],
    [['--docker.host=tcp://1.2.3.4:2375'], /^--docker.host: .*not a unix:\/\/ socket/],
    [['--docker.host=unix://relative.sock'], /^--docker.host:/],
    [['--docker.pidfile=docker.pid'], /^--docker.pidfile:/],
    [['--containerd.address=containerd.sock'], /^--containerd.address:/],
    [['--process.source=ps'], /^--process.source: "ps" is not one of procfs, ps-list/],
    [['--log.level=trace'], /^--log.level:/],
    [['--log.format=xml'], /^--log.format:/],
    [['--no.such-flag=1'], /^--no.such-flag: unknown flag/],
    [['--poll.interval'], /^--poll.interval: needs a value/],
    [['stray'], /unexpected argument/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parseFlags(argv, {}),
      (err: unknown) => err instanceof FlagError && message.test(err.message),
      argv.join(' '),
    );
  }
  assert.throws(() => parseFlags([], { DOCKER_ENGINE_EXPORTER_LOG_FORMAT: 'xml' }), /--log.format:/);
});

test('durations', () => {
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1.5s'), null);
  assert.equal(parseDuration(''), null);
});

test('--help lists every flag with its default and variable', () => {
  const text = helpText({});
  for (const flag of [
    'web.listen-address',
    'web.telemetry-path',
    'path.procfs',
    'docker.host',
    'docker.pidfile',
    'containerd.address',
    'poll.interval',
    'process.source',
    'log.level',
    'log.format',
  ]) {
    assert.match(text, new RegExp(`--${flag.replace('.', '\\.')}=`));
    assert.match(text, new RegExp(envName(flag)));
  }
});

test('the built binary: a bad flag is one line on stderr and exit 2, before anything starts', () => {
  const main = new URL('../../../dist/main.js', import.meta.url).pathname;
  const bad = spawnSync(process.execPath, [main, '--poll.interval=soon', '--web.listen-address=127.0.0.1:1'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(bad.status, 2);
  assert.equal(bad.stdout, '');
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /^docker-engine-exporter: error: --poll\.interval: "soon" is not a duration/);
  const help = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--web\.listen-address=":9733"/);
});

test("the built binary's shebang (the bin `npm install -g` puts on the PATH) runs it with the deployed node flags", () => {
  const main = new URL('../../../dist/main.js', import.meta.url).pathname;
  const shebang = readFileSync(main, 'utf8').split('\n')[0] ?? '';
  // The same flag as the Dockerfile's ENTRYPOINT: a small young generation (docs/benchmarks.md, memory).
  assert.equal(shebang, '#!/usr/bin/env -S node --max-semi-space-size=2');
  const [interpreter = '', ...args] = shebang.slice(2).split(' ');
  // As the kernel would run it, but with this test's node first on the PATH.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` };
  const r = spawnSync(interpreter, [...args, main, '--version'], { encoding: 'utf8', timeout: 10_000, env });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^docker-engine-exporter \S+/);
});

test('the connection cap follows the fd limit', async () => {
  const { connectionLimit, parseOpenFilesLimit } = await import('../../src/http/connection-limit.js');
  const limits = (soft: string) =>
    `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}              1048576              files\n`;
  assert.equal(parseOpenFilesLimit(limits('256')), 256);
  assert.equal(connectionLimit(limits('256')), 128);
  assert.equal(connectionLimit(limits('1048576')), 1024);
  assert.equal(connectionLimit(limits('unlimited')), 1024);
  assert.equal(connectionLimit('garbage'), 1024);
});
