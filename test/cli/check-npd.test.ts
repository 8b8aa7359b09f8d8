/**
 * `check --output=npd` and `npd-warning`: node-problem-detector's custom-plugin protocol
 * (pkg/custompluginmonitor/types/types.go: OK 0, NonOK 1, Unknown 2; plugin/plugin.go keeps stdout
 * trimmed and cut at max_output_length bytes, 80 by default). Trees are built by the real poller from
 * literal snapshots; the command itself runs against a real engine in
 * test/engine/kernel-causes-engine.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEngineTree } from '../../src/report/engine-tree.js';
import type { EngineTree } from '../../src/report/tree-nodes.js';
import { NPD_MAX_OUTPUT_BYTES, npdExitCode, renderNpd } from '../../src/cli/check-output.js';
import { containerd, dockerd, shim } from '../unit/engine-helpers.js';
import { HEALTHY, OPTS, snap, stateAfter, UP } from '../report/tree-fixtures.js';

/** What NPD would keep of the output, and the checks every message must pass. */
function npdMessage(tree: EngineTree): string {
  const out = renderNpd(tree);
  assert.ok(out.endsWith('\n') && !out.slice(0, -1).includes('\n'), JSON.stringify(out));
  const message = out.trim();
  assert.ok(Buffer.byteLength(message) <= NPD_MAX_OUTPUT_BYTES, `${Buffer.byteLength(message)} bytes: ${message}`);
  assert.match(message, /^[\x20-\x7e]+$/);
  return message;
}

test('OK is 0 for both levels, with what runs as the message', async () => {
  const tree = buildEngineTree(await stateAfter([snap(HEALTHY)], [UP]), OPTS);
  assert.equal(tree.status, 'OK');
  assert.equal(npdExitCode(tree, 'npd'), 0);
  assert.equal(npdExitCode(tree, 'npd-warning'), 0);
  assert.match(npdMessage(tree), /^OK: dockerd up, containerd up \(managed\)/);
});

test('a daemon down is a problem (1) at both levels', async () => {
  const tree = buildEngineTree(await stateAfter([snap(HEALTHY), snap([dockerd(10)])], [UP, { dockerd: true, containerd: false }]), OPTS);
  assert.equal(tree.status, 'CRITICAL');
  assert.equal(npdExitCode(tree, 'npd'), 1);
  assert.equal(npdExitCode(tree, 'npd-warning'), 1);
  assert.match(npdMessage(tree), /^CRITICAL: containerd down/);
});

test('a warning (a restart) is a problem only for npd-warning', async () => {
  const restarted = [dockerd(10), containerd(21, 10)];
  const tree = buildEngineTree(await stateAfter([snap(HEALTHY), snap(restarted)], [UP, UP]), OPTS);
  assert.equal(tree.status, 'WARNING');
  assert.equal(npdExitCode(tree, 'npd'), 0);
  assert.equal(npdExitCode(tree, 'npd-warning'), 1);
  assert.match(npdMessage(tree), /^WARNING: containerd restarted 1 time/);
});

test('nothing known is Unknown (2)', () => {
  const tree = buildEngineTree(null, { ...OPTS, pollError: 'procfs scan blocked for 12 s' });
  assert.equal(npdExitCode(tree, 'npd'), 2);
  assert.equal(npdExitCode(tree, 'npd-warning'), 2);
  assert.match(npdMessage(tree), /^UNKNOWN: cannot scan processes/);
});

test('many problems and hostile names still give one line of at most 80 printable bytes', async () => {
  const evil = (pid: number) => shim(pid, `\u001b]0;${'é'.repeat(40)}\u2028\n`);
  const procs = [dockerd(10), ...Array.from({ length: 30 }, (_, i) => evil(100 + i))];
  const tree = buildEngineTree(await stateAfter([snap(HEALTHY), snap(procs)], [UP, { dockerd: false, containerd: false, tasks: [] }]), OPTS);
  assert.notEqual(tree.status, 'OK');
  const message = npdMessage(tree);
  assert.equal(Buffer.byteLength(message), NPD_MAX_OUTPUT_BYTES);
  assert.ok(message.endsWith('...'));
});
