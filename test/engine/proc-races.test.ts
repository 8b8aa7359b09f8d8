/**
 * Reliability under /proc races: the built exporter scans the real /proc every 100 ms while
 * thousands of short-lived processes named like the engine's binaries start and exit (some mid-read,
 * some as zombies, some as fork-before-exec look-alikes of their parent). Every scrape is checked: the
 * exporter answers each one, the watched engine's up and restarts never change, no poll fails, no
 * read error is recorded (a process vanishing mid-scan is churn, not an error), and no state-change
 * line is logged.
 *
 * The engine it watches: the real rig (test/support/engine-rig.ts: dockerd and its managed
 * containerd, no containers) when this machine can run it; otherwise a stand-in made of idle processes
 * named containerd and containerd-shim-runc-v2 (test/support/fake-engine.ts), watched as a
 * containerd-only node. Either way the churn itself is a stand-in: test/engine/fixtures/churn.c copied
 * under the engine's binary names with argv shaped like the real ones (runc create/kill/delete, shim
 * start/delete and its long-lived form, docker-proxy, docker-init, another engine's containerd and
 * dockerd) — a real engine cannot be made to start and stop thousands of processes on demand within
 * seconds. Set PROC_RACES_ENGINE=fake to use the stand-in engine even where the rig could run,
 * PROC_RACES_TOTAL=<n> for a longer run.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  engineAvailability,
  metric,
  run,
  scrape,
  startEngineRig,
  startExporter,
  waitFor,
  type EngineRig,
  type ExporterProcess,
} from '../support/engine-rig.js';
import { compileFixture } from '../support/c-fixture.js';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.js';
import { startSampler, type Sample } from '../support/scrape-sampler.js';

const UP = 'docker_engine_component_up';
const RESTARTS = 'docker_engine_component_restarts_total';
const PROCESSES = 'docker_engine_component_processes';
const POLL_ERRORS = 'docker_engine_exporter_poll_errors_total';
const LAST_POLL = 'docker_engine_exporter_last_poll_timestamp_seconds';
const READ_ERRORS = 'docker_engine_exporter_read_errors_total';

const TOTAL = Number(process.env.PROC_RACES_TOTAL ?? 5000);
const MAX_MS = Math.max(25_000, TOTAL * 6);
const PARALLEL = 24;
/** Read-error kinds (file/reason) that churn may legitimately cause. None: a vanished pid is not an error. */
const EXPECTED_READ_ERRORS: ReadonlySet<string> = new Set();

const skip = process.getuid?.() !== 0 ? 'not root: the exporter cannot read every process in /proc' : false;

describe('/proc races: thousands of short-lived engine-named processes during scans', { skip, timeout: 300_000 }, () => {
  let rig: EngineRig | undefined;
  let fake: FakeEngine | undefined;
  let exporter: ExporterProcess | undefined;
  let dir = '';
  let churnBin = '';
  let socket = '';
  let singletons: string[] = [];

  before(async () => {
    dir = mkdtempSync('/tmp/proc-races.');
    const useRig = engineAvailability().ok && process.env.PROC_RACES_ENGINE !== 'fake';
    let args: string[];
    if (useRig) {
      rig = await startEngineRig({ noImage: true });
      socket = rig.containerdSocket;
      singletons = ['dockerd', 'containerd'];
      args = [`--docker.pidfile=${rig.pidfile}`, `--docker.host=${rig.dockerHost}`];
    } else {
      fake = await startFakeEngine();
      socket = fake.containerdSocket;
      singletons = ['containerd'];
      args = ['--docker.host=', '--docker.pidfile=', `--containerd.address=${socket}`];
    }
    churnBin = await compileFixture('churn', join(dir, 'churn'));
    mkdirSync(join(dir, 'bin'));
    for (const name of ['runc', 'containerd-shim-runc-v2', 'docker-proxy', 'docker-init', 'containerd', 'dockerd']) {
      copyFileSync(churnBin, join(dir, 'bin', name));
    }
    exporter = await startExporter({ args: [...args, '--poll.interval=100ms', '--log.format=json'] });
  });

  after(async () => {
    try {
      await exporter?.stop();
    } finally {
      try {
        await rig?.stop();
        await fake?.stop();
      } finally {
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('answers every scrape; up, restarts and poll errors never move; no read errors, no state-change lines', async (t) => {
    const ex = exporter as ExporterProcess;
    // The engine is up and has been for a few polls: the baseline.
    const base: Map<string, number> = await waitFor<Map<string, number> | null>(
      'the watched engine up in two scrapes in a row',
      async () => {
        const a = await scrape(ex.url);
        await new Promise((r) => setTimeout(r, 300));
        const b = await scrape(ex.url);
        return singletons.every((c) => metric(a, UP, { component: c }) === 1 && metric(b, UP, { component: c }) === 1) ? b : null;
      },
      30_000,
    ).then((m) => m ?? new Map());
    const baseRestarts = Object.fromEntries(singletons.map((c) => [c, metric(base, RESTARTS, { component: c }) ?? 0]));
    const baseShims = metric(base, PROCESSES, { component: 'containerd-shim' }) ?? 0;
    const logFrom = ex.jsonLogs().length;

    const sampler = startSampler(ex.url, 20);
    const churnStarted = Date.now();
    const churn = await run(churnBin, [join(dir, 'bin'), String(TOTAL), String(MAX_MS), String(PARALLEL), socket], {
      timeoutMs: MAX_MS + 60_000,
    });
    const churnMs = Date.now() - churnStarted;
    await new Promise((r) => setTimeout(r, 1000)); // and a few polls after the churn
    const samples = await sampler.stop();

    const spawned = Number(/spawned (\d+)/.exec(churn.stdout)?.[1] ?? NaN);
    const failed = samples.filter((s) => s.status !== 200);
    const fresh = samples.filter((s) => singletons.every((c) => metric(s.series, UP, { component: c }) !== undefined));
    const polls = new Set(samples.map((s) => metric(s.series, LAST_POLL)).filter((v) => v !== undefined && v > 0));
    const maxShims = Math.max(...fresh.map((s) => metric(s.series, PROCESSES, { component: 'containerd-shim' }) ?? 0));
    const slowest = Math.max(...samples.map((s) => s.tookMs));
    t.diagnostic(
      `engine: ${rig ? 'real rig' : 'stand-in'}; churn: ${churn.stdout.trim()} (${churnMs} ms wall); ` +
        `scrapes: ${samples.length} (${failed.length} failed, ${samples.length - fresh.length} stale = engine series withheld), ` +
        `slowest ${slowest.toFixed(0)} ms; distinct polls seen: ${polls.size}; max shims seen ${maxShims} (baseline ${baseShims})`,
    );

    // The churn did happen, and overlapped the scans.
    assert.ok(spawned >= Math.min(TOTAL, 2000), `churn spawned only ${spawned} processes: ${churn.stdout}${churn.stderr}`);
    assert.ok(polls.size >= 20, `only ${polls.size} distinct polls during the churn`);
    assert.ok(maxShims > baseShims, 'no scrape ever saw a churn shim: the scans did not overlap the churn');

    // It answered every scrape and never crashed.
    assert.equal(ex.exited(), false, 'the exporter exited');
    assert.deepEqual(
      failed.map((s) => `${s.status ?? 'no answer'}: ${s.error}`),
      [],
      'every scrape answered 200',
    );
    assert.ok(fresh.length >= samples.length / 4, `only ${fresh.length} of ${samples.length} scrapes had fresh engine series`);

    // Every sample: no spurious up/down, no restart, no failed poll, no unexpected read error.
    const bad: string[] = [];
    const check = (s: Sample): void => {
      const at = `scrape at +${s.atMs - churnStarted} ms`;
      for (const c of singletons) {
        const up = metric(s.series, UP, { component: c });
        if (up !== undefined && up !== 1) bad.push(`${at}: up{${c}}=${up}`);
        const restarts = metric(s.series, RESTARTS, { component: c });
        if (restarts !== undefined && restarts !== baseRestarts[c]) bad.push(`${at}: restarts_total{${c}}=${restarts}, was ${baseRestarts[c]}`);
      }
      const pollErrors = metric(s.series, POLL_ERRORS, { source: 'procfs' });
      if (pollErrors !== 0) bad.push(`${at}: poll_errors_total{procfs}=${pollErrors}`);
      for (const [key, value] of s.series) {
        if (!key.startsWith(`${READ_ERRORS}{`) || value === 0) continue;
        const m = /file="([^"]*)",reason="([^"]*)"/.exec(key);
        const kind = m ? `${m[1]}/${m[2]}` : key;
        if (!EXPECTED_READ_ERRORS.has(kind)) bad.push(`${at}: ${key} ${value}`);
      }
    };
    for (const s of samples.filter((x) => x.status === 200)) check(s);
    assert.deepEqual([...new Set(bad)].slice(0, 20), [], 'every sample');

    const changes = ex
      .jsonLogs()
      .slice(logFrom)
      .filter((l) => ['component down', 'component up', 'component restarted', 'poll failed', 'read failed'].includes(String(l.msg)));
    assert.deepEqual(changes, [], 'no state-change, poll-failure or read-failure lines during the churn');
    assert.ok(!/fatal|uncaught/i.test(ex.logs()), `exporter output:\n${ex.logs().slice(-2000)}`);
  });
});
