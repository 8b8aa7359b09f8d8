/**
 * deploy/systemd: the unit passes `systemd-analyze verify` (every setting known and well-formed),
 * `systemd-analyze security` rates it well, it keeps the hardening the exporter can live with (and
 * none it cannot: every process must stay visible), and its command line and environment file are
 * accepted by the exporter's own flag parser.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { envName, FLAGS, parseFlags } from '../../src/config/flags.js';
import { checkExporterArgs, flagValue, parseUnitFile, systemdAnalyzeOrSkip, unitValue } from '../support-static/deploy.js';
import { repoPath } from '../support-static/repo.js';

const UNIT_NAME = 'docker-engine-exporter.service';
const UNIT_PATH = repoPath('deploy', 'systemd', UNIT_NAME);
const ENV_PATH = repoPath('deploy', 'systemd', 'docker-engine-exporter.env');
const unitText = readFileSync(UNIT_PATH, 'utf8');
const unit = parseUnitFile(unitText);
const service = (key: string): string | undefined => unitValue(unit, 'Service', key);
const serviceAll = (key: string): string[] => unit.get('Service')?.get(key) ?? [];

/** ExecStart split into words (systemd's own quoting is not used by the unit). */
function execStart(): string[] {
  const v = service('ExecStart');
  assert.ok(v !== undefined, 'ExecStart=');
  return v.split(/\s+/).filter((w) => w !== '');
}

/**
 * A copy of the unit in a fresh directory whose ExecStart names an executable that exists here
 * (verify checks that), so that the check does not depend on an installed exporter.
 */
function unitCopy(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dee-systemd-'));
  const stub = join(dir, 'docker-engine-exporter');
  writeFileSync(stub, '#!/bin/sh\nexit 0\n');
  chmodSync(stub, 0o755);
  const path = join(dir, UNIT_NAME);
  writeFileSync(path, unitText.replace(/^ExecStart=\S+/m, `ExecStart=${stub}`));
  return { dir, path };
}

/** KEY=VALUE lines of the environment file, also the commented-out examples (`#KEY=VALUE`). */
function environmentExamples(): Array<{ key: string; value: string; commented: boolean }> {
  const out: Array<{ key: string; value: string; commented: boolean }> = [];
  for (const raw of readFileSync(ENV_PATH, 'utf8').split('\n')) {
    const m = /^(#?)([A-Z][A-Z0-9_]*)=(.*)$/.exec(raw.trim());
    if (!m) continue;
    let value = m[3] as string;
    if (/^".*"$/.test(value) || /^'.*'$/.test(value)) value = value.slice(1, -1);
    out.push({ key: m[2] as string, value, commented: m[1] === '#' });
  }
  return out;
}

describe('systemd unit', () => {
  it('passes systemd-analyze verify without a warning', (t) => {
    const analyze = systemdAnalyzeOrSkip(t);
    if (analyze === null) return;
    const { dir, path } = unitCopy();
    try {
      const r = spawnSync(analyze, ['verify', '--man=no', path], { encoding: 'utf8', timeout: 60_000 });
      // verify exits 0 on unknown keys and unparsable values, and only says so on stderr.
      const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes(UNIT_NAME) || l.includes(dir));
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.deepEqual(ours, [], 'systemd-analyze verify complained about the unit');
      const other = `${r.stdout}${r.stderr}`.trim();
      if (other !== '') t.diagnostic(`systemd-analyze verify, not about the unit: ${other}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is rated at most 3.0 ("OK") by systemd-analyze security', (t) => {
    const analyze = systemdAnalyzeOrSkip(t);
    if (analyze === null) return;
    const { dir, path } = unitCopy();
    try {
      const r = spawnSync(analyze, ['security', '--offline=true', '--no-pager', path], { encoding: 'utf8', timeout: 60_000 });
      if (r.status !== 0 && /unrecognized option|--offline/i.test(r.stderr)) {
        t.skip(`this systemd-analyze cannot rate a unit file offline: ${r.stderr.trim()}`);
        return;
      }
      const m = /Overall exposure level for \S+: ([\d.]+)/.exec(`${r.stdout}${r.stderr}`);
      assert.ok(m, `no overall exposure level in:\n${r.stdout}${r.stderr}`);
      const exposure = Number(m[1]);
      t.diagnostic(`exposure ${exposure}`);
      assert.ok(exposure <= 3.0, `exposure ${exposure} > 3.0:\n${r.stdout}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is hardened: read-only system, no home, private /tmp, no new privileges, two capabilities, three address families', () => {
    assert.equal(service('ProtectSystem'), 'strict');
    assert.match(service('ProtectHome') ?? '', /^(yes|read-only|tmpfs)$/);
    assert.equal(service('PrivateTmp'), 'yes');
    assert.equal(service('NoNewPrivileges'), 'yes');
    assert.deepEqual((service('CapabilityBoundingSet') ?? '').split(/\s+/).sort(), ['CAP_DAC_READ_SEARCH', 'CAP_SYS_PTRACE']);
    assert.deepEqual((service('RestrictAddressFamilies') ?? '').split(/\s+/).sort(), ['AF_INET', 'AF_INET6', 'AF_UNIX']);
    assert.ok(serviceAll('ReadOnlyPaths').length > 0, 'ReadOnlyPaths=');
    for (const key of [
      'PrivateDevices',
      'ProtectKernelTunables',
      'ProtectKernelModules',
      'ProtectControlGroups',
      'RestrictSUIDSGID',
      'LockPersonality',
    ]) {
      assert.equal(service(key), 'yes', `${key}=yes`);
    }
    assert.ok(serviceAll('SystemCallFilter').includes('@system-service'));
  });

  it('keeps every process visible: the exporter reads the whole process table', () => {
    // invisible/noaccess/ptraceable would hide the engine's processes, ProcSubset=pid /proc/stat.
    assert.ok(['default', undefined].includes(service('ProtectProc')), `ProtectProc=${service('ProtectProc')}`);
    assert.ok(['all', undefined].includes(service('ProcSubset')), `ProcSubset=${service('ProcSubset')}`);
    assert.notEqual(service('PrivateUsers'), 'yes', 'PrivateUsers would make every process owned by nobody');
    assert.notEqual(service('PrivateNetwork'), 'yes', 'Prometheus must reach the port');
    assert.notEqual(service('MemoryDenyWriteExecute'), 'yes', 'V8 needs writable executable memory');
  });

  it("starts the exporter with flags it accepts, its state file in the unit's writable StateDirectory", () => {
    const argv = execStart();
    assert.match(argv[0] as string, /^\/.*docker-engine-exporter$/);
    const flags = argv.slice(1).filter((a) => a !== '$ARGS');
    assert.ok(argv.includes('$ARGS'), 'ExecStart passes $ARGS from the environment file');
    checkExporterArgs(flags);
    const stateFile = flagValue(flags, '--state.file');
    assert.ok(stateFile !== undefined, '--state.file');
    const stateDir = service('StateDirectory');
    assert.ok(stateDir !== undefined);
    assert.equal(dirname(stateFile), `/var/lib/${stateDir}`);
  });

  it("reads an environment file whose variables are the exporter's, each with a value it accepts", () => {
    const envFile = service('EnvironmentFile');
    assert.ok(envFile !== undefined && envFile.replace(/^-/, '') === '/etc/default/docker-engine-exporter', `EnvironmentFile=${envFile}`);
    const examples = environmentExamples();
    const known = new Set(FLAGS.map((f) => envName(f.name)));
    assert.ok(
      examples.some((e) => e.key === 'ARGS'),
      'ARGS is defined',
    );
    for (const e of examples) {
      if (e.key === 'ARGS') {
        checkExporterArgs(e.value.split(/\s+/).filter((w) => w !== ''));
        continue;
      }
      assert.ok(known.has(e.key), `${e.key} is not one of the exporter's variables`);
      // --path.procfs and files must exist to parse: skip values naming files of a real host.
      if (e.key.endsWith('_FILE')) continue;
      assert.doesNotThrow(() => parseFlags([], { [e.key]: e.value }), `${e.key}=${e.value}`);
    }
  });

  it('documents its installation with the files that exist in the repository', () => {
    const sources = [...unitText.matchAll(/install -m \d+ (\S+) (\S+)/g)].map((m) => m[1] as string);
    assert.ok(sources.length >= 2);
    for (const s of sources) assert.ok(existsSync(repoPath(s)), `${s} exists`);
    assert.match(unitText, /install -m 0644 deploy\/systemd\/docker-engine-exporter\.env \/etc\/default\/docker-engine-exporter/);
  });
});
