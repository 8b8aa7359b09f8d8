/**
 * deploy/kubernetes, checked as far as an offline machine allows (no API server, no schemas):
 * every document parses; the DaemonSets run in the host PID namespace with read-only hostPath
 * mounts, probe /healthz on the port the exporter listens on, stay within two capabilities and
 * resource limits, pass the exporter's own flag parser, and mount every socket and pidfile their
 * flags name; one variant serves containerd-only nodes and exactly one variant runs on any node.
 * The PodMonitor's relabelling is run through `promtool check service-discovery`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_PORT } from '../../src/config/flags.js';
import { DEFAULT_CONTAINERD_ADDRESS } from '../../src/engine/components.js';
import { checkExporterArgs, flagValue, isUnder, parseYamlDocuments, socketPath } from '../support-static/deploy.js';
import { loadCompose } from '../support-static/compose.js';
import { promtoolOrSkip, runPromtool } from '../support-static/promtool.js';
import { repoPath } from '../support-static/repo.js';
import { asMapping, asScalarText, asSequence, asString, type YamlValue } from '../support-static/yaml.js';

type Obj = { [key: string]: YamlValue };

const manifests = parseYamlDocuments(readFileSync(repoPath('deploy', 'kubernetes', 'daemonset.yaml'), 'utf8'));
const podMonitor = parseYamlDocuments(readFileSync(repoPath('deploy', 'kubernetes', 'podmonitor.yaml'), 'utf8'));

const ofKind = (docs: Obj[], kind: string): Obj[] => docs.filter((d) => d['kind'] === kind);
const name = (o: Obj): string => asString(asMapping(o['metadata'], 'metadata')['name'], 'metadata.name');
const m = (v: YamlValue | undefined, what: string): Obj => asMapping(v, what);
const seq = (v: YamlValue | undefined, what: string): YamlValue[] => (v === undefined ? [] : asSequence(v, what));

const daemonSets = ofKind(manifests, 'DaemonSet');
const podSpec = (ds: Obj): Obj => m(m(m(ds['spec'], 'spec')['template'], 'template')['spec'], 'template.spec');
const podLabels = (ds: Obj): Obj => m(m(m(m(ds['spec'], 'spec')['template'], 'template')['metadata'], 'template.metadata')['labels'], 'labels');
const container = (ds: Obj): Obj => {
  const cs = seq(podSpec(ds)['containers'], 'containers');
  assert.equal(cs.length, 1, `${name(ds)}: one container`);
  return m(cs[0], 'container');
};
const args = (ds: Obj): string[] => seq(container(ds)['args'], 'args').map((a, k) => (a === null ? '' : asString(a, `args[${k}]`)));

/** Mounts of the container with their hostPath volumes. */
function mounts(ds: Obj): Array<{ name: string; mountPath: string; readOnly: boolean; hostPath: string | null; type: string | null }> {
  const volumes = new Map(seq(podSpec(ds)['volumes'], 'volumes').map((v) => [asString(m(v, 'volume')['name'], 'volume.name'), m(v, 'volume')]));
  return seq(container(ds)['volumeMounts'], 'volumeMounts').map((vm) => {
    const mm = m(vm, 'volumeMount');
    const volName = asString(mm['name'], 'volumeMount.name');
    const vol = volumes.get(volName);
    assert.ok(vol, `${name(ds)}: volumeMount ${volName} has no volume`);
    const hp = vol['hostPath'] === undefined ? null : m(vol['hostPath'], 'hostPath');
    return {
      name: volName,
      mountPath: asString(mm['mountPath'], 'mountPath'),
      readOnly: mm['readOnly'] === true,
      hostPath: hp === null ? null : asString(hp['path'], 'hostPath.path'),
      type: hp === null || hp['type'] === undefined ? null : asString(hp['type'], 'hostPath.type'),
    };
  });
}

/** The host path a container path comes from, through the deepest mount that holds it; null if none. */
function hostPathOf(ds: Obj, containerPath: string): string | null {
  const holding = mounts(ds).filter((mt) => mt.hostPath !== null && isUnder(containerPath, mt.mountPath));
  holding.sort((a, b) => b.mountPath.length - a.mountPath.length);
  const best = holding[0];
  if (best === undefined || best.hostPath === null) return null;
  return best.hostPath + containerPath.slice(best.mountPath.replace(/\/$/, '').length);
}

const containerdOnly = (ds: Obj): boolean => flagValue(args(ds), '--docker.host') === '';

/** Kubernetes quantities used here: 250m, 1, 64Mi, 1Gi. */
function quantity(v: YamlValue | undefined, what: string): number {
  const s = asScalarText(v, what);
  const q = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(s);
  assert.ok(q, `${what}: cannot read quantity ${s}`);
  const n = Number(q[1]);
  const unit = q[2];
  return unit === 'm' ? n / 1000 : unit === 'Ki' ? n * 1024 : unit === 'Mi' ? n * 1024 ** 2 : unit === 'Gi' ? n * 1024 ** 3 : n;
}

/** Fields of the Kubernetes API objects used here: a typo (readonly, hostPid) is a test failure, not a silently ignored field. */
const KNOWN = {
  podSpec: new Set([
    'serviceAccountName',
    'automountServiceAccountToken',
    'hostPID',
    'hostNetwork',
    'enableServiceLinks',
    'priorityClassName',
    'terminationGracePeriodSeconds',
    'tolerations',
    'affinity',
    'nodeSelector',
    'securityContext',
    'containers',
    'volumes',
  ]),
  container: new Set([
    'name',
    'image',
    'imagePullPolicy',
    'args',
    'ports',
    'livenessProbe',
    'readinessProbe',
    'startupProbe',
    'resources',
    'securityContext',
    'volumeMounts',
    'env',
  ]),
  securityContext: new Set([
    'runAsUser',
    'runAsGroup',
    'runAsNonRoot',
    'privileged',
    'allowPrivilegeEscalation',
    'readOnlyRootFilesystem',
    'capabilities',
    'appArmorProfile',
    'seccompProfile',
  ]),
  probe: new Set(['httpGet', 'initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold', 'successThreshold']),
  volumeMount: new Set(['name', 'mountPath', 'readOnly']),
  hostPathType: new Set(['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice']),
};

function onlyKnown(o: Obj, known: Set<string>, what: string): void {
  for (const k of Object.keys(o)) assert.ok(known.has(k), `${what}: unexpected field "${k}"`);
}

describe('Kubernetes DaemonSet', () => {
  it('has a ServiceAccount without a token, two DaemonSets and a Service, all labelled app.kubernetes.io/name', () => {
    assert.deepEqual(manifests.map((d) => d['kind']).sort(), ['DaemonSet', 'DaemonSet', 'Service', 'ServiceAccount']);
    for (const d of manifests) {
      assert.equal(
        m(m(d['metadata'], 'metadata')['labels'], 'labels')['app.kubernetes.io/name'],
        'docker-engine-exporter',
        `${JSON.stringify(d['kind'])} label`,
      );
    }
    assert.equal(ofKind(manifests, 'ServiceAccount')[0]?.['automountServiceAccountToken'], false);
    for (const ds of daemonSets) {
      assert.equal(ds['apiVersion'], 'apps/v1');
      const sel = m(m(m(ds['spec'], 'spec')['selector'], 'selector')['matchLabels'], 'matchLabels');
      for (const [k, v] of Object.entries(sel)) assert.equal(podLabels(ds)[k], v, `${name(ds)}: the selector's ${k} matches the pod template`);
    }
  });

  it('uses only known fields in the pod spec, container, security context, probes and mounts', () => {
    for (const ds of daemonSets) {
      onlyKnown(podSpec(ds), KNOWN.podSpec, `${name(ds)} pod spec`);
      onlyKnown(container(ds), KNOWN.container, `${name(ds)} container`);
      onlyKnown(m(container(ds)['securityContext'], 'securityContext'), KNOWN.securityContext, `${name(ds)} securityContext`);
      for (const p of ['livenessProbe', 'readinessProbe']) onlyKnown(m(container(ds)[p], p), KNOWN.probe, `${name(ds)} ${p}`);
      for (const vm of seq(container(ds)['volumeMounts'], 'volumeMounts'))
        onlyKnown(m(vm, 'volumeMount'), KNOWN.volumeMount, `${name(ds)} volumeMount`);
      for (const mt of mounts(ds)) assert.ok(mt.type === null || KNOWN.hostPathType.has(mt.type), `${name(ds)}: hostPath type ${mt.type}`);
    }
  });

  it('runs in the host PID namespace, not the host network, without a service account token', () => {
    for (const ds of daemonSets) {
      const spec = podSpec(ds);
      assert.equal(spec['hostPID'], true, `${name(ds)}: hostPID`);
      assert.notEqual(spec['hostNetwork'], true, `${name(ds)}: no hostNetwork`);
      assert.equal(spec['automountServiceAccountToken'], false, `${name(ds)}: no token`);
    }
  });

  it('mounts only hostPath volumes, every one read-only, the host /proc where --path.procfs points', () => {
    for (const ds of daemonSets) {
      const ms = mounts(ds);
      assert.ok(ms.length > 0);
      for (const mt of ms) {
        assert.ok(mt.readOnly, `${name(ds)}: ${mt.name} is mounted read-only`);
        assert.ok(mt.hostPath !== null, `${name(ds)}: ${mt.name} is a hostPath`);
      }
      const proc = ms.find((mt) => mt.hostPath === '/proc');
      assert.ok(proc, `${name(ds)}: the host's /proc is mounted`);
      assert.equal(flagValue(args(ds), '--path.procfs'), proc.mountPath);
    }
  });

  it("mounts every socket and pidfile its flags name; containerd's socket at its host path (shims name it)", () => {
    for (const ds of daemonSets) {
      const a = args(ds);
      // Given, or discovered: a system containerd's default socket.
      const containerd = flagValue(a, '--containerd.address') ?? DEFAULT_CONTAINERD_ADDRESS;
      assert.equal(
        hostPathOf(ds, socketPath(containerd)),
        socketPath(containerd),
        `${name(ds)}: containerd's socket ${containerd} is mounted at its host path`,
      );
      const dockerHost = flagValue(a, '--docker.host');
      const pidfile = flagValue(a, '--docker.pidfile');
      if (dockerHost !== undefined && dockerHost !== '') {
        assert.ok(hostPathOf(ds, socketPath(dockerHost)) !== null, `${name(ds)}: ${dockerHost} is inside a mount`);
        assert.ok(pidfile !== undefined && pidfile !== '', `${name(ds)}: a pidfile picks the watched dockerd`);
        assert.ok(hostPathOf(ds, pidfile) !== null, `${name(ds)}: ${pidfile} is inside a mount`);
        // Directories, not single files: dockerd recreates both when it restarts.
        for (const mt of mounts(ds)) assert.notEqual(mt.type, 'File', `${name(ds)}: ${mt.name} is a single file`);
        assert.ok(!mounts(ds).some((mt) => mt.type === 'Socket'), `${name(ds)}: no single-socket mounts`);
      }
    }
  });

  it("passes the exporter's own flag parser (the container's /host/proc taken as this machine's /proc)", () => {
    for (const ds of daemonSets) checkExporterArgs(args(ds), { '/host/proc': '/proc' });
  });

  it('serves containerd-only nodes with a variant that expects no dockerd and watches k8s.io', () => {
    const variants = daemonSets.filter(containerdOnly);
    assert.equal(variants.length, 1, 'one containerd-only DaemonSet');
    const a = args(variants[0] as Obj);
    assert.equal(flagValue(a, '--docker.pidfile'), '', 'no pidfile is read');
    assert.equal(flagValue(a, '--containerd.address'), '/run/containerd/containerd.sock');
    assert.ok((flagValue(a, '--containerd.namespaces') ?? '').split(',').includes('k8s.io'));
    const docker = daemonSets.filter((ds) => !containerdOnly(ds));
    assert.equal(docker.length, 1, 'one DaemonSet for nodes that run dockerd');
    assert.ok((flagValue(args(docker[0] as Obj), '--containerd.namespaces') ?? 'moby').split(',').includes('moby'));
  });

  it('puts exactly one variant on any node: the label docker-engine-exporter/engine=docker selects one and excludes the other', () => {
    const key = 'docker-engine-exporter/engine';
    /** Whether a DaemonSet schedules on a Linux node with these labels. */
    const schedules = (ds: Obj, labels: Record<string, string>): boolean => {
      const spec = podSpec(ds);
      const selector = spec['nodeSelector'] === undefined ? {} : m(spec['nodeSelector'], 'nodeSelector');
      if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) return false;
      if (spec['affinity'] === undefined) return true;
      const required = m(
        m(m(spec['affinity'], 'affinity')['nodeAffinity'], 'nodeAffinity')['requiredDuringSchedulingIgnoredDuringExecution'],
        'required',
      );
      return seq(required['nodeSelectorTerms'], 'nodeSelectorTerms').some((term) =>
        seq(m(term, 'term')['matchExpressions'], 'matchExpressions').every((e) => {
          const ex = m(e, 'matchExpression');
          const values = seq(ex['values'], 'values').map(String);
          const v = labels[asString(ex['key'], 'key')];
          switch (ex['operator']) {
            case 'In':
              return v !== undefined && values.includes(v);
            case 'NotIn':
              return v === undefined || !values.includes(v);
            case 'Exists':
              return v !== undefined;
            case 'DoesNotExist':
              return v === undefined;
            default:
              throw new Error(`operator ${JSON.stringify(ex['operator'])}`);
          }
        }),
      );
    };
    const linux = { 'kubernetes.io/os': 'linux' };
    const nodes: Array<Record<string, string>> = [linux, { ...linux, [key]: 'docker' }, { ...linux, [key]: 'containerd' }];
    for (const labels of nodes) {
      const on = daemonSets.filter((ds) => schedules(ds, labels)).map(name);
      assert.equal(on.length, 1, `node ${JSON.stringify(labels)} runs ${on.join(', ') || 'nothing'}`);
      assert.equal(containerdOnly(daemonSets.find((ds) => name(ds) === on[0]) as Obj), labels[key] !== 'docker');
    }
    for (const ds of daemonSets) {
      const tolerations = seq(podSpec(ds)['tolerations'], 'tolerations').map((x) => m(x, 'toleration'));
      assert.ok(
        tolerations.some((x) => x['operator'] === 'Exists' && x['key'] === undefined),
        `${name(ds)}: runs on tainted nodes too`,
      );
    }
  });

  it('probes /healthz (liveness and readiness) on the named port the exporter listens on', () => {
    for (const ds of daemonSets) {
      const c = container(ds);
      const ports = seq(c['ports'], 'ports').map((p) => m(p, 'port'));
      const listen = flagValue(args(ds), '--web.listen-address') ?? `:${DEFAULT_PORT}`;
      const listenPort = Number(listen.slice(listen.lastIndexOf(':') + 1));
      for (const probe of ['livenessProbe', 'readinessProbe']) {
        const http = m(m(c[probe], probe)['httpGet'], `${probe}.httpGet`);
        assert.equal(http['path'], '/healthz', `${name(ds)}: ${probe} path`);
        const port = ports.find((p) => p['name'] === http['port'] || p['containerPort'] === http['port']);
        assert.ok(port, `${name(ds)}: ${probe} port ${JSON.stringify(http['port'])} is a container port`);
        assert.equal(port['containerPort'], listenPort, `${name(ds)}: ${probe} asks the port the exporter listens on`);
      }
    }
  });

  it('is locked down: root with only SYS_PTRACE and DAC_READ_SEARCH, read-only root, no privilege escalation, RuntimeDefault seccomp', () => {
    for (const ds of daemonSets) {
      const sc = m(container(ds)['securityContext'], 'securityContext');
      assert.equal(sc['readOnlyRootFilesystem'], true);
      assert.equal(sc['allowPrivilegeEscalation'], false);
      assert.notEqual(sc['privileged'], true);
      const caps = m(sc['capabilities'], 'capabilities');
      assert.deepEqual(seq(caps['drop'], 'drop'), ['ALL']);
      for (const cap of seq(caps['add'], 'add'))
        assert.ok(['SYS_PTRACE', 'DAC_READ_SEARCH'].includes(asString(cap, 'capability')), `capability ${JSON.stringify(cap)}`);
      const podSc = m(podSpec(ds)['securityContext'], 'pod securityContext');
      assert.equal(m(podSc['seccompProfile'], 'seccompProfile')['type'], 'RuntimeDefault');
    }
  });

  it('requests and limits CPU and memory, limits above requests', () => {
    for (const ds of daemonSets) {
      const res = m(container(ds)['resources'], 'resources');
      const req = m(res['requests'], 'requests');
      const lim = m(res['limits'], 'limits');
      for (const r of ['cpu', 'memory']) {
        assert.ok(quantity(lim[r], `limits.${r}`) >= quantity(req[r], `requests.${r}`), `${name(ds)}: ${r} limit ≥ request`);
      }
      // The exporter's resident memory is about 100 MB (node with a worker thread).
      assert.ok(quantity(lim['memory'], 'limits.memory') >= 200 * 1024 ** 2, `${name(ds)}: memory limit leaves room above ~100 MB`);
    }
  });

  it('uses one image, the one compose runs, in both variants', () => {
    const images = new Set(daemonSets.map((ds) => asString(container(ds)['image'], 'image')));
    assert.equal(images.size, 1);
    const composeImage = asString(loadCompose().services.get('exporter')?.spec['image'], 'compose exporter image');
    assert.equal([...images][0], composeImage);
  });

  it("has a headless Service that selects both variants' pods on the metrics port", () => {
    const svc = ofKind(manifests, 'Service')[0] as Obj;
    const spec = m(svc['spec'], 'spec');
    assert.equal(spec['clusterIP'], 'None');
    const sel = m(spec['selector'], 'selector');
    for (const ds of daemonSets) for (const [k, v] of Object.entries(sel)) assert.equal(podLabels(ds)[k], v, `the Service selects ${name(ds)}`);
    const port = m(seq(spec['ports'], 'ports')[0], 'port');
    assert.equal(port['targetPort'], 'metrics');
    assert.equal(port['port'], DEFAULT_PORT);
  });
});

describe('Kubernetes PodMonitor', () => {
  const pm = podMonitor[0] as Obj;
  const spec = m(pm['spec'], 'spec');
  const endpoint = m(seq(spec['podMetricsEndpoints'], 'podMetricsEndpoints')[0], 'endpoint');

  it("selects the DaemonSets' pods and scrapes their metrics port", () => {
    assert.equal(podMonitor.length, 1);
    assert.equal(pm['apiVersion'], 'monitoring.coreos.com/v1');
    assert.equal(pm['kind'], 'PodMonitor');
    const sel = m(m(spec['selector'], 'selector')['matchLabels'], 'matchLabels');
    for (const ds of daemonSets) {
      for (const [k, v] of Object.entries(sel)) assert.equal(podLabels(ds)[k], v, `selects ${name(ds)}`);
      assert.ok(seq(container(ds)['ports'], 'ports').some((p) => m(p, 'port')['name'] === endpoint['port']));
    }
    assert.match(`monitoring/${name(pm)}`, /docker-engine/, "the operator's job name matches DockerEngineExporterDown's selector");
  });

  it("names each target after its node and moves the pod's namespace out of the exporter's way (promtool check service-discovery)", (t) => {
    const promtool = promtoolOrSkip(t);
    if (promtool === null) return;
    // The operator's relabelings in Prometheus's own terms, on a target as the operator labels it.
    const snake: Record<string, string> = {
      sourceLabels: 'source_labels',
      targetLabel: 'target_label',
      regex: 'regex',
      replacement: 'replacement',
      action: 'action',
      separator: 'separator',
    };
    const relabel = seq(endpoint['relabelings'], 'relabelings').map((r) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(m(r, 'relabeling'))) {
        const key = snake[k];
        assert.ok(key, `relabeling field ${k}`);
        out[key] = v;
      }
      return out;
    });
    const dir = mkdtempSync(join(tmpdir(), 'dee-k8s-'));
    try {
      writeFileSync(
        join(dir, 'pods.json'),
        JSON.stringify([
          {
            targets: ['10.1.2.3:9733'],
            labels: { __meta_kubernetes_pod_node_name: 'node-7', namespace: 'monitoring', pod: 'docker-engine-exporter-containerd-x1' },
          },
        ]),
      );
      const config = {
        scrape_configs: [
          { job_name: 'monitoring/docker-engine-exporter', file_sd_configs: [{ files: [join(dir, '*.json')] }], relabel_configs: relabel },
        ],
      };
      writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
      const r = runPromtool(promtool, [
        'check',
        'service-discovery',
        '--timeout=2s',
        join(dir, 'prometheus.yml'),
        'monitoring/docker-engine-exporter',
      ]);
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      const targets = JSON.parse(r.stdout) as Array<{ labels: Record<string, string> }>;
      assert.equal(targets.length, 1, r.stdout);
      const labels = (targets[0] as { labels: Record<string, string> }).labels;
      assert.equal(labels['instance'], 'node-7');
      assert.equal(labels['kubernetes_namespace'], 'monitoring');
      assert.equal(labels['namespace'], undefined, "no namespace target label to clash with the exporter's");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
