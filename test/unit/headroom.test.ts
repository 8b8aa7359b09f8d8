/** The headroom parsers and the pure computation: limits, thread states, cgroup paths, ratios, places. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeEngine, EMPTY_MEMORY } from '../../src/engine/attribute.js';
import { computeHeadroom, dockerdMaxThreads, headroomRequest, storagePaths, type HeadroomReadings } from '../../src/engine/headroom.js';
import { MalformedProcFileError } from '../../src/sources/procfs/parse-proc.js';
import { cgroupAncestry, parsePidsMax, parseSoftNofile, pidsCgroupOf, taskStatState } from '../../src/sources/procfs/parse-headroom.js';
import { containerd, dockerd, shim, snapshot } from './engine-helpers.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max processes             unlimited            unlimited            processes 
Max open files            1048576              1048576              files     
Max locked memory         8388608              8388608              bytes     
`;

describe('headroom parsers', () => {
  it('reads the soft "Max open files", null for unlimited, and refuses garbage', () => {
    assert.equal(parseSoftNofile(LIMITS), 1048576);
    assert.equal(parseSoftNofile(LIMITS.replace('1048576              1048576', '1024                 4096')), 1024);
    assert.equal(parseSoftNofile(LIMITS.replace('1048576              1048576', 'unlimited            unlimited')), null);
    assert.throws(() => parseSoftNofile('Limit Soft Hard\n'), MalformedProcFileError);
    assert.throws(() => parseSoftNofile(LIMITS.replace('1048576              1048576', '-1                   5')), MalformedProcFileError);
  });

  it("takes a task's state after the last ')', whatever its name holds", () => {
    assert.equal(taskStatState('123 (dockerd) D 1 123 123 0 -1'), 'D');
    assert.equal(taskStatState('123 (a) S (b)) R 1 2'), 'R');
    assert.equal(taskStatState('garbage'), null);
  });

  it('finds the pids cgroup: v1 first, v2 otherwise, never a path outside the namespace', () => {
    const v1 = '12:pids:/system.slice/docker.service\n4:memory:/x\n0::/system.slice/docker.service\n';
    assert.deepEqual(pidsCgroupOf(v1), { version: 1, path: '/system.slice/docker.service' });
    assert.deepEqual(pidsCgroupOf('5:cpu,pids:/a\n'), { version: 1, path: '/a' });
    assert.deepEqual(pidsCgroupOf('0::/system.slice/containerd.service\n'), { version: 2, path: '/system.slice/containerd.service' });
    assert.equal(pidsCgroupOf('0::/../../system.slice/docker.service\n'), null);
    assert.equal(pidsCgroupOf('1:name=systemd:/x\n'), null);
    assert.deepEqual(cgroupAncestry('/system.slice/docker.service'), ['/system.slice/docker.service', '/system.slice']);
    assert.deepEqual(cgroupAncestry('/'), []);
    assert.equal(parsePidsMax('max\n'), null);
    assert.equal(parsePidsMax('4915\n'), 4915);
    assert.throws(() => parsePidsMax('lots'), MalformedProcFileError);
  });
});

describe('headroom computation', () => {
  const dockerdArgv = ['dockerd', '--exec-root', '/r/exec', '--data-root', '/r/data', '--pidfile', '/r/docker.pid'];
  const view = attributeEngine(
    snapshot(
      [
        dockerd(10, { argv: dockerdArgv, threads: 40, openFds: 200 }),
        containerd(20, 10, { threads: 30, openFds: 100 }),
        shim(30, 'c1', undefined, { threads: 10, openFds: 20 }),
        shim(31, 'c2', undefined, { threads: 10, openFds: 900 }),
      ],
      10,
    ),
    { dockerdExpected: true, containerdAddress: null },
    EMPTY_MEMORY,
  );

  it("asks for the attributed engine's processes only, cgroups for the daemons", () => {
    const req = headroomRequest(view, null);
    assert.deepEqual(
      req.processes.map((t) => [t.pid, t.cgroup]),
      [
        [10, true],
        [20, true],
        [30, false],
        [31, false],
      ],
    );
  });

  it("puts a managed containerd's root and state under dockerd's, and prefers /info's data root", () => {
    assert.deepEqual(storagePaths(view, null), [
      { volume: 'data_root', path: '/r/data' },
      { volume: 'exec_root', path: '/r/exec' },
      { volume: 'containerd_root', path: '/r/data/containerd/daemon' },
      { volume: 'containerd_state', path: '/r/exec/containerd/daemon' },
    ]);
    const info = { containers: 0, running: 0, paused: 0, stopped: 0, liveRestore: false, defaultRuntime: 'runc', rootDir: '/mnt/docker' };
    const probes = { info } as unknown as Parameters<typeof storagePaths>[1];
    assert.equal(storagePaths(view, probes)[0]?.path, '/mnt/docker');
  });

  it('computes the worst fd ratio per component, D threads, and one ratio per limit', () => {
    const readings: HeadroomReadings = {
      processes: [
        { pid: 10, maxFds: 1000, uninterruptibleThreads: 2, cgroupPids: { max: 100, current: 90 } },
        { pid: 20, maxFds: null, uninterruptibleThreads: 0, cgroupPids: null },
        { pid: 30, maxFds: 1024, uninterruptibleThreads: 0, cgroupPids: null },
        { pid: 31, maxFds: 1024, uninterruptibleThreads: 1, cgroupPids: null },
      ],
      pidMax: 4194304,
      threadsMax: 1000,
      storage: [],
      errors: [],
    };
    const h = computeHeadroom(view, readings);
    assert.deepEqual(h.maxFds, { dockerd: 1000 }); // containerd's is unlimited: no figure
    assert.equal(h.worstFdRatio.dockerd, 0.2);
    assert.equal(h.worstFdRatio.containerd, undefined);
    assert.equal(h.worstFdRatio['containerd-shim'], 0.8789);
    assert.deepEqual(h.uninterruptibleThreads, {
      dockerd: 2,
      containerd: 0,
      'containerd-shim': 1,
      runc: 0,
      'docker-proxy': 0,
      'docker-init': 0,
    });
    const byLimit = Object.fromEntries(h.limits.map((l) => [l.limit, [l.used, l.max]]));
    assert.deepEqual(byLimit, {
      dockerd_go_max_threads: [40, 900],
      containerd_go_max_threads: [30, 10000],
      kernel_pid_max: [90, 4194304],
      kernel_threads_max: [90, 1000],
      dockerd_cgroup_pids_max: [90, 100],
    });
  });

  it("applies moby's integer division to threads-max", () => {
    assert.equal(dockerdMaxThreads(192725), 173430);
    assert.equal(dockerdMaxThreads(99), 0);
  });
});
