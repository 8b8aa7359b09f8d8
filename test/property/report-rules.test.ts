/**
 * The tree a person reads and the metrics Prometheus scrapes say the same: for any engine, each chain
 * check's count (what the poller computed for the metrics) equals the nodes the report marks. Both
 * ask the engine's one rule; this guards against a second copy of a rule drifting from the first (the
 * proxy count once matched `-host-port` as text and the tree as a number).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { buildEngineTree } from '../../src/report/engine-tree.js';
import { healthComponents } from '../../src/report/health.js';
import type { ProcessInfo } from '../../src/engine/process-model.js';
import { child, containerd, dockerd, shim } from '../unit/engine-helpers.js';
import { OPTS, snap, stateAfter, UP } from '../report/tree-fixtures.js';
import { params } from '../support/property.js';

const IDS = ['a', 'b', 'c', 'd'];
// Spellings dockerd never writes but a rule must treat one way everywhere.
const PORTS = ['80', '8080', '08080', ' 80', '0x50', 'x', '', null];
const PROTOS = ['tcp', 'udp', null];

const shimArb = fc.record({
  id: fc.constantFrom(...IDS),
  ns: fc.constantFrom('moby', 'k8s.io'),
  young: fc.boolean(),
  runc: fc.constantFrom(null, 'S', 'D'),
});
const proxyArb = fc.record({ port: fc.constantFrom(...PORTS), proto: fc.constantFrom(...PROTOS) });
const publishedArb = fc.record({
  hostPort: fc.constantFrom(80, 8080, 53),
  proto: fc.constantFrom('tcp', 'udp'),
  hostIp: fc.constantFrom('0.0.0.0', '::', ''),
});

type ShimSpec = { id: string; ns: string; young: boolean; runc: string | null };

function engine(shims: ShimSpec[], proxies: Array<{ port: string | null; proto: string | null }>): ProcessInfo[] {
  const procs: ProcessInfo[] = [dockerd(10), containerd(20, 10)];
  shims.forEach((s, i) => {
    const pid = s.young ? 195 - i : 30 + 2 * i; // engine-helpers: pid N started at 1_000_000 + N, snapshots at + 200 s
    const base = shim(pid, s.id);
    procs.push({ ...base, argv: ['/usr/bin/containerd-shim-runc-v2', '-namespace', s.ns, ...base.argv.slice(3)] });
    if (s.runc !== null) procs.push({ ...child(300 + i, pid, 'runc'), state: s.runc });
  });
  proxies.forEach((p, i) => {
    const argv = [
      '/usr/sbin/docker-proxy',
      ...(p.proto === null ? [] : ['-proto', p.proto]),
      '-host-ip',
      '0.0.0.0',
      ...(p.port === null ? [] : ['-host-port', p.port]),
    ];
    procs.push({ ...child(400 + i, 10, 'docker-proxy'), argv });
  });
  return procs;
}

describe('the report and the metrics agree', () => {
  it('orphan shims, stuck runc and missing proxies: the count equals the marked nodes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(shimArb, { maxLength: 5 }),
        fc.array(proxyArb, { maxLength: 5 }),
        fc.option(fc.subarray(IDS)),
        fc.option(fc.array(publishedArb, { maxLength: 5 })),
        async (shims, proxies, tasks, published) => {
          const state = await stateAfter([snap(engine(shims, proxies))], [{ ...UP, tasks, published }]);
          const tree = buildEngineTree(state, OPTS);
          const nodes = tree.containerd?.shims ?? [];
          assert.equal(nodes.filter((s) => s.orphan === true).length, state.checks.orphanShims ?? 0);
          if (state.checks.orphanShims === null)
            assert.ok(
              nodes.every((s) => s.orphan === null),
              'unknown, not false',
            );
          assert.equal(nodes.flatMap((s) => s.children).filter((c) => c.stuck).length, state.checks.stuckRunc);
          assert.equal(tree.dockerd?.proxies.filter((p) => p.state === 'down').length, state.checks.missingProxies ?? 0);
          assert.equal(tree.dockerd?.proxies.filter((p) => p.state === 'up').length, proxies.length, 'every running proxy is drawn');
        },
      ),
      params(150),
    );
  });

  it("/healthz's component states are the tree's link states", async () => {
    const answer = fc.constantFrom(true, false, null);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ dockerd: answer, containerd: answer, up: fc.constantFrom('both', 'dockerd', 'none') }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.boolean(),
        async (polls, dockerdExpected) => {
          const procs = { both: [dockerd(10), containerd(20, 10)], dockerd: [dockerd(10)], none: [] };
          const state = await stateAfter(
            polls.map((p) => snap(procs[p.up])),
            polls.map((p) => ({ dockerd: dockerdExpected ? p.dockerd : null, containerd: p.containerd, tasks: null, published: null })),
            dockerdExpected,
          );
          const tree = buildEngineTree(state, { ...OPTS, dockerdExpected });
          const expected: Record<string, string> = { containerd: tree.containerd?.state ?? 'missing' };
          if (dockerdExpected) expected.dockerd = tree.dockerd?.state ?? 'missing';
          assert.deepEqual(healthComponents(state, dockerdExpected), expected);
        },
      ),
      params(150),
    );
  });
});
