/**
 * The poller's headroom cadence: the reads (limits, thread states, cgroup pids, statfs: a second trip
 * to the scan worker) are made at most every `headroomEveryMs`, and at once when the engine's
 * processes or places change; between reads each poll joins the last readings with its own scan.
 * The source is scripted and its headroom reads are counted (what the real reads return is
 * test/sources/headroom-reads.test.ts; the real engine's, test/engine/headroom-engine.test.ts); the
 * clock is a fake monotonic one, so nothing here waits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/log/logger.js';
import { createPoller } from '../../src/poller/poller.js';
import type { HeadroomReadings, HeadroomRequest } from '../../src/engine/headroom.js';
import type { ProcessSnapshot, ReadError } from '../../src/engine/process-model.js';
import type { ProcessSource } from '../../src/sources/process-source.js';
import { containerd, dockerd, shim, snapshot } from './engine-helpers.js';

const EVERY = 5000;

function setup(first: ProcessSnapshot, readErrors: ReadError[] = []) {
  const clock = { mono: 0 };
  let next = first;
  const requests: HeadroomRequest[] = [];
  const source: ProcessSource = {
    name: 'procfs',
    scan: () => Promise.resolve(next),
    close: async () => {},
    readHeadroom(request) {
      requests.push(request);
      const readings: HeadroomReadings = {
        processes: request.processes.map((t) => ({ pid: t.pid, maxFds: 100, uninterruptibleThreads: 0, cgroupPids: null })),
        pidMax: 4_194_304,
        threadsMax: 100_000,
        storage: [],
        errors: readErrors,
      };
      return Promise.resolve(readings);
    },
  };
  const lines: Record<string, unknown>[] = [];
  const poller = createPoller({
    source,
    intervalMs: 1000,
    settings: { dockerdExpected: true, containerdAddress: null },
    logger: createLogger('info', 'json', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)),
    monotonicMs: () => clock.mono,
    headroomEveryMs: EVERY,
  });
  const poll = async (afterMs: number, snap?: ProcessSnapshot) => {
    clock.mono += afterMs;
    if (snap) next = snap;
    await poller.pollOnce();
    return poller.status();
  };
  return { poll, requests, lines };
}

const engine = (fds: number, shims: number[] = []) =>
  snapshot([dockerd(10, { openFds: fds }), containerd(20, 10), ...shims.map((pid) => shim(pid, `c${pid}`))], 10);

describe('headroom reads on their own clock', () => {
  it('reads at the first poll, not again within the interval, and again once it has passed', async () => {
    const { poll, requests } = setup(engine(10));
    await poll(0);
    assert.equal(requests.length, 1);
    for (let i = 0; i < 4; i++) await poll(1000);
    assert.equal(requests.length, 1, 'four more polls within 5 s read nothing');
    await poll(1000);
    assert.equal(requests.length, 2, 'the poll 5 s after the read reads again');
  });

  it('joins the last readings with each poll: the fd ratio follows the scan between reads', async () => {
    const { poll, requests } = setup(engine(10));
    const first = await poll(0);
    assert.equal(first.latest?.headroom?.worstFdRatio.dockerd, 0.1);
    const later = await poll(1000, engine(90));
    assert.equal(requests.length, 1);
    assert.equal(later.latest?.headroom?.worstFdRatio.dockerd, 0.9, 'open fds of this poll over the limit read before');
    assert.equal(later.latest?.headroom?.maxFds.dockerd, 100);
  });

  it('reads at once when a process joins the engine or a daemon is replaced', async () => {
    const { poll, requests } = setup(engine(10));
    await poll(0);
    await poll(1000, engine(10, [30]));
    assert.equal(requests.length, 2, 'a new shim');
    assert.ok(requests[1]?.processes.some((t) => t.pid === 30));
    await poll(1000, snapshot([dockerd(10), containerd(21, 10), shim(30, 'c30')], 10));
    assert.equal(requests.length, 3, 'a new containerd');
    const s = await poll(1000);
    assert.equal(requests.length, 3);
    assert.equal(s.latest?.headroom?.maxFds.containerd, 100, 'the new containerd has its limit from the read it caused');
  });

  it('counts a failed headroom read once per read, and logs it once, not as recovered between reads', async () => {
    const denied: ReadError = { file: 'cgroup', reason: 'permission', message: 'cgroup: EACCES' };
    const { poll, lines } = setup(engine(10), [denied]);
    await poll(0);
    await poll(1000);
    let s = await poll(1000);
    assert.equal(s.readErrors.get('cgroup/permission'), 1, 'three polls, one read');
    s = await poll(EVERY);
    assert.equal(s.readErrors.get('cgroup/permission'), 2);
    assert.equal(lines.filter((l) => l.msg === 'read failed').length, 1);
    assert.equal(lines.filter((l) => l.msg === 'read recovered').length, 0);
  });
});
