/**
 * grafana/provisioning: a Grafana started with it (as deploy/compose does) has the Prometheus
 * datasource and loads the dashboard from a folder that exists and holds it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hostPathOf, loadCompose } from '../support-static/compose.js';
import { DASHBOARD_PATH } from '../support-static/dashboard.js';
import { repoPath } from '../support-static/repo.js';
import { asMapping, asSequence, asString, parseYaml } from '../support-static/yaml.js';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .map((f) => join(dir, f));
}

const datasourceFiles = yamlFiles(repoPath('grafana', 'provisioning', 'datasources'));
const dashboardFiles = yamlFiles(repoPath('grafana', 'provisioning', 'dashboards'));

describe('Grafana provisioning', () => {
  it('has datasource and dashboard provisioning files', () => {
    assert.ok(datasourceFiles.length > 0, 'grafana/provisioning/datasources/*.yml');
    assert.ok(dashboardFiles.length > 0, 'grafana/provisioning/dashboards/*.yml');
  });

  it("provisions a default Prometheus datasource at the compose file's Prometheus", () => {
    const compose = loadCompose();
    const sources = datasourceFiles.flatMap((f) => {
      const doc = asMapping(parseYaml(readFileSync(f, 'utf8')), f);
      assert.equal(doc['apiVersion'], 1, `${f} apiVersion`);
      return asSequence(doc['datasources'], `${f} datasources`).map((d) => asMapping(d, `${f} datasource`));
    });
    const prom = sources.find((d) => d['type'] === 'prometheus');
    assert.ok(prom !== undefined, 'a datasource of type prometheus');
    assert.equal(prom['isDefault'], true, "the default datasource, so the dashboard's datasource variable picks it");
    const url = new URL(asString(prom['url'], 'url'));
    assert.ok(compose.services.has(url.hostname), `datasource url host ${url.hostname} is a compose service`);
  });

  it('loads dashboards from a folder the compose file mounts from grafana/dashboards, which holds the dashboard', () => {
    const grafana = loadCompose().services.get('grafana');
    assert.ok(grafana !== undefined);
    let providers = 0;
    for (const f of dashboardFiles) {
      const doc = asMapping(parseYaml(readFileSync(f, 'utf8')), f);
      assert.equal(doc['apiVersion'], 1, `${f} apiVersion`);
      for (const p of asSequence(doc['providers'], `${f} providers`)) {
        const provider = asMapping(p, `${f} provider`);
        assert.equal(provider['type'], 'file');
        const path = asString(asMapping(provider['options'], 'options')['path'], 'options.path');
        const host = hostPathOf(grafana, path);
        assert.ok(host !== null, `provider path ${path} is not mounted into grafana by compose.yml`);
        assert.equal(host, repoPath('grafana', 'dashboards'));
        assert.ok(existsSync(host) && statSync(host).isDirectory(), `${host} is a folder`);
        assert.ok(readdirSync(host).includes('docker-engine.json'), `${host} holds docker-engine.json`);
        providers++;
      }
    }
    assert.ok(providers > 0, 'at least one dashboard provider');
    assert.ok(existsSync(DASHBOARD_PATH));
  });
});
