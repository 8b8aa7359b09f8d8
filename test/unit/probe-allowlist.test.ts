/**
 * Every probe the exporter schedules names the one request it sends, and that request is on the
 * read-only allowlist (src/sources/read-only.ts); every gRPC method on the allowlist is one some
 * probe uses, so the allowlist holds nothing the exporter does not need. Both clients refuse an
 * off-list request at send time; this proves the probe list itself was written inside it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/log/logger.js';
import { ALLOWED_GRPC_METHODS, isHttpAllowed } from '../../src/sources/read-only.js';
import { createEngineProbes, tasksTimeoutFor } from '../../src/sources/probes/engine-probes.js';
import type { ProbeRequest } from '../../src/sources/probes/probe.js';

function allProbes(): Array<{ name: string; request: ProbeRequest; alsoSends?: readonly ProbeRequest[]; deadlineMs?: number }> {
  const set = createEngineProbes({
    dockerSocket: '/nonexistent/docker.sock', // nothing is dialled: no probe runs here
    containerdAddressFlag: '/nonexistent/containerd.sock',
    namespaces: ['moby'],
    timeoutMs: 1234,
    procfsPath: '/proc',
    logger: createLogger('error', 'json', () => {}),
    onEventStreamDrop: () => {},
  });
  const listed = set.daemons.flatMap((d) => [...d.probes, ...d.watches]);
  for (const d of set.daemons) d.close();
  return listed;
}

describe('probe allowlist', () => {
  const probes = allProbes();

  it('lists every probe once', () => {
    const names = probes.map((p) => p.name);
    assert.deepEqual([...new Set(names)].sort(), [...names].sort());
    assert.deepEqual(names.sort(), [
      'containerd_containers',
      'containerd_events',
      'containerd_health',
      'containerd_plugins',
      'containerd_state',
      'containerd_tasks',
      'containerd_version',
      'dockerd_containers',
      'dockerd_events',
      'dockerd_info',
      'dockerd_ping',
      'dockerd_version',
      'engine_sweep',
    ]);
  });

  it("puts every probe's request on the read-only allowlist", () => {
    for (const { name, request } of probes.flatMap((p) => [p.request, ...(p.alsoSends ?? [])].map((request) => ({ name: p.name, request })))) {
      if ('grpc' in request) assert.ok(ALLOWED_GRPC_METHODS.has(request.grpc), `${name}: gRPC ${request.grpc} is not allowed`);
      else
        assert.ok(isHttpAllowed(request.http.method, request.http.path), `${name}: ${request.http.method} ${request.http.path} is not allowed`);
    }
  });

  it('has every allowed gRPC method in use by some probe', () => {
    const used = new Set(probes.flatMap((p) => [p.request, ...(p.alsoSends ?? [])]).flatMap((r) => ('grpc' in r ? [r.grpc] : [])));
    assert.deepEqual([...ALLOWED_GRPC_METHODS].sort(), [...used].sort());
  });

  it('gives every called probe the configured probe timeout as its deadline, Tasks/List its own longer one', () => {
    for (const p of probes) {
      if (p.deadlineMs === undefined) continue;
      assert.equal(p.deadlineMs, p.name === 'containerd_tasks' ? tasksTimeoutFor(1234) : 1234, p.name);
    }
    assert.ok(tasksTimeoutFor(1234) > 1234);
  });

  it('admits one container inspect by its full id only', () => {
    const id = 'a'.repeat(64);
    assert.ok(isHttpAllowed('GET', `/containers/${id}/json`));
    assert.ok(isHttpAllowed('GET', `/v1.41/containers/${id}/json?size=false`));
    for (const path of [
      '/containers/web/json',
      `/containers/${id}/logs`,
      `/containers/${id}/json/../kill`,
      `/containers/${id.slice(1)}/json`,
      `/containers/${id}/archive`,
      `/containers/${id}/top`,
    ])
      assert.equal(isHttpAllowed('GET', path), false, path);
    assert.equal(isHttpAllowed('POST', `/containers/${id}/json`), false);
  });
});
