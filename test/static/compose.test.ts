/**
 * deploy/compose: the compose file parses, runs the exporter the way the README says (host PID
 * namespace, host /proc at /host/proc, the engine's sockets), every file it mounts exists, and the
 * Prometheus it starts has a valid config that scrapes the exporter and loads the project's rules.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { commandOf, environmentOf, hostPathOf, loadCompose, type ComposeService } from '../support-static/compose.js';
import { promtoolOrSkip, runPromtool } from '../support-static/promtool.js';
import { repoPath } from '../support-static/repo.js';
import { RULES_PATH } from '../support-static/rules.js';
import { asMapping, asSequence, asString, parseYaml } from '../support-static/yaml.js';

const compose = loadCompose();

function service(name: string): ComposeService {
  const s = compose.services.get(name);
  assert.ok(s !== undefined, `compose.yml has no service "${name}"`);
  return s;
}

function flagValue(args: string[], flag: string): string | undefined {
  const k = args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (k < 0) return undefined;
  const a = args[k]!;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[k + 1];
}

/** The Prometheus config the compose file mounts, with its container paths and host paths. */
function prometheusConfig(): { containerPath: string; hostPath: string; doc: ReturnType<typeof asMapping> } {
  const prom = service('prometheus');
  const containerPath = flagValue(commandOf(prom), '--config.file') ?? '/etc/prometheus/prometheus.yml';
  const hostPath = hostPathOf(prom, containerPath);
  assert.ok(hostPath !== null, `no bind mount provides ${containerPath} to prometheus`);
  return { containerPath, hostPath, doc: asMapping(parseYaml(readFileSync(hostPath, 'utf8')), 'prometheus.yml') };
}

describe('compose deployment', () => {
  it('has the exporter, Prometheus and Grafana', () => {
    for (const name of ['exporter', 'prometheus', 'grafana']) service(name);
  });

  it('runs the exporter image in the host PID namespace with the host /proc at /host/proc', () => {
    const ex = service('exporter');
    assert.equal(ex.spec['image'], 'docker-engine-exporter:local');
    assert.equal(ex.spec['pid'], 'host');
    const args = commandOf(ex);
    assert.equal(flagValue(args, '--path.procfs'), '/host/proc');
    const proc = ex.volumes.find((v) => v.target === '/host/proc');
    assert.ok(proc !== undefined && proc.source === '/proc' && proc.readOnly, '/proc mounted read-only at /host/proc');
  });

  it("gives the exporter the host's /run (socket and pidfile) and containerd's socket folders at their own paths", () => {
    const ex = service('exporter');
    const run = ex.volumes.find((v) => v.source === '/run');
    assert.ok(run !== undefined, "the host's /run is mounted (not the socket and pidfile as single files, which go stale)");
    const args = commandOf(ex);
    assert.equal(flagValue(args, '--docker.host'), `unix://${run.target}/docker.sock`);
    assert.equal(flagValue(args, '--docker.pidfile'), `${run.target}/docker.pid`);
    // containerd's socket is discovered from the process tree, so its folders keep their host paths.
    for (const dir of ['/run/docker', '/run/containerd']) {
      const v = ex.volumes.find((x) => x.source === dir);
      assert.ok(v !== undefined && v.target === dir, `${dir} is mounted at the same path`);
    }
    assert.equal(flagValue(args, '--containerd.address'), undefined, 'no --containerd.address: a managed containerd is found by the tree');
    for (const v of ex.volumes) assert.ok(v.readOnly, `${v.source} is mounted read-only`);
  });

  it('mounts only files and folders of the repository that exist, and declares its named volumes', () => {
    for (const s of compose.services.values()) {
      for (const v of s.volumes) {
        if (v.hostPath === null) {
          assert.ok(compose.namedVolumes.has(v.source), `${s.name}: named volume ${v.source} is not declared`);
        } else if (!v.source.startsWith('/')) {
          assert.ok(existsSync(v.hostPath), `${s.name}: ${v.source} (${v.hostPath}) does not exist`);
          assert.ok(v.hostPath.startsWith(repoPath()), `${s.name}: ${v.source} is outside the repository`);
        }
      }
    }
  });

  it("has a Prometheus config that scrapes the exporter's service and port", () => {
    const { doc } = prometheusConfig();
    const listen = flagValue(commandOf(service('exporter')), '--web.listen-address') ?? ':9733';
    const port = listen.slice(listen.lastIndexOf(':') + 1);
    const targets = asSequence(doc['scrape_configs'], 'scrape_configs').flatMap((sc) => {
      const c = asMapping(sc, 'scrape_config');
      return (c['static_configs'] === undefined ? [] : asSequence(c['static_configs'], 'static_configs')).flatMap((st) =>
        asSequence(asMapping(st, 'static_config')['targets'], 'targets').map((t) => ({
          job: asString(c['job_name'], 'job_name'),
          target: asString(t, 'target'),
        })),
      );
    });
    const exporterTarget = targets.find((t) => t.target === `exporter:${port}`);
    assert.ok(exporterTarget !== undefined, `no scrape target exporter:${port} in ${JSON.stringify(targets)}`);
    assert.match(exporterTarget.job, /docker-engine/, "the job name matches DockerEngineExporterDown's selector");
  });

  it("has Prometheus load the project's rules file, through a mount of prometheus/rules", () => {
    const { doc } = prometheusConfig();
    const prom = service('prometheus');
    const ruleFiles = asSequence(doc['rule_files'], 'rule_files').map((f) => asString(f, 'rule file'));
    assert.ok(ruleFiles.length > 0);
    for (const f of ruleFiles) {
      const host = hostPathOf(prom, f);
      assert.ok(host !== null && existsSync(host), `rule file ${f} is not mounted from an existing file`);
    }
    assert.ok(
      ruleFiles.some((f) => hostPathOf(prom, f) === RULES_PATH),
      `rule_files ${ruleFiles.join(', ')} do not include prometheus/rules/docker-engine.rules.yml`,
    );
  });

  it('has a Prometheus config that promtool check config accepts (container paths mapped to the repository)', (t) => {
    const promtool = promtoolOrSkip(t);
    if (promtool === null) return;
    const { hostPath, doc } = prometheusConfig();
    const prom = service('prometheus');
    let text = readFileSync(hostPath, 'utf8');
    for (const f of asSequence(doc['rule_files'], 'rule_files').map((x) => asString(x, 'rule file'))) {
      text = text.split(f).join(hostPathOf(prom, f) ?? f);
    }
    const dir = mkdtempSync(join(tmpdir(), 'dee-compose-'));
    try {
      const file = join(dir, 'prometheus.yml');
      writeFileSync(file, text);
      const r = runPromtool(promtool, ['check', 'config', file]);
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives Grafana the provisioning folder and a home dashboard that exists', () => {
    const g = service('grafana');
    const provisioning = hostPathOf(g, '/etc/grafana/provisioning');
    assert.equal(provisioning, repoPath('grafana', 'provisioning'));
    const home = environmentOf(g)['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'];
    assert.ok(home !== undefined, 'a home dashboard, so Grafana shows it without clicks');
    const homeOnHost = hostPathOf(g, home);
    assert.equal(homeOnHost, repoPath('grafana', 'dashboards', 'docker-engine.json'));
    assert.ok(statSync(homeOnHost).isFile());
  });
});
