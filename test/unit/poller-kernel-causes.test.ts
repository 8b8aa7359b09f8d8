/**
 * The poller's use of the kernel log: drained after each scan, attributed against the previous view
 * (an OOM victim is gone by the scan that notices the restart), and the cause put on the
 * "component restarted" line and into the state. The kernel log here is a scripted reader handing
 * over parsed reports: an OOM kill cannot be caused on demand everywhere (the real one is
 * test/engine/kernel-causes-engine.test.ts, where the machine has a memory cgroup to spare).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/log/logger.js';
import { createPoller } from '../../src/poller/poller.js';
import type { KernelReport } from '../../src/engine/kernel-causes.js';
import type { KmsgReader } from '../../src/sources/kmsg/kmsg-reader.js';
import type { ProcessSnapshot } from '../../src/engine/process-model.js';
import type { ProcessSource } from '../../src/sources/process-source.js';
import { containerd, dockerd, p, snapshot } from './engine-helpers.js';

function scripted(snaps: ProcessSnapshot[]): ProcessSource {
  let i = 0;
  return { name: 'procfs', scan: () => Promise.resolve(snaps[Math.min(i++, snaps.length - 1)] as ProcessSnapshot), close: async () => {} };
}

function kernelLog(perDrain: KernelReport[][]): KmsgReader {
  let i = 0;
  return {
    drain: () => ({ reports: perDrain[i++] ?? [], lost: 0, records: 0 }),
    failure: () => null,
    close: () => {},
  };
}

const oom = (pid: number, comm: string): KernelReport => ({ cause: 'oom', pid, taskPid: pid, comm, atBootSeconds: 1000, taskStartTicks: null });

async function run(snaps: ProcessSnapshot[], reports: KernelReport[][]) {
  const lines: Record<string, unknown>[] = [];
  const poller = createPoller({
    source: scripted(snaps),
    intervalMs: 1000,
    settings: { dockerdExpected: true, containerdAddress: null },
    logger: createLogger('info', 'json', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)),
    kernelLog: kernelLog(reports),
  });
  for (let n = 0; n < snaps.length; n++) await poller.pollOnce();
  return { lines, state: poller.status().latest };
}

test('containerd OOM-killed and replaced between two polls: the restart line says cause=oom', async () => {
  const before = snapshot([dockerd(10), containerd(20, 10)], 10);
  const after = snapshot([dockerd(10), containerd(21, 10)], 10);
  const { lines, state } = await run([before, after], [[], [oom(20, 'containerd')]]);
  const restarted = lines.find((l) => l.msg === 'component restarted');
  assert.deepEqual(restarted && [restarted.component, restarted.oldPid, restarted.newPid, restarted.cause], ['containerd', 20, 21, 'oom']);
  assert.equal(state?.kernel?.oomKills.containerd, 1);
  assert.equal(state?.kernel?.lastCause.containerd?.pid, 20);
});

test('a kill of a decoy named containerd leaves the restart without a cause and the counters at 0', async () => {
  const before = snapshot([dockerd(10), containerd(20, 10), p({ pid: 66, comm: 'containerd', ppid: 1 })], 10);
  const after = snapshot([dockerd(10), containerd(21, 10)], 10);
  const { lines, state } = await run([before, after], [[], [oom(66, 'containerd')]]);
  const restarted = lines.find((l) => l.msg === 'component restarted');
  assert.ok(restarted);
  assert.equal(restarted.cause, undefined);
  assert.equal(state?.kernel?.oomKills.containerd, 0);
  assert.equal(state?.kernel?.unattributed, 1);
});

test('without a kernel log the state has no kernel causes (the series are absent)', async () => {
  const lines: string[] = [];
  const poller = createPoller({
    source: scripted([snapshot([dockerd(10), containerd(20, 10)], 10)]),
    intervalMs: 1000,
    settings: { dockerdExpected: true, containerdAddress: null },
    logger: createLogger('info', 'json', (l) => lines.push(l)),
  });
  await poller.pollOnce();
  assert.equal(poller.status().latest?.kernel, null);
});
