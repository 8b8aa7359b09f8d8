/**
 * `check`'s text and JSON output (src/cli/check-output.ts) of engine trees built by the real poller
 * from literal process snapshots and probe answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEngineTree } from '../../src/report/engine-tree.js';
import type { EngineTree } from '../../src/report/tree-nodes.js';
import { renderTreeJson, renderTreeText } from '../../src/cli/check-output.js';
import { containerd, dockerd, shim, SOCK } from '../unit/engine-helpers.js';
import { HEALTHY, OPTS, snap, stateAfter, UP } from '../report/tree-fixtures.js';

test('text output: plugin first line with perfdata, then the indented tree', async () => {
  const tree = buildEngineTree(await stateAfter([snap(HEALTHY)], [UP]), OPTS);
  const lines = renderTreeText(tree).split('\n');
  assert.equal(
    lines[0],
    'DOCKER ENGINE OK - dockerd up, containerd up (managed), 2 shims, 1 docker-init, 1 docker-proxy | dockerd_ping=0.001200s;;;0 containerd_health=0.000800s;;;0 shims=2;;;0 runc=0;;;0 proxies=1;;;0 dockerd_restarts=0c;;;0 containerd_restarts=0c;;;0',
  );
  assert.deepEqual(lines.slice(1), [
    'dockerd  UP  pid 10  uptime 3m10s  restarts 0  dockerd_ping 1.2ms  v26.1.5',
    '├── docker-proxy 127.0.0.1:18080/tcp -> 10.213.0.3:80  UP  pid 12  uptime 3m08s',
    '└── containerd (managed)  UP  pid 20  uptime 3m00s  restarts 0  containerd_health 0.8ms  v1.7.24',
    '    ├── shim aaaaaaaaaaaa web-1 [moby]  UP  pid 50  uptime 2m30s  main nginx pid 100',
    '    └── shim bbbbbbbbbbbb db [moby]  UP  pid 70  uptime 2m10s  main postgres pid 101',
    '        └── docker-init  UP  pid 71  uptime 2m09s',
    'checks: orphan shims 0, stuck runc 0, missing proxies 0, zombies 0',
    '',
  ]);
});

test('text output strips control characters from command-line strings; JSON output is the tree', async () => {
  const evil = shim(50, '\u001b[2J\u001b]0;pwned\u0007', SOCK);
  const tree = buildEngineTree(
    await stateAfter([snap([dockerd(10), containerd(20, 10), evil])], [{ ...UP, tasks: null, published: null }]),
    OPTS,
  );
  const text = renderTreeText(tree);
  assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  assert.match(text, /shim \?\[2J\?\]0;p/);
  const parsed = JSON.parse(renderTreeJson(tree)) as EngineTree;
  assert.equal(parsed.status, 'OK');
  assert.equal(parsed.containerd?.shims[0]?.containerId, '\u001b[2J\u001b]0;pwned\u0007'.slice(0, 12));
});

test('headroom: every limit as used of limit, the ones past the rules thresholds as warning or critical reasons', async () => {
  const state = await stateAfter([snap(HEALTHY)], [UP]);
  const headroom = {
    maxFds: { containerd: 1000 },
    worstFdRatio: { containerd: 0.85 },
    worstFd: { containerd: { open: 850, limit: 1000 } },
    uninterruptibleThreads: { dockerd: 2, containerd: 0 },
    limits: [{ limit: 'kernel_pid_max' as const, max: 32768, used: 100, ratio: 0.0031 }],
    storage: [{ volume: 'exec_root' as const, availBytes: 2, sizeBytes: 100, availInodes: 50, inodes: 100 }],
  };
  const tree = buildEngineTree({ ...state, headroom }, OPTS);
  assert.equal(tree.status, 'CRITICAL');
  assert.deepEqual(tree.reasons, ['exec_root space at 98% of its limit', 'fds containerd at 85% of its limit']);
  const text = renderTreeText(tree);
  assert.match(
    text,
    /^headroom \(used of limit\): fds containerd 85% WARNING, kernel_pid_max 0\.3%, exec_root space 98% CRITICAL, exec_root inodes 50%$/m,
  );
  assert.match(text, /^threads in D: dockerd 2, containerd 0$/m);
  assert.deepEqual((JSON.parse(renderTreeJson(tree)) as EngineTree).headroom?.rows[0], {
    what: 'fds containerd',
    used: 850,
    limit: 1000,
    ratio: 0.85,
    level: 'warning',
  });
  // Without headroom (ps-list) nothing is said about it.
  assert.doesNotMatch(renderTreeText(buildEngineTree(state, OPTS)), /headroom|threads in D/);
});
