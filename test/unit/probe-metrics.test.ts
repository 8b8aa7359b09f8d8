/**
 * The probe series (src/metrics/probe-metrics.ts) rendered from a literal ProbeReport that the real
 * poller carried into an EngineState. What this proves: each probe that has run has one success and
 * one duration series (durations to the microsecond), a probe that never ran has none; tasks are
 * counted per watched namespace and status, and a failed Tasks/List shows no task series rather than
 * zeros; event counters cover exactly the watched namespaces; the info labels follow the versions
 * found; and without a fresh state no probe series is exported at all.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { EngineState } from '../../src/engine/engine-state.js';
import type { ProbeReport } from '../../src/engine/probe-report.js';
import { createLogger } from '../../src/log/logger.js';
import { registerProbeMetrics } from '../../src/metrics/probe-metrics.js';
import { createPoller } from '../../src/poller/poller.js';
import { snapshot } from './engine-helpers.js';

function report(over: Partial<ProbeReport> = {}): ProbeReport {
  return {
    outcomes: new Map([
      ['dockerd_ping', { success: true, durationSeconds: 0.0012344, error: null, atMs: 1 }],
      ['containerd_health', { success: false, durationSeconds: 1, error: '4 DEADLINE_EXCEEDED: Deadline exceeded', atMs: 1 }],
    ]),
    containerdAnswering: false,
    containerdAnswers: 1,
    dockerdAnswering: true,
    dockerdAnswers: 1,
    containerdVersion: '1.7.24',
    engineVersions: { dockerd: '26.1.5', containerd: '1.7.20', runc: '1.1.15', dockerInit: '0.19.0', apiVersion: '1.45' },
    info: null,
    tasks: new Map([
      [
        'moby',
        [
          { id: 'a', pid: 100, status: 'RUNNING' },
          { id: 'b', pid: 101, status: 'RUNNING' },
          { id: 'c', pid: 0, status: 'STOPPED' },
        ],
      ],
      ['k8s.io', []],
    ]),
    publishedPorts: [],
    containers: [],
    userlandProxy: true,
    events: {
      exits: new Map([
        ['moby', 3],
        ['not-watched', 9],
      ]),
      ooms: new Map(),
      connected: true,
      drops: 0,
    },
    ...over,
  };
}

/** The state the real poller makes from an empty process snapshot and this probe report. */
async function stateWith(probes: ProbeReport): Promise<EngineState> {
  const poller = createPoller({
    source: { name: 'procfs', scan: () => Promise.resolve(snapshot([], null, 1_000_000)), close: () => Promise.resolve() },
    intervalMs: 1000,
    settings: { dockerdExpected: true, containerdAddress: null },
    logger: createLogger('error', 'json', () => {}),
    probes: { tick: () => Promise.resolve(), scanRequest: () => ({ sockets: [], pids: [] }), report: () => probes, close: () => {} },
  });
  await poller.pollOnce();
  const latest = poller.status().latest;
  assert.ok(latest, String(poller.status().lastError));
  return latest;
}

/** The samples of the probe series, `name{labels} value` per line, comments dropped. */
async function samples(state: EngineState | null): Promise<string[]> {
  const registry = new Registry();
  registerProbeMetrics({ registry, freshState: () => state, dockerdExpected: true, namespaces: ['moby', 'k8s.io'] });
  return (await registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

const named = (lines: string[], name: string): string[] => lines.filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

describe('probe metrics', () => {
  it('shows success and duration for each probe that has run, and nothing for the others', async () => {
    const lines = await samples(await stateWith(report()));
    assert.deepEqual(named(lines, 'docker_engine_probe_success').sort(), [
      'docker_engine_probe_success{probe="containerd_health"} 0',
      'docker_engine_probe_success{probe="dockerd_ping"} 1',
    ]);
    assert.deepEqual(named(lines, 'docker_engine_probe_duration_seconds').sort(), [
      'docker_engine_probe_duration_seconds{probe="containerd_health"} 1',
      'docker_engine_probe_duration_seconds{probe="dockerd_ping"} 0.001234',
    ]);
  });

  it('counts tasks per watched namespace and status', async () => {
    const tasks = named(await samples(await stateWith(report())), 'docker_engine_tasks');
    assert.ok(tasks.includes('docker_engine_tasks{namespace="moby",status="RUNNING"} 2'));
    assert.ok(tasks.includes('docker_engine_tasks{namespace="moby",status="STOPPED"} 1'));
    assert.ok(tasks.includes('docker_engine_tasks{namespace="k8s.io",status="RUNNING"} 0'));
    assert.equal(tasks.length, 2 * 6, 'two namespaces, six statuses each');
  });

  it('shows no task series, not zeros, when Tasks/List failed', async () => {
    const lines = await samples(await stateWith(report({ tasks: null })));
    assert.deepEqual(named(lines, 'docker_engine_tasks'), []);
  });

  it('counts events for exactly the watched namespaces', async () => {
    const lines = await samples(await stateWith(report()));
    assert.deepEqual(named(lines, 'docker_engine_task_exits_total').sort(), [
      'docker_engine_task_exits_total{namespace="k8s.io"} 0',
      'docker_engine_task_exits_total{namespace="moby"} 3',
    ]);
    assert.equal(named(lines, 'docker_engine_task_oom_total').length, 2);
  });

  it("labels info with containerd's own version over the one dockerd reports, and empty when unknown", async () => {
    const known = named(await samples(await stateWith(report())), 'docker_engine_info');
    assert.deepEqual(known, [
      'docker_engine_info{dockerd_version="26.1.5",containerd_version="1.7.24",runc_version="1.1.15",containerd_mode="unknown"} 1',
    ]);
    const unknown = named(await samples(await stateWith(report({ engineVersions: null, containerdVersion: null }))), 'docker_engine_info');
    assert.deepEqual(unknown, ['docker_engine_info{dockerd_version="",containerd_version="",runc_version="",containerd_mode="unknown"} 1']);
  });

  it('exports no probe series without a fresh state', async () => {
    const lines = await samples(null);
    assert.deepEqual(lines, []);
  });
});
