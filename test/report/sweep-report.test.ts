/**
 * The sweep's findings in the report: `check` and /status.json name the containers (ids are never
 * metric labels), the verdict is WARNING, an unknown list says unknown, a long list is cut, and an id
 * taken from a process's command line (a shim's -id) cannot break the text output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEngineTree } from '../../src/report/engine-tree.js';
import { renderTreeText } from '../../src/cli/check-output.js';
import { HEALTHY, ID_A, ID_B, OPTS, snap, stateAfter, UP } from './tree-fixtures.js';

const NONE = { unresponsiveContainers: [], unresponsiveShims: [], childlessShims: [], containers: 2, atMs: 1 };

test('a wedged container: WARNING naming it in check, the summary and the JSON tree', async () => {
  const sweep = { ...NONE, unresponsiveContainers: [ID_A], unresponsiveShims: [ID_A] };
  const tree = buildEngineTree(await stateAfter([snap(HEALTHY)], [{ ...UP, sweep }]), OPTS);
  assert.equal(tree.status, 'WARNING');
  assert.equal(tree.exitCode, 1);
  assert.deepEqual(tree.reasons, [
    `1 unresponsive container (inspect does not answer): ${ID_A}`,
    `1 unresponsive shim (task state does not answer): ${ID_A}`,
  ]);
  const text = renderTreeText(tree);
  assert.match(text, /^DOCKER ENGINE WARNING - 1 unresponsive container/);
  assert.match(text, /^sweep: 2 containers, unresponsive containers 1, unresponsive shims 1, childless shims 0$/m);
  assert.match(text, new RegExp(`^warning: 1 unresponsive container .*${ID_A}$`, 'm'));
  const json = JSON.parse(JSON.stringify(tree)) as { sweep: { unresponsiveContainers: string[] } };
  assert.deepEqual(json.sweep.unresponsiveContainers, [ID_A]);
});

test('all answering: OK, the sweep line says 0; unknown lists say unknown and raise nothing', async () => {
  const ok = buildEngineTree(await stateAfter([snap(HEALTHY)], [{ ...UP, sweep: NONE }]), OPTS);
  assert.equal(ok.status, 'OK');
  assert.match(renderTreeText(ok), /^sweep: 2 containers, unresponsive containers 0, unresponsive shims 0, childless shims 0$/m);
  const unknown = { ...NONE, unresponsiveContainers: null, unresponsiveShims: null, childlessShims: null };
  const tree = buildEngineTree(await stateAfter([snap(HEALTHY)], [{ ...UP, sweep: unknown }]), OPTS);
  assert.equal(tree.status, 'OK');
  assert.match(renderTreeText(tree), /unresponsive containers unknown, unresponsive shims unknown, childless shims unknown/);
});

test('a long list is cut after five ids; a hostile id stays on one line', async () => {
  const many = Array.from({ length: 8 }, (_, i) => String(i).repeat(64));
  const hostile = 'x\nDOCKER ENGINE OK - all fine';
  const sweep = { ...NONE, unresponsiveContainers: many, childlessShims: [hostile, ID_B] };
  const tree = buildEngineTree(await stateAfter([snap(HEALTHY)], [{ ...UP, sweep }]), OPTS);
  const [containers, childless] = tree.reasons;
  assert.equal(containers, `8 unresponsive containers (inspect does not answer): ${many.slice(0, 5).join(', ')} and 3 more`);
  assert.ok(childless?.startsWith('2 childless shims'));
  const text = renderTreeText(tree);
  assert.equal(text.match(/^DOCKER ENGINE /gm)?.length, 1, `one status line only:\n${text}`);
});
