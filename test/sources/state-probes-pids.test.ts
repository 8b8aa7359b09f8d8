/**
 * The drift check's "is the task's process alive?" goes by what the scan read in its own thread
 * (ProcessSnapshot.pidStates), and asks for the next scan the pids of the running tasks it judged; a
 * pid the scan was not asked about is read from /proc there and then.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineView } from '../../src/engine/attribute.js';
import { CONFIRM_MS } from '../../src/engine/state-drift.js';
import type { TaskInfo } from '../../src/engine/probe-report.js';
import { createLogger } from '../../src/log/logger.js';
import type { TaskEventWatcher } from '../../src/sources/containerd/task-event-watcher.js';
import { createStateProbes } from '../../src/sources/probes/state-probes.js';

/** No process has this pid: above Linux's largest pid_max (2^22). */
const NO_SUCH_PID = 4_194_304 + 7;

describe('state probes: task pids through the scan', () => {
  it('judges by the scan where it read, reads /proc where it did not, and asks for the running tasks next', () => {
    const state = createStateProbes({
      dockerSocket: '/nonexistent/docker.sock', // the /events watch only retries; the drift check needs it to exist
      procfsPath: '/proc',
      timeoutMs: 300,
      logger: createLogger('error', 'json', () => {}),
      taskEvents: { connectedSinceMs: () => null, recentExits: () => new Map() } as unknown as TaskEventWatcher,
      onEventStreamDrop: () => {},
    });
    try {
      const view = { dockerd: null, containerd: null, members: {}, zombies: [], notes: [] } as unknown as EngineView;
      const tasks: TaskInfo[] = [
        { id: 'zombie-says-scan', pid: NO_SUCH_PID, status: 'RUNNING' },
        { id: 'alive-says-scan', pid: NO_SUCH_PID + 1, status: 'RUNNING' }, // no such pid: the scan's word counts
        { id: 'gone-says-scan', pid: process.ppid, status: 'RUNNING' }, // alive in fact: the scan's word counts
        { id: 'not-asked', pid: process.pid, status: 'RUNNING' }, // read now: this process runs
        { id: 'not-asked-gone', pid: NO_SUCH_PID + 2, status: 'RUNNING' }, // read now: gone
        { id: 'stopped', pid: 0, status: 'STOPPED' },
      ];
      const looked = {
        pidStates: new Map<number, string | null>([
          [NO_SUCH_PID, 'Z'],
          [NO_SUCH_PID + 1, 'S'],
          [process.ppid, null],
        ]),
      };
      const inputs = { tasks: new Map([['moby', tasks]]), containers: null, publishedPorts: null, userlandProxy: true, pluginErrors: null };
      const t0 = 1_000_000;
      state.prepare(view, t0, looked);
      state.deep(inputs, t0);
      assert.deepEqual(state.taskPids?.(), [NO_SUCH_PID, NO_SUCH_PID + 1, process.ppid, process.pid, NO_SUCH_PID + 2]);

      state.prepare(view, t0 + CONFIRM_MS, looked);
      const judged = state.deep(inputs, t0 + CONFIRM_MS);
      assert.deepEqual([...(judged.driftIds.task_process_dead ?? [])].sort(), ['gone-says-scan', 'not-asked-gone', 'zombie-says-scan']);
    } finally {
      state.close();
    }
  });
});
