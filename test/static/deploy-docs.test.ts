/**
 * docs/fleet.md and docs/container.md: every YAML block parses; every Prometheus configuration in
 * the fleet guide passes `promtool check config` with the files it names (the rules, the fleet's
 * recording rules, the file_sd target file from the guide itself), and its file-based discovery
 * yields the targets the guide promises (`promtool check service-discovery`); its rules pass
 * `promtool check rules`; every PromQL query is valid and uses only metrics the exporter emits; the
 * `docker run` examples pass the exporter's flag parser; relative links point at files that exist.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { checkExporterArgs, codeBlocks, flagValue, shellCommands, shellWords } from '../support-static/deploy.js';
import { ALLOWED_METRICS } from '../support-static/metrics.js';
import { metricNames } from '../support-static/promql.js';
import { promtoolOrSkip, runPromtool } from '../support-static/promtool.js';
import { repoPath } from '../support-static/repo.js';
import { RULES_PATH } from '../support-static/rules.js';
import { asMapping, asSequence, asString, isMapping, parseYaml, type YamlValue } from '../support-static/yaml.js';

const FLEET = repoPath('docs', 'fleet.md');
const CONTAINER = repoPath('docs', 'container.md');
const fleetText = readFileSync(FLEET, 'utf8');
const fleetYaml = codeBlocks(fleetText, /^ya?ml$/).map((b) => ({ ...b, doc: parseYaml(b.text) }));

const isPrometheusConfig = (v: YamlValue): boolean =>
  isMapping(v) && ['global', 'scrape_configs', 'remote_write', 'rule_files'].some((k) => k in v);
const isRulesFile = (v: YamlValue): boolean => isMapping(v) && 'groups' in v;
const isTargetFile = (v: YamlValue): boolean => Array.isArray(v) && v.every((g) => isMapping(g) && 'targets' in g);

function block(pred: (v: YamlValue) => boolean, what: string): { line: number; text: string; doc: YamlValue } {
  const found = fleetYaml.find((b) => pred(b.doc));
  assert.ok(found, `docs/fleet.md has ${what}`);
  return found;
}

/** Recording rules of the fleet guide's rules block. */
function fleetRules(): Array<{ record: string; expr: string }> {
  const doc = asMapping(block(isRulesFile, 'a rules block').doc, 'rules');
  return asSequence(doc['groups'], 'groups').flatMap((g) =>
    asSequence(asMapping(g, 'group')['rules'], 'rules').map((r) => {
      const rule = asMapping(r, 'rule');
      return { record: asString(rule['record'], 'record'), expr: asString(rule['expr'], 'expr') };
    }),
  );
}

/** Where a path the guide names on the Prometheus host is, in this test's scratch directory. */
interface Scratch {
  dir: string;
  rewrite(text: string): string;
}

/** Writes the rules and the target file the guide shows where its configurations expect them. */
function scratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), 'dee-fleet-'));
  const fleetRulesPath = join(dir, 'docker-engine-fleet.rules.yml');
  writeFileSync(fleetRulesPath, block(isRulesFile, 'a rules block').text);
  const targets = join(dir, 'targets');
  mkdirSync(targets);
  writeFileSync(join(targets, 'hosts.yml'), block(isTargetFile, 'a file_sd target file').text);
  const map: Array<[string, string]> = [
    ['/etc/prometheus/rules/docker-engine-fleet.rules.yml', fleetRulesPath],
    ['/etc/prometheus/rules/docker-engine.rules.yml', RULES_PATH],
    ['/etc/prometheus/targets/docker-engine/', `${targets}/`],
  ];
  return {
    dir,
    rewrite: (text) => map.reduce((t, [from, to]) => t.split(from).join(to), text),
  };
}

describe('docs/fleet.md', () => {
  it('covers one exporter per host, file and Kubernetes discovery, federation and remote-write, and links docs/prometheus.md', () => {
    for (const re of [/one exporter per host/i, /file_sd_configs/, /Kubernetes/, /federat/i, /remote_write/, /\]\(prometheus\.md/]) {
      assert.match(fleetText, re);
    }
  });

  it('every YAML block parses', () => {
    assert.ok(fleetYaml.length >= 4);
  });

  it('every Prometheus configuration passes promtool check config, with the files it names', (t) => {
    const configs = fleetYaml.filter((b) => isPrometheusConfig(b.doc));
    assert.ok(configs.length >= 3, 'edge, federation and remote-write configurations');
    const promtool = promtoolOrSkip(t);
    if (promtool === null) return;
    const s = scratch();
    try {
      for (const b of configs) {
        const file = join(s.dir, `prometheus-${b.line}.yml`);
        writeFileSync(file, s.rewrite(b.text));
        const r = runPromtool(promtool, ['check', 'config', file]);
        assert.equal(r.status, 0, `docs/fleet.md block at line ${b.line}:\n${r.stdout}${r.stderr}`);
      }
    } finally {
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it("the edge configuration discovers the target file's hosts, named by host, in a docker-engine job", (t) => {
    const promtool = promtoolOrSkip(t);
    if (promtool === null) return;
    const edge = fleetYaml.find((b) => isMapping(b.doc) && Array.isArray(b.doc['scrape_configs']) && b.text.includes('file_sd_configs'));
    assert.ok(edge, 'an edge configuration with file_sd_configs');
    const job = asString(
      asMapping(asSequence(asMapping(edge.doc, 'config')['scrape_configs'], 'scrape_configs')[0], 'scrape_config')['job_name'],
      'job_name',
    );
    assert.equal(job, 'docker-engine', 'the ready-made rules and dashboard select job="docker-engine"');
    const hosts = asSequence(block(isTargetFile, 'a target file').doc, 'targets').flatMap((g) =>
      asSequence(asMapping(g, 'group')['targets'], 'targets').map((x) => asString(x, 'target')),
    );
    const s = scratch();
    try {
      const file = join(s.dir, 'edge.yml');
      writeFileSync(file, s.rewrite(edge.text));
      const r = runPromtool(promtool, ['check', 'service-discovery', '--timeout=2s', file, job]);
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      const found = (JSON.parse(r.stdout) as Array<{ labels: Record<string, string> }>).map((x) => x.labels);
      assert.deepEqual(found.map((l) => l['__address__']).sort(), [...hosts].sort(), 'every host of the target file is a target');
      for (const l of found) {
        assert.equal(l['instance'], (l['__address__'] as string).replace(/:9733$/, ''), 'instance is the host name');
        assert.equal(l['job'], job);
      }
    } finally {
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it("federation keeps the edges' labels and asks for the exporter's series; remote-write keeps only them", () => {
    const federation = fleetYaml.find((b) => b.text.includes('/federate'));
    assert.ok(federation);
    const sc = asMapping(asSequence(asMapping(federation.doc, 'config')['scrape_configs'], 'scrape_configs')[0], 'scrape_config');
    assert.equal(sc['honor_labels'], true);
    const match = asSequence(asMapping(sc['params'], 'params')['match[]'], 'match[]').map((x) => asString(x, 'match'));
    assert.ok(
      match.some((x) => x.includes('docker-engine')),
      match.join(' '),
    );
    const rw = fleetYaml.find((b) => isMapping(b.doc) && 'remote_write' in b.doc);
    assert.ok(rw);
    const relabel = asSequence(
      asMapping(asSequence(asMapping(rw.doc, 'config')['remote_write'], 'remote_write')[0], 'remote_write[0]')['write_relabel_configs'],
      'write_relabel_configs',
    );
    assert.ok(relabel.some((r) => asMapping(r, 'relabel')['action'] === 'keep'));
  });

  it("its rules pass promtool check rules, and every PromQL query is valid and uses only the exporter's metrics", (t) => {
    const rules = fleetRules();
    const queries = codeBlocks(fleetText, /^promql$/).map((b) => b.text.trim());
    assert.ok(queries.length > 0);
    const recorded = new Set(rules.map((r) => r.record));
    for (const expr of [...rules.map((r) => r.expr), ...queries]) {
      for (const n of metricNames(expr))
        assert.ok(ALLOWED_METRICS.has(n) || recorded.has(n), `${n} in ${expr} is not a metric the exporter emits`);
    }
    const promtool = promtoolOrSkip(t);
    if (promtool === null) return;
    const dir = mkdtempSync(join(tmpdir(), 'dee-fleet-rules-'));
    try {
      const file = join(dir, 'rules.yml');
      // The guide's rules, plus its queries as recording rules so that promtool parses them too.
      const all = {
        groups: [
          { name: 'fleet-guide', rules: rules.map((r) => ({ record: r.record, expr: r.expr })) },
          { name: 'fleet-guide-queries', rules: queries.map((expr, k) => ({ record: `fleet_guide_query_${k}`, expr })) },
        ],
      };
      writeFileSync(file, JSON.stringify(all, null, 2));
      const r = runPromtool(promtool, ['check', 'rules', file]);
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docs/container.md', () => {
  const text = readFileSync(CONTAINER, 'utf8');
  const runs = codeBlocks(text, /^sh$/)
    .flatMap((b) => shellCommands(b.text))
    .filter((c) => c.startsWith('docker run'));

  it("documents what the default user cannot see and what gives it: root or CAP_SYS_PTRACE, the socket's group, the host /proc", () => {
    for (const re of [/CAP_SYS_PTRACE/, /--group-add/, /--pid=host/, /--path\.procfs=\/host\/proc/, /apparmor=unconfined/, /HEALTHCHECK/])
      assert.match(text, re);
  });

  it('runs the image with --pid=host, the host /proc at /host/proc, and flags the exporter accepts', () => {
    assert.ok(runs.length >= 2, `docker run examples: ${runs.length}`);
    for (const cmd of runs) {
      const words = shellWords(cmd);
      const image = words.findIndex((w) => w.startsWith('docker-engine-exporter:'));
      assert.ok(image > 0, `the image in: ${cmd}`);
      if (words.includes('--help')) continue;
      const dockerArgs = words.slice(0, image);
      assert.ok(dockerArgs.includes('--pid=host'), `--pid=host in: ${cmd}`);
      assert.ok(dockerArgs.includes('/proc:/host/proc:ro'), `the host /proc at /host/proc in: ${cmd}`);
      const exporterArgs = words.slice(image + 1);
      assert.equal(flagValue(exporterArgs, '--path.procfs'), '/host/proc');
      checkExporterArgs(exporterArgs, { '/host/proc': '/proc' });
      // Every socket and pidfile a flag names is inside a mount.
      const targets = dockerArgs.flatMap((w, k) => (dockerArgs[k - 1] === '-v' ? [w.split(':')[1] as string] : []));
      for (const flag of ['--docker.host', '--docker.pidfile', '--containerd.address']) {
        const v = flagValue(exporterArgs, flag);
        if (v === undefined || v === '') continue;
        const p = v.replace(/^unix:\/\//, '');
        assert.ok(
          targets.some((t) => p === t || p.startsWith(`${t}/`)),
          `${flag}=${v} is inside a mount of: ${cmd}`,
        );
      }
    }
  });

  it('runs as root only with two capabilities, read-only, without new privileges', () => {
    const root = runs.find((c) => c.includes('--user 0:0'));
    assert.ok(root);
    for (const opt of ['--cap-drop ALL', '--cap-add SYS_PTRACE', '--read-only', '--security-opt no-new-privileges'])
      assert.ok(root.includes(opt), `${opt} in: ${root}`);
  });
});

describe('deployment docs links', () => {
  for (const doc of [FLEET, CONTAINER]) {
    it(`${doc.slice(repoPath().length + 1)}: relative links point at files that exist`, () => {
      const text = readFileSync(doc, 'utf8');
      for (const mm of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = mm[1] as string;
        if (/^[a-z]+:/.test(target)) continue;
        assert.ok(existsSync(resolve(dirname(doc), target)), `${doc} links to missing ${target}`);
      }
    });
  }
});
