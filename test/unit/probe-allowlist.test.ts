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
import { createEngineProbes } from '../../src/sources/probes/engine-probes.js';
import type { ProbeRequest } from '../../src/sources/probes/probe.js';

function allProbes(): Array<{ name: string; request: ProbeRequest; deadlineMs?: number }> {
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
    ]);
  });

  it("puts every probe's request on the read-only allowlist", () => {
    for (const { name, request } of probes) {
      if ('grpc' in request) assert.ok(ALLOWED_GRPC_METHODS.has(request.grpc), `${name}: gRPC ${request.grpc} is not allowed`);
      else
        assert.ok(isHttpAllowed(request.http.method, request.http.path), `${name}: ${request.http.method} ${request.http.path} is not allowed`);
    }
  });

  it('has every allowed gRPC method in use by some probe', () => {
    const used = new Set(probes.flatMap((p) => ('grpc' in p.request ? [p.request.grpc] : [])));
    assert.deepEqual([...ALLOWED_GRPC_METHODS].sort(), [...used].sort());
  });

  it('gives every called probe the configured probe timeout as its deadline', () => {
    for (const p of probes) if (p.deadlineMs !== undefined) assert.equal(p.deadlineMs, 1234, p.name);
  });
});
