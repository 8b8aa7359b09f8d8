/**
 * Property tests of the ps-list source's pure part (psListSnapshot in
 * src/sources/ps-list/ps-list-source.ts): any list of ps entries gives a snapshot without a throw,
 * keeps exactly the entries named like an engine binary, and an engine process's argv (without spaces
 * inside arguments, which ps cannot show) comes back from ps's joined command line.
 */
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import * as fc from 'fast-check';
import { psListSnapshot, type PsListEntry } from '../../src/sources/ps-list/ps-list-source.js';
import { CANDIDATE_COMMS } from '../../src/sources/candidate-comms.js';
import { anyString, params } from '../support/property.js';

const ENGINE_BINARIES = [
  '/usr/sbin/dockerd',
  '/usr/bin/containerd',
  '/usr/bin/containerd-shim-runc-v2',
  '/usr/sbin/runc',
  '/usr/sbin/docker-proxy',
  '/sbin/docker-init',
];

const word = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).map((s) => s.replace(/[\s\0]/g, '') || 'x');
const date = fc.date({ min: new Date(0), max: new Date(4_102_444_800_000), noInvalidDate: true });

/** Entries as ps-list returns them for engine processes and for anything else. */
const entry: fc.Arbitrary<PsListEntry> = fc.oneof(
  fc
    .record({
      pid: fc.integer({ min: 1, max: 4_194_304 }),
      ppid: fc.integer({ min: 0, max: 4_194_304 }),
      bin: fc.constantFrom(...ENGINE_BINARIES),
      args: fc.array(word, { maxLength: 6 }),
      withPath: fc.boolean(),
      defunct: fc.boolean(),
      startTime: fc.option(date, { nil: undefined }),
    })
    .map((r) => ({
      pid: r.pid,
      ppid: r.ppid,
      name: basename(r.bin).slice(0, 15),
      cmd: r.defunct ? `[${basename(r.bin).slice(0, 15)}] <defunct>` : [r.bin, ...r.args].join(' '),
      ...(r.withPath && !r.defunct ? { path: r.bin } : {}),
      ...(r.startTime ? { startTime: r.startTime } : {}),
    })),
  fc.record(
    {
      pid: fc.integer({ min: 1, max: 4_194_304 }),
      ppid: fc.integer({ min: 0, max: 4_194_304 }),
      name: anyString(20),
      cmd: anyString(80),
      path: anyString(40),
      startTime: date,
    },
    { requiredKeys: ['pid', 'ppid', 'name'] },
  ),
);

describe('psListSnapshot', () => {
  it('any entries give a snapshot: engine-named entries kept, the rest dropped, argv from cmd', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), fc.nat(), (entries, takenAtMs) => {
        const snap = psListSnapshot(entries, takenAtMs);
        assert.equal(snap.scannedPids, entries.length);
        assert.equal(snap.takenAtMs, takenAtMs);
        assert.deepEqual(snap.errors, []);
        const kept = entries.filter((e) => {
          const argv0 = (e.cmd ?? '').endsWith('<defunct>') || !e.cmd ? undefined : e.cmd.split(' ')[0];
          const comm = (e.path ? basename(e.path) : basename(argv0 ?? e.name)).slice(0, 15);
          return CANDIDATE_COMMS.has(comm) || CANDIDATE_COMMS.has(e.name.slice(0, 15));
        });
        assert.deepEqual(
          snap.processes.map((p) => p.pid),
          kept.map((e) => e.pid),
        );
        snap.processes.forEach((p, i) => {
          const e = kept[i] as PsListEntry;
          const defunct = (e.cmd ?? '').endsWith('<defunct>');
          assert.equal(p.state, defunct ? 'Z' : null);
          if (!defunct && e.cmd) assert.equal(p.argv.join(' '), e.cmd);
          if (defunct) assert.deepEqual(p.argv, []);
          assert.ok(p.comm.length <= 15);
          assert.equal(p.startTimeSeconds, e.startTime ? Math.floor(e.startTime.getTime() / 1000) : null);
          assert.equal(p.startTicks, null);
          assert.equal(p.cpuSeconds, null, 'ps-list cannot see CPU: null, never estimated');
          assert.equal(p.ppid, e.ppid);
        });
      }),
      params(1000),
    );
  });

  it("an engine process's argv without spaces inside arguments round-trips through ps's command line", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ENGINE_BINARIES), fc.array(word, { maxLength: 10 }), (bin, args) => {
        const argv = [bin, ...args];
        const snap = psListSnapshot([{ pid: 42, ppid: 1, name: basename(bin).slice(0, 15), cmd: argv.join(' ') }], 0);
        assert.equal(snap.processes.length, 1);
        assert.deepEqual(snap.processes[0]?.argv, argv);
        assert.equal(snap.processes[0]?.comm, basename(bin).slice(0, 15));
      }),
      params(500),
    );
  });
});
