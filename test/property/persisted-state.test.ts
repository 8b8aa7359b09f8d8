/**
 * Property tests of restart memory (src/engine/persisted-state.ts, src/sources/state-file.ts): any
 * tracker state survives toPersisted → JSON → parsePersisted and the restored tracker saves the same
 * state again; any JSON, and any valid file with one value replaced by any JSON, gives a valid state
 * or an InvalidStateError, never a half-restored state or another exception.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as fc from 'fast-check';
import { COMPONENTS, type Component, type ContainerdMode } from '../../src/engine/components.js';
import {
  InvalidStateError,
  parsePersisted,
  toPersisted,
  trackerFromPersisted,
  type EventCounts,
  type PersistedState,
} from '../../src/engine/persisted-state.js';
import { initialTrackerState, type Identity, type TrackerState } from '../../src/engine/tracker.js';
import { readStateFile, writeStateFile } from '../../src/sources/state-file.js';
import { anyString, assertOneLineError, onlyThrows, params } from '../support/property.js';

const MODES: readonly ContainerdMode[] = ['managed', 'system', 'none', 'unknown'];
const nonNegative = fc.double({ min: 0, max: 1e12, noNaN: true, noDefaultInfinity: true });
const key = fc.oneof(anyString(30), fc.constantFrom('__proto__', 'constructor', 'toString', 'moby', 'k8s.io', ''));

const identity: fc.Arbitrary<Identity> = fc.record(
  {
    pid: fc.integer({ min: 1, max: 4_194_304 }),
    start: fc.option(fc.nat(), { nil: null }),
    startTimeSeconds: fc.option(nonNegative, { nil: null }),
  },
  { noNullPrototype: true },
);

const trackerState: fc.Arbitrary<TrackerState> = fc
  .record({
    dockerd: fc.record(
      { current: fc.option(identity, { nil: null }), last: fc.option(identity, { nil: null }), restarts: fc.nat() },
      { noNullPrototype: true },
    ),
    containerd: fc.record(
      { current: fc.option(identity, { nil: null }), last: fc.option(identity, { nil: null }), restarts: fc.nat() },
      { noNullPrototype: true },
    ),
    retired: fc.tuple(...COMPONENTS.map(() => nonNegative)),
    liveCpu: fc.array(fc.tuple(key, fc.constantFrom(...COMPONENTS), nonNegative), { maxLength: 8 }),
    mode: fc.constantFrom(...MODES),
    address: fc.option(anyString(80), { nil: null }),
    polls: fc.nat(),
  })
  .map((r) => {
    const s = initialTrackerState();
    s.singletons.dockerd = { ...s.singletons.dockerd, ...r.dockerd };
    s.singletons.containerd = { ...s.singletons.containerd, ...r.containerd };
    s.retiredCpuSeconds = Object.fromEntries(COMPONENTS.map((c, i) => [c, r.retired[i] as number])) as Record<Component, number>;
    s.liveCpu = new Map(r.liveCpu.map(([k, component, cpuSeconds]) => [k, { component, cpuSeconds }]));
    s.memory = { containerdMode: r.mode, containerdAddress: r.address, lastDockerdPid: null, lastContainerdPid: null };
    s.polls = r.polls;
    return s;
  });

const eventCounts: fc.Arbitrary<EventCounts | null> = fc.option(
  fc.record(
    {
      exits: fc.array(fc.tuple(key, fc.nat()), { maxLength: 4 }).map((e) => new Map(e)),
      ooms: fc.array(fc.tuple(key, fc.nat()), { maxLength: 4 }).map((e) => new Map(e)),
    },
    { noNullPrototype: true },
  ),
  { nil: null },
);

const savedAt = fc.integer({ min: 0, max: 4_102_444_800_000 });
const persisted: fc.Arbitrary<PersistedState> = fc.tuple(trackerState, eventCounts, savedAt).map(([t, e, at]) => toPersisted(t, e, at));

/** Every number in a parsed state is finite and not negative, every enum one of its values. */
function assertValid(p: PersistedState): void {
  const numbers: number[] = [p.savedAtMs, ...Object.values(p.retiredCpuSeconds), ...Object.values(p.taskExits), ...Object.values(p.taskOoms)];
  for (const s of [p.singletons.dockerd, p.singletons.containerd]) {
    numbers.push(s.restarts);
    if (s.last)
      numbers.push(
        s.last.pid,
        ...(s.last.start === null ? [] : [s.last.start]),
        ...(s.last.startTimeSeconds === null ? [] : [s.last.startTimeSeconds]),
      );
  }
  for (const e of p.liveCpu) {
    numbers.push(e.cpuSeconds);
    assert.ok(COMPONENTS.includes(e.component));
    assert.equal(typeof e.key, 'string');
  }
  for (const n of numbers) assert.ok(typeof n === 'number' && Number.isFinite(n) && n >= 0, `bad number ${n}`);
  assert.ok(MODES.includes(p.containerdMode));
  assert.ok(p.containerdAddress === null || typeof p.containerdAddress === 'string');
  assert.deepEqual(Object.keys(p.retiredCpuSeconds).sort(), [...COMPONENTS].sort());
}

describe('persisted state', () => {
  it('toPersisted → JSON → parsePersisted gives the same state back', () => {
    fc.assert(
      fc.property(persisted, (p) => {
        assert.deepEqual(parsePersisted(JSON.parse(JSON.stringify(p))), p);
      }),
      params(1000),
    );
  });

  it('the tracker restored from a state saves the same state again (counters and identities continue)', () => {
    fc.assert(
      fc.property(trackerState, eventCounts, savedAt, (t, e, at) => {
        const p = parsePersisted(JSON.parse(JSON.stringify(toPersisted(t, e, at))));
        const restored = trackerFromPersisted(p);
        assert.deepEqual(toPersisted(restored, e, at), p);
        for (const name of ['dockerd', 'containerd'] as const) {
          assert.equal(restored.singletons[name].restarts, t.singletons[name].restarts);
          assert.deepEqual(restored.singletons[name].last, t.singletons[name].current ?? t.singletons[name].last);
          assert.equal(restored.singletons[name].current, null, 'a restored identity waits to be compared, it is not "up"');
        }
      }),
      params(1000),
    );
  });

  it('any JSON gives a valid state or an InvalidStateError', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (data) => {
        const p = onlyThrows(InvalidStateError, () => parsePersisted(data));
        if (p) assertValid(p);
      }),
      params(2000),
    );
  });

  /** A valid state (as JSON data) with the value at one path replaced (or deleted). */
  const corrupted = fc.tuple(persisted, fc.nat(), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined })).map(([p, at, replacement]) => {
    const data = JSON.parse(JSON.stringify(p)) as unknown;
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]): void => {
      paths.push(path);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(data, []);
    const path = paths[at % paths.length] as (string | number)[];
    if (path.length === 0) return replacement ?? null;
    let parent = data as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
    const last = path[path.length - 1] as string | number;
    if (replacement === undefined && Array.isArray(parent)) parent.splice(last as number, 1);
    else if (replacement === undefined) delete parent[last];
    else parent[last] = replacement;
    return data;
  });

  it('a valid state with any one value replaced or removed gives a valid state or an InvalidStateError', () => {
    fc.assert(
      fc.property(corrupted, (data) => {
        const p = onlyThrows(InvalidStateError, () => parsePersisted(data));
        if (p) assertValid(p);
      }),
      params(3000),
    );
  });

  it('an InvalidStateError message is one line', () => {
    // It is logged and counted ("state file ignored"); the message names the bad field, and a map key
    // (a containerd namespace in taskExits, a liveCpu key) is part of that name.
    fc.assert(
      fc.property(fc.oneof(corrupted, fc.jsonValue({ maxDepth: 4 })), (data) => {
        assertOneLineError(InvalidStateError, () => parsePersisted(data));
      }),
      params(3000),
    );
  });

  describe('through the file (atomic write, read back)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dee-prop-state-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('writeStateFile → readStateFile gives the same state back', () => {
      fc.assert(
        fc.property(persisted, (p) => {
          const path = join(dir, 'state.json');
          assert.equal(writeStateFile(path, p), null);
          assert.deepEqual(readStateFile(path), { state: p, error: null });
        }),
        params(100),
      );
    });

    it('any file content gives a state or an error, never a throw', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            anyString(),
            fc.json({ maxDepth: 3 }),
            corrupted.map((d) => JSON.stringify(d) ?? ''),
          ),
          (text) => {
            const path = join(dir, 'junk.json');
            writeFileSync(path, text);
            const r = readStateFile(path);
            assert.ok((r.state === null) !== (r.error === null), `exactly one of state and error: ${JSON.stringify(r)}`);
            if (r.state) assertValid(r.state);
          },
        ),
        params(300),
      );
    });
  });
});
