import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attributeEngine } from '../../src/engine/attribute.js';
import { parsePersisted, toPersisted, trackerFromPersisted } from '../../src/engine/persisted-state.js';
import { advanceTracker, initialTrackerState, type TrackerState } from '../../src/engine/tracker.js';
import { readStateFile, writeStateFile } from '../../src/sources/state-file.js';
import { containerd, dockerd, snapshot } from './engine-helpers.js';

const SETTINGS = { dockerdExpected: true, containerdAddress: null };

function poll(state: TrackerState, procs: ReturnType<typeof dockerd>[]): { state: TrackerState; events: string[] } {
  const view = attributeEngine(snapshot(procs, procs[0]?.pid ?? null), SETTINGS, state.memory);
  const out = advanceTracker(state, view, 1000);
  return { state: out.state, events: out.events.map((e) => e.type + ('component' in e ? ` ${e.component}` : '')) };
}

test('a containerd restart while the exporter was down is counted at its next start; counters continue', () => {
  let state = initialTrackerState();
  state = poll(state, [dockerd(10), containerd(20, 10)]).state;
  state = poll(state, [dockerd(10), containerd(21, 10)]).state; // one restart seen live
  const saved: unknown = JSON.parse(JSON.stringify(toPersisted(state, { exits: new Map([['moby', 4]]), ooms: new Map([['moby', 1]]) }, 5)));
  const restored = parsePersisted(saved);
  assert.deepEqual(restored.taskExits, { moby: 4 });
  // Exporter down; containerd replaced meanwhile (pid 22). At the next start:
  let next = trackerFromPersisted(restored);
  assert.equal(next.singletons.containerd.restarts, 1);
  const first = poll(next, [dockerd(10), containerd(22, 10)]);
  next = first.state;
  assert.equal(next.singletons.containerd.restarts, 2, 'the restart in the gap counts once');
  assert.equal(next.singletons.dockerd.restarts, 0, 'the same dockerd is not a restart');
  assert.deepEqual(first.events, ['up dockerd', 'restarted containerd']);
});

test('nothing changed while the exporter was down: no restart', () => {
  let state = initialTrackerState();
  state = poll(state, [dockerd(10), containerd(20, 10)]).state;
  const next = trackerFromPersisted(parsePersisted(JSON.parse(JSON.stringify(toPersisted(state, null, 5)))));
  const after = poll(next, [dockerd(10), containerd(20, 10)]).state;
  assert.equal(after.singletons.containerd.restarts, 0);
  assert.equal(after.singletons.dockerd.restarts, 0);
});

test('corrupt, partial and foreign files are one-line errors; a missing file is a first start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dee-state-'));
  try {
    const path = join(dir, 'state.json');
    assert.deepEqual(readStateFile(path), { state: null, error: null });
    for (const [content, reason] of [
      ['{not json', /not JSON/],
      ['{"version":2}', /unsupported version 2/],
      ['{"version":1,"singletons":{}}', /invalid state file: \S+ is not an object/],
      ['[]', /top level is not an object/],
    ] as const) {
      writeFileSync(path, content);
      const r = readStateFile(path);
      assert.equal(r.state, null);
      assert.match(r.error ?? '', reason);
      assert.equal((r.error ?? '').includes('\n'), false);
    }
    // Written atomically and read back whole.
    let state = initialTrackerState();
    state = poll(state, [dockerd(10), containerd(20, 10)]).state;
    assert.equal(writeStateFile(path, toPersisted(state, null, 7)), null);
    assert.equal(readStateFile(path).state?.savedAtMs, 7);
    assert.match(readFileSync(path, 'utf8'), /"version":1/);
    // An unwritable directory is a returned error, not an exception.
    writeFileSync(join(dir, 'x'), '');
    assert.match(writeStateFile(join(dir, 'x', 'state.json'), toPersisted(state, null, 8)) ?? '', /cannot write/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
