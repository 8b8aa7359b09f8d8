/**
 * Reliability under /proc races: two built exporters watch the same engine while thousands of
 * short-lived processes named like the engine's binaries start and exit (some mid-read, some as
 * zombies, some as fork-before-exec look-alikes of their parent): one with every scan full
 * (`--scan.full-interval=0s`), one with the default rooted scan. Every scrape of each is checked: it
 * is answered, with fresh engine series, the watched engine's up and restarts never change, no poll
 * fails, no read error is recorded (a process vanishing mid-scan is churn, not an error), and no
 * state-change line is logged.
 *
 * What each must say about the look-alikes (docs/architecture.md, "Finding the engine's processes"):
 * a shim that daemonized the way containerd's do (adopted by init or a subreaper above the engine) is
 * counted while it lives, by both scans; one that is the churn's own child hangs off no engine root
 * and is never counted, by either: four such stay up for the whole churn, and scrapes still show the
 * baseline.
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
const AUDIT_MISSED = 'docker_engine_exporter_scan_audit_missed_total';
/** Two exporters share two cores with the churn and the engine: 5 polls a second each. */
const POLL_MS = 200;

const SCANS = 'docker_engine_exporter_scans_total';
const TOTAL = Number(process.env.PROC_RACES_TOTAL ?? 5000);
const MAX_MS = Math.max(25_000, TOTAL * 6);
const PARALLEL = 24;
/** Read-error kinds (file/reason) that churn may legitimately cause. None: a vanished pid is not an error. */
const EXPECTED_READ_ERRORS: ReadonlySet<string> = new Set();

const skip = process.getuid?.() !== 0 ? 'not root: the exporter cannot read every process in /proc' : false;

describe('/proc races: thousands of short-lived engine-named processes during scans', { skip, timeout: 300_000 }, () => {
  let rig: EngineRig | undefined;
  let fake: FakeEngine | undefined;
  const exporters: { name: string; ex: ExporterProcess }[] = [];
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
    // Both at once, against the same churn: the full scan's answers and the rooted scan's.
    const common = [...args, `--poll.interval=${POLL_MS}ms`, '--log.format=json'];
    exporters.push({ name: 'full scans', ex: await startExporter({ args: [...common, '--scan.full-interval=0s'] }) });
    exporters.push({ name: 'rooted scans', ex: await startExporter({ args: common }) });
  });

  after(async () => {
    try {
      for (const { ex } of exporters) await ex.stop();
    } finally {
      try {
        await rig?.stop();
        await fake?.stop();
      } finally {
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('answers every scrape with fresh series; up, restarts and poll errors never move; look-alikes off the engine never count', async (t) => {
    // The engine is up and has been for a few polls: the baselines.
    const bases = await Promise.all(exporters.map(({ ex }) => baseline(ex.url, singletons)));
    const logFrom = exporters.map(({ ex }) => ex.jsonLogs().length);

    const samplers = exporters.map(({ ex }) => startSampler(ex.url, 20));
    const churnStarted = Date.now();
    const churn = await run(churnBin, [join(dir, 'bin'), String(TOTAL), String(MAX_MS), String(PARALLEL), socket], {
      timeoutMs: MAX_MS + 60_000,
    });
    const churnEnded = Date.now();
    await new Promise((r) => setTimeout(r, 1000)); // and a few polls after the churn
    const sampled = await Promise.all(samplers.map((s) => s.stop()));
    const spawned = Number(/spawned (\d+)/.exec(churn.stdout)?.[1] ?? NaN);
    t.diagnostic(`engine: ${rig ? 'real rig' : 'stand-in'}; churn: ${churn.stdout.trim()} (${churnEnded - churnStarted} ms wall)`);
    // Thousands on an idle machine; fewer on a busy one, where each exporter's own checks below say
    // whether the scans met the churn.
    assert.ok(spawned >= Math.min(TOTAL, 200), `churn spawned only ${spawned} processes: ${churn.stdout}${churn.stderr}`);

    const bad: string[] = [];
    exporters.forEach(({ name, ex }, i) => {
      const base = bases[i] as Map<string, number>;
      const samples = sampled[i] as Sample[];
      const baseRestarts = Object.fromEntries(singletons.map((c) => [c, metric(base, RESTARTS, { component: c }) ?? 0]));
      const baseShims = metric(base, PROCESSES, { component: 'containerd-shim' }) ?? 0;
      const failed = samples.filter((s) => s.status !== 200);
      const fresh = samples.filter((s) => s.status === 200 && singletons.every((c) => metric(s.series, UP, { component: c }) !== undefined));
      const polls = new Set(samples.map((s) => metric(s.series, LAST_POLL)).filter((v) => v !== undefined && v > 0));
      // While the resident look-alikes live (the whole churn, give or take a poll at each end).
      const during = fresh.filter((s) => s.atMs > churnStarted + 1000 && s.atMs + s.tookMs < churnEnded - 1000);
      const shims = (s: Sample): number => metric(s.series, PROCESSES, { component: 'containerd-shim' }) ?? 0;
      const last = samples.at(-1)?.series ?? new Map<string, number>();
      const scans = [...last].filter(([k]) => k.startsWith(`${SCANS}{`)).map(([k, v]) => `${k.slice(SCANS.length)}=${v}`);
      t.diagnostic(
        `${name}: scrapes ${samples.length} (${failed.length} failed, ${samples.length - fresh.length} stale), slowest ` +
          `${Math.max(...samples.map((s) => s.tookMs)).toFixed(0)} ms; distinct polls ${polls.size}; shims seen ` +
          `${Math.min(...during.map(shims))}..${Math.max(...fresh.map(shims))} (baseline ${baseShims}); scans ${scans.join(' ')}`,
      );

      assert.equal(ex.exited(), false, `${name}: the exporter exited`);
      assert.deepEqual(
        failed.map((s) => `${s.status ?? 'no answer'}: ${s.error}`),
        [],
        `${name}: every scrape answered 200`,
      );
      assert.equal(fresh.length, samples.length, `${name}: every scrape has fresh engine series`);
      assert.ok(polls.size >= 20, `${name}: only ${polls.size} distinct polls during the churn`);
      // The churn overlapped the scans: a daemonized look-alike shim was counted, as a real one is.
      assert.ok(Math.max(...fresh.map(shims)) > baseShims, `${name}: no scrape ever saw a daemonized churn shim`);
      // The four resident look-alikes, children of the churn, never counted: some scrape shows the baseline.
      assert.ok(during.length > 0 && Math.min(...during.map(shims)) === baseShims, `${name}: the churn's own shims were counted`);
      const rooted =
        (metric(last, SCANS, { kind: 'rooted', reason: 'children' }) ?? 0) + (metric(last, SCANS, { kind: 'rooted', reason: 'new-pids' }) ?? 0);
      if (name === 'rooted scans') assert.ok(rooted > 0, `${name}: no rooted scan ran`);
      else assert.equal(rooted, 0, `${name}: a rooted scan ran`);
      assert.equal(metric(last, AUDIT_MISSED), 0, `${name}: the audit counted a miss`);

      for (const s of fresh) {
        const at = `${name}: scrape at +${s.atMs - churnStarted} ms`;
        for (const c of singletons) {
          const up = metric(s.series, UP, { component: c });
          if (up !== 1) bad.push(`${at}: up{${c}}=${up}`);
          const restarts = metric(s.series, RESTARTS, { component: c });
          if (restarts !== baseRestarts[c]) bad.push(`${at}: restarts_total{${c}}=${restarts}, was ${baseRestarts[c]}`);
        }
        const pollErrors = metric(s.series, POLL_ERRORS, { source: 'procfs' });
        if (pollErrors !== 0) bad.push(`${at}: poll_errors_total{procfs}=${pollErrors}`);
        for (const [key, value] of s.series) {
          if (!key.startsWith(`${READ_ERRORS}{`) || value === 0) continue;
          const m = /file="([^"]*)",reason="([^"]*)"/.exec(key);
          const kind = m ? `${m[1]}/${m[2]}` : key;
          if (!EXPECTED_READ_ERRORS.has(kind)) bad.push(`${at}: ${key} ${value}`);
        }
      }
      const changes = ex
        .jsonLogs()
        .slice(logFrom[i])
        .filter((l) => ['component down', 'component up', 'component restarted', 'poll failed', 'read failed'].includes(String(l.msg)));
      assert.deepEqual(changes, [], `${name}: no state-change, poll-failure or read-failure lines during the churn`);
      assert.ok(!/fatal|uncaught/i.test(ex.logs()), `${name}: exporter output:\n${ex.logs().slice(-2000)}`);
    });
    assert.deepEqual([...new Set(bad)].slice(0, 20), [], 'every sample');
  });
});

/** Scrapes until the watched engine is up in two scrapes in a row; the second is the baseline. */
async function baseline(url: string, singletons: readonly string[]): Promise<Map<string, number>> {
  const found = await waitFor<Map<string, number> | null>(
    'the watched engine up in two scrapes in a row',
    async () => {
      const a = await scrape(url);
      await new Promise((r) => setTimeout(r, 300));
      const b = await scrape(url);
      return singletons.every((c) => metric(a, UP, { component: c }) === 1 && metric(b, UP, { component: c }) === 1) ? b : null;
    },
    30_000,
  );
  return found ?? new Map();
}
