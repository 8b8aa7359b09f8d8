/**
 * Attribution by evidence, as tables: processes that call themselves engine binaries but run as
 * another user or in another mount namespace (a container) never count and never raise an alert,
 * whatever sockets they name; the engine's own processes still do. Literal snapshots, as the procfs
 * source fills them (uid from status, mountNs from ns/mnt, listening sockets from fds and net/unix).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeEngine, EMPTY_MEMORY, type AttributionMemory, type AttributionSettings } from '../../src/engine/attribute.js';
import { stuckRunc } from '../../src/engine/chain-checks.js';
import type { ProcessInfo } from '../../src/engine/process-model.js';
import { child, containerd, dockerd, p, shim, snapshot, SOCK } from './engine-helpers.js';

const HOST_NS = 'mnt:[4026531841]';
const POD_NS = 'mnt:[4026532999]';
const NOBODY = 65534;
const NOW = 1_000_000 + 100_000; // every process is older than --runc.stuck-after
const DEFAULT_SOCK = '/run/containerd/containerd.sock';

const host = (proc: ProcessInfo): ProcessInfo => ({ uid: 0, mountNs: HOST_NS, ...proc });
const as = (uid: number, ns: string, proc: ProcessInfo): ProcessInfo => ({ ...proc, uid, mountNs: ns });
const zombie = (pid: number, ppid: number, name: 'runc' | 'containerd-shim' | 'dockerd' | 'containerd', uid: number, ns: string): ProcessInfo =>
  as(uid, ns, p({ pid, ppid, comm: name === 'containerd-shim' ? 'containerd-shim' : name, state: 'Z', argv: [] }));
const listening = (...paths: string[]) => paths.map((path) => ({ path, fileId: null }));

/** The watched engine: dockerd 10 → managed containerd 20 → shim 30 → docker-init 31. */
const ENGINE = [
  host(dockerd(10)),
  host(containerd(20, 10, { listening: listening(SOCK, `${SOCK}.ttrpc`) })),
  host(shim(30, 'c1')),
  host(child(31, 30, 'docker-init')),
];

interface Row {
  name: string;
  procs: ProcessInfo[];
  pidfile: number | null;
  settings?: Partial<AttributionSettings>;
  memory?: Partial<AttributionMemory>;
  expect: {
    dockerd: number | null;
    containerd: number | null;
    shims: number[];
    runc?: number[];
    zombies?: number[];
    stuckRunc?: number;
    notes?: number;
  };
}

const ROWS: Row[] = [
  {
    name: 'the engine alone',
    procs: ENGINE,
    pidfile: 10,
    expect: { dockerd: 10, containerd: 20, shims: [30], runc: [], zombies: [], stuckRunc: 0 },
  },
  {
    name: 'a copy of sleep named containerd run by nobody, claiming the default socket, on a containerd-only node',
    procs: [as(NOBODY, HOST_NS, containerd(40, 1, { argv: ['containerd'], containerdAddress: null }))],
    pidfile: null,
    settings: { dockerdExpected: false },
    expect: { dockerd: null, containerd: null, shims: [] },
  },
  {
    name: "a root containerd in a container claiming the default socket is not the host's",
    procs: [
      as(0, POD_NS, containerd(40, 1, { argv: ['containerd', '--address', DEFAULT_SOCK], containerdAddress: DEFAULT_SOCK })),
      host(
        containerd(41, 1, {
          argv: ['containerd'],
          containerdAddress: DEFAULT_SOCK,
          listening: listening(DEFAULT_SOCK, `${DEFAULT_SOCK}.ttrpc`),
        }),
      ),
    ],
    pidfile: null,
    settings: { dockerdExpected: false },
    expect: { dockerd: null, containerd: 41, shims: [] },
  },
  {
    name: "a containerd that claims the engine's socket by flag but does not listen on it loses to the one that does",
    procs: [
      host(
        containerd(40, 1, {
          argv: ['containerd', '--address', DEFAULT_SOCK],
          containerdAddress: '/tmp/x.sock',
          listening: listening('/tmp/x.sock', '/tmp/x.sock.ttrpc'),
        }),
      ),
      host(
        containerd(41, 1, {
          argv: ['containerd'],
          containerdAddress: DEFAULT_SOCK,
          listening: listening(DEFAULT_SOCK, `${DEFAULT_SOCK}.ttrpc`),
        }),
      ),
    ],
    pidfile: null,
    settings: { dockerdExpected: false },
    expect: { dockerd: null, containerd: 41, shims: [] },
  },
  {
    name: "a fake shim in a container naming the engine's socket, with a runc child and a zombie: no member, no alert",
    procs: [...ENGINE, as(0, POD_NS, shim(50, 'fake')), as(0, POD_NS, child(51, 50, 'runc')), zombie(52, 50, 'runc', 0, POD_NS)],
    pidfile: 10,
    expect: { dockerd: 10, containerd: 20, shims: [30], runc: [], zombies: [], stuckRunc: 0 },
  },
  {
    name: "a fake shim of nobody on the host naming the engine's socket: no member, no alert",
    procs: [
      ...ENGINE,
      as(NOBODY, HOST_NS, shim(50, 'fake')),
      as(NOBODY, HOST_NS, child(51, 50, 'runc')),
      zombie(52, 50, 'runc', NOBODY, HOST_NS),
    ],
    pidfile: 10,
    expect: { dockerd: 10, containerd: 20, shims: [30], runc: [], zombies: [], stuckRunc: 0 },
  },
  {
    name: "the engine's own shim with a stuck runc and a zombie child still raises both",
    procs: [...ENGINE, host(child(32, 30, 'runc')), zombie(33, 30, 'runc', 0, HOST_NS)],
    pidfile: 10,
    expect: { dockerd: 10, containerd: 20, shims: [30], runc: [32], zombies: [33], stuckRunc: 1 },
  },
  {
    name: 'no pidfile: a dockerd of nobody does not make the real one ambiguous',
    procs: [...ENGINE, as(NOBODY, HOST_NS, dockerd(60, { argv: ['dockerd'] }))],
    pidfile: null,
    expect: { dockerd: 10, containerd: 20, shims: [30], notes: 0 },
  },
  {
    name: 'no pidfile: a root dockerd in a container does not make the real one ambiguous',
    procs: [...ENGINE, as(0, POD_NS, dockerd(60, { argv: ['dockerd'] }))],
    pidfile: null,
    expect: { dockerd: 10, containerd: 20, shims: [30], notes: 0 },
  },
  {
    name: 'no pidfile, the real dockerd down: a decoy dockerd of nobody is not adopted (so never "hung")',
    procs: [as(NOBODY, HOST_NS, dockerd(60, { argv: ['dockerd'] }))],
    pidfile: null,
    expect: { dockerd: null, containerd: null, shims: [] },
  },
  {
    name: 'no pidfile, the real dockerd down: a root dockerd in a container is not adopted',
    procs: [as(0, POD_NS, dockerd(60, { argv: ['dockerd'] }))],
    pidfile: null,
    expect: { dockerd: null, containerd: null, shims: [] },
  },
  {
    name: 'no pidfile: two root dockerds on the host are still ambiguous (noted, none adopted)',
    procs: [...ENGINE, host(dockerd(60, { argv: ['dockerd'] }))],
    pidfile: null,
    expect: { dockerd: null, containerd: null, shims: [], notes: 1 },
  },
  {
    name: "a stranger's zombie that took the pid dockerd had is not the engine's zombie",
    procs: [zombie(10, 1, 'dockerd', NOBODY, HOST_NS)],
    pidfile: null,
    memory: { lastDockerdPid: 10 },
    expect: { dockerd: null, containerd: null, shims: [], zombies: [] },
  },
  {
    name: "dockerd's own zombie (reparented to init) is the engine's",
    procs: [zombie(10, 1, 'dockerd', 0, HOST_NS)],
    pidfile: null,
    memory: { lastDockerdPid: 10 },
    expect: { dockerd: null, containerd: null, shims: [], zombies: [10] },
  },
  {
    name: 'a containerd child of dockerd in another mount namespace is not its managed containerd',
    procs: [host(dockerd(10)), as(0, POD_NS, containerd(20, 10)), host(shim(30, 'c1'))],
    pidfile: 10,
    expect: { dockerd: 10, containerd: null, shims: [30] },
  },
  {
    name: 'the source cannot tell uids or namespaces (ps-list, recorded fixtures): attribution as by the chain alone',
    procs: [dockerd(10), containerd(20, 10), shim(30, 'c1'), child(31, 30, 'docker-init')],
    pidfile: 10,
    expect: { dockerd: 10, containerd: 20, shims: [30], runc: [] },
  },
];

for (const row of ROWS) {
  test(`attribution: ${row.name}`, () => {
    const snap = { ...snapshot(row.procs, row.pidfile), hostMountNs: HOST_NS };
    const settings: AttributionSettings = { dockerdExpected: true, containerdAddress: null, ...row.settings };
    const view = attributeEngine(snap, settings, { ...EMPTY_MEMORY, ...row.memory });
    assert.equal(view.dockerd?.pid ?? null, row.expect.dockerd, 'dockerd');
    assert.equal(view.containerd?.pid ?? null, row.expect.containerd, 'containerd');
    assert.deepEqual(
      view.members['containerd-shim'].map((s) => s.pid),
      row.expect.shims,
      'shims',
    );
    if (row.expect.runc)
      assert.deepEqual(
        view.members.runc.map((s) => s.pid),
        row.expect.runc,
        'runc',
      );
    if (row.expect.zombies)
      assert.deepEqual(
        view.zombies.map((s) => s.pid),
        row.expect.zombies,
        'zombies',
      );
    if (row.expect.stuckRunc !== undefined) assert.equal(stuckRunc(view, NOW, 30).length, row.expect.stuckRunc, 'stuck runc');
    if (row.expect.notes !== undefined) assert.equal(view.notes.length, row.expect.notes, `notes: ${view.notes.join('; ')}`);
  });
}

test('the configured socket at another path finds the containerd whose socket file it is; shims match its own path', () => {
  const hostPath = '/run/containerd/containerd.sock';
  const engine = [
    host(
      containerd(20, 1, {
        argv: ['containerd'],
        containerdAddress: hostPath,
        listening: [
          { path: hostPath, fileId: '8:7' },
          { path: `${hostPath}.ttrpc`, fileId: '8:9' },
        ],
      }),
    ),
    host(shim(30, 'c1', hostPath)),
    host(shim(31, 'c2', hostPath)),
    // Another root containerd on the host whose socket path happens to be the configured string.
    host(containerd(40, 1, { argv: ['containerd'], containerdAddress: '/mnt/c.sock', listening: [{ path: '/mnt/c.sock', fileId: '8:100' }] })),
  ];
  const snap = { ...snapshot(engine, null), hostMountNs: HOST_NS, configuredSockets: { containerd: '8:7', docker: null } };
  const view = attributeEngine(snap, { dockerdExpected: false, containerdAddress: '/mnt/c.sock' }, EMPTY_MEMORY);
  assert.equal(view.containerd?.pid, 20);
  assert.equal(view.containerdAddress, hostPath, "the engine's own path, not the configured one");
  assert.equal(view.containerdAddressConfirmed, true);
  assert.deepEqual(
    view.members['containerd-shim'].map((s) => s.pid),
    [30, 31],
  );
  assert.equal(view.containerdMode, 'system');
});

test('the configured socket that no live containerd listens on: down, and the string is not matched by path', () => {
  const procs = [
    host(containerd(40, 1, { argv: ['containerd'], containerdAddress: '/mnt/c.sock', listening: [{ path: '/mnt/c.sock', fileId: '8:100' }] })),
  ];
  const snap = { ...snapshot(procs, null), hostMountNs: HOST_NS, configuredSockets: { containerd: '8:7', docker: null } };
  const view = attributeEngine(snap, { dockerdExpected: false, containerdAddress: '/mnt/c.sock' }, EMPTY_MEMORY);
  assert.equal(view.containerd, null);
});

test('a remembered (restored) containerd address is not confirmed until the live engine names it', () => {
  const restored: AttributionMemory = { ...EMPTY_MEMORY, containerdMode: 'system', containerdAddress: '/tmp/attacker.sock' };
  const down = attributeEngine({ ...snapshot([], null), hostMountNs: HOST_NS }, { dockerdExpected: false, containerdAddress: null }, restored);
  assert.equal(down.containerdAddress, '/tmp/attacker.sock');
  assert.equal(down.containerdAddressConfirmed, false, 'never dialled');

  const live = host(
    containerd(20, 1, { argv: ['containerd'], containerdAddress: DEFAULT_SOCK, listening: listening(DEFAULT_SOCK, `${DEFAULT_SOCK}.ttrpc`) }),
  );
  const up = attributeEngine(
    { ...snapshot([live], null), hostMountNs: HOST_NS },
    { dockerdExpected: false, containerdAddress: null },
    EMPTY_MEMORY,
  );
  assert.equal(up.containerd?.pid, 20);
  assert.equal(up.containerdAddressConfirmed, true);

  const managed = attributeEngine(
    { ...snapshot([host(dockerd(10))], 10), hostMountNs: HOST_NS },
    { dockerdExpected: true, containerdAddress: null },
    {
      ...EMPTY_MEMORY,
      containerdMode: 'managed',
      containerdAddress: SOCK,
    },
  );
  assert.equal(managed.containerd, null);
  assert.equal(managed.containerdAddressConfirmed, true, 'the live dockerd names its managed socket (exec root)');
});

test('no pidfile, two root dockerds on the host: the one listening on --docker.host is the engine', () => {
  const serving = host(dockerd(10, { listening: [{ path: '/run/docker.sock', fileId: '8:50' }] }));
  const other = host(dockerd(60, { argv: ['dockerd'], listening: [{ path: '/run/other/docker.sock', fileId: '8:51' }] }));
  const snap = { ...snapshot([serving, other], null), hostMountNs: HOST_NS, configuredSockets: { containerd: null, docker: '8:50' } };
  const view = attributeEngine(snap, { dockerdExpected: true, containerdAddress: null }, EMPTY_MEMORY);
  assert.equal(view.dockerd?.pid, 10);
  assert.deepEqual(view.notes, []);
  const unknown = attributeEngine(
    { ...snap, configuredSockets: { containerd: null, docker: null } },
    { dockerdExpected: true, containerdAddress: null },
    EMPTY_MEMORY,
  );
  assert.equal(unknown.dockerd, null, 'without the socket to compare, still ambiguous');
});
