/**
 * The exporter on a real engine: the built exporter (dist/main.js) as a child process, watching a private
 * dockerd started by the rig, asserted over HTTP against what /proc says the engine really is.
 *
 * The steps share one engine and run in order. Killing dockerd comes last: without --live-restore the
 * new dockerd stops every container it finds still running.
 *
 * A second exporter polls only every 30 s: it must see each kill -9 long before its next scheduled
 * poll, from the daemons' event streams dropping (docs/architecture.md, "What a poll costs").
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  COMPONENTS,
  delay,
  fetchText,
  freePort,
  metric,
  processStartTimeSeconds,
  realComponentCounts,
  run,
  scrape,
  skipUnlessEngine,
  startEngineRig,
  startExporter,
  waitFor,
  type Component,
  type EngineRig,
  type ExporterProcess,
} from '../support/engine-rig.js';

const UP = 'docker_engine_component_up';
const PROCESSES = 'docker_engine_component_processes';
const RESTARTS = 'docker_engine_component_restarts_total';
const START_TIME = 'docker_engine_component_start_time_seconds';

const POLL_MS = 500;
const SLOW_POLL_MS = 30_000;
const LAST_POLL = 'docker_engine_exporter_last_poll_timestamp_seconds';
const PROBE_SUCCESS = 'docker_engine_probe_success';
const skip = skipUnlessEngine();

describe('core exporter against a real Docker engine', { skip, timeout: 600_000 }, () => {
  let rig: EngineRig | undefined;
  let exporter: ExporterProcess | undefined;
  let slow: ExporterProcess | undefined;
  let initContainer = '';

  const r = (): EngineRig => {
    assert.ok(rig, 'engine rig not started');
    return rig;
  };
  const ex = (): ExporterProcess => {
    assert.ok(exporter, 'exporter not started');
    return exporter;
  };
  const scrapeNow = () => scrape(ex().url);

  function exportedCounts(m: Map<string, number>): Record<Component, number | undefined> {
    const out = {} as Record<Component, number | undefined>;
    for (const c of COMPONENTS) out[c] = metric(m, PROCESSES, { component: c });
    return out;
  }

  /** Waits until the exporter's counts equal /proc's twice in a row; on timeout fails with a diff. */
  async function countsMatchRealTree(timeoutMs: number): Promise<Record<Component, number>> {
    const deadline = Date.now() + timeoutMs;
    let agreedOnce = false;
    for (;;) {
      const real = realComponentCounts(r());
      const exported = exportedCounts(await scrapeNow());
      const same = COMPONENTS.every((c) => exported[c] === real[c]);
      if (same && agreedOnce) return real;
      agreedOnce = same;
      if (Date.now() > deadline) {
        assert.deepEqual(exported, real, 'docker_engine_component_processes differs from the real tree');
        return real;
      }
      await delay(POLL_MS);
    }
  }

  /** JSON log lines the exporter wrote after `from` lines, filtered by msg and component. */
  function logLines(from: number, msg: string, component: string): Record<string, unknown>[] {
    return ex()
      .jsonLogs()
      .slice(from)
      .filter((l) => l.msg === msg && l.component === component);
  }

  /** The exporter's state-change lines after `from`, for assertion messages. */
  function stateLog(from: number): string {
    const lines = ex()
      .jsonLogs()
      .slice(from)
      .filter((l) => typeof l.msg === 'string' && l.msg.startsWith('component'));
    return `state-change lines since the step began:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`;
  }

  /**
   * Waits until the 30 s exporter is subscribed to both daemons' event streams and its next scheduled
   * poll is at least 5 s away; returns when that poll is due (ms since the epoch).
   */
  async function slowPollerReady(): Promise<number> {
    const s = slow;
    assert.ok(s, 'slow exporter not started');
    return waitFor(
      'the 30 s exporter subscribed, with its next scheduled poll 5 s away or more',
      async () => {
        const m = await scrape(s.url, 1000);
        const subscribed = ['containerd_events', 'dockerd_events'].every((probe) => metric(m, PROBE_SUCCESS, { probe }) === 1);
        const next = (metric(m, LAST_POLL) ?? 0) * 1000 + SLOW_POLL_MS;
        return subscribed &&
          metric(m, UP, { component: 'containerd' }) === 1 &&
          metric(m, UP, { component: 'dockerd' }) === 1 &&
          next - Date.now() >= 5000
          ? next
          : 0;
      },
      SLOW_POLL_MS + 20_000,
      200,
    );
  }

  /** After a kill -9 at `killedAt`: the 30 s exporter shows `component` down before `nextPoll`. */
  async function slowSeesDown(component: string, killedAt: number, nextPoll: number, t: { diagnostic(m: string): void }): Promise<void> {
    const s = slow;
    assert.ok(s, 'slow exporter not started');
    const seenAt = await waitFor(
      `the 30 s exporter to show up{${component}} 0`,
      async () => (metric(await scrape(s.url, 1000), UP, { component }) === 0 ? Date.now() : 0),
      SLOW_POLL_MS + 5000,
      20,
    );
    t.diagnostic(
      `30 s polling: kill -9 of ${component} seen after ${seenAt - killedAt} ms; next scheduled poll was ${nextPoll - killedAt} ms after the kill`,
    );
    assert.ok(seenAt < nextPoll, `${component} down seen ${seenAt - nextPoll} ms after the next scheduled poll: no event-driven poll`);
  }

  async function promtoolCheck(): Promise<void> {
    const { status, body } = await fetchText(`${ex().url}/metrics`);
    assert.equal(status, 200);
    const res = await run('promtool', ['check', 'metrics'], { input: body, allowFailure: true, timeoutMs: 30_000 });
    assert.equal(`${res.stdout}${res.stderr}`, '', 'promtool check metrics must print nothing');
    assert.equal(res.code, 0, 'promtool check metrics exit status');
  }

  before(async () => {
    rig = await startEngineRig();
    await rig.docker(['run', '-d', '--name', 'plain', 'rig/busybox', 'sleep', '1d']);
    const port = await freePort();
    initContainer = (
      await rig.docker(['run', '-d', '--name', 'init-web', '--init', '-p', `127.0.0.1:${port}:80`, 'rig/busybox', 'httpd', '-f', '-p', '80'])
    ).stdout.trim();
    exporter = await startExporter({
      args: [
        `--docker.pidfile=${rig.pidfile}`,
        `--docker.host=${rig.dockerHost}`,
        `--poll.interval=${POLL_MS}ms`,
        '--log.format=json',
        '--log.level=debug',
      ],
    });
    slow = await startExporter({
      args: [`--docker.pidfile=${rig.pidfile}`, `--docker.host=${rig.dockerHost}`, `--poll.interval=${SLOW_POLL_MS}ms`, '--log.format=json'],
    });
  });

  after(async () => {
    try {
      await exporter?.stop();
      await slow?.stop();
    } finally {
      await rig?.stop();
    }
  });

  it('exports the real process tree per component, up, and dockerd start time', async () => {
    const real = realComponentCounts(r());
    // The rig itself: one proxy for -p 127.0.0.1:P:80 (an IPv4-only binding), one docker-init, no runc.
    assert.deepEqual(real, { dockerd: 1, containerd: 1, 'containerd-shim': 2, runc: 0, 'docker-proxy': 1, 'docker-init': 1 });
    await countsMatchRealTree(15_000);

    const m = await scrapeNow();
    assert.equal(metric(m, UP, { component: 'dockerd' }), 1);
    assert.equal(metric(m, UP, { component: 'containerd' }), 1);
    const dockerd = r().dockerdPid();
    assert.ok(dockerd !== null);
    const realStart = processStartTimeSeconds(dockerd);
    assert.ok(realStart !== null);
    const exportedStart = metric(m, START_TIME, { component: 'dockerd' });
    assert.ok(exportedStart !== undefined, `${START_TIME}{component="dockerd"} missing`);
    assert.ok(Math.abs(exportedStart - realStart) <= 1, `dockerd start time: exported ${exportedStart}, /proc says ${realStart.toFixed(2)}`);
  });

  it('passes promtool check metrics', async () => {
    await promtoolCheck();
  });

  it('kill -9 of containerd: down within 2 s, back after dockerd restarts it, exactly one restart', async (t) => {
    const nextSlowPoll = await slowPollerReady();
    const before0 = await scrapeNow();
    const restarts0 = metric(before0, RESTARTS, { component: 'containerd' }) ?? 0;
    const logFrom = ex().jsonLogs().length;
    const old = r().containerdPid();
    assert.ok(old !== null, 'no containerd');

    const killedAt = Date.now();
    process.kill(old, 'SIGKILL');
    await waitFor(
      'docker_engine_component_up{component="containerd"} to be 0 within 2 s of kill -9',
      async () => metric(await scrape(ex().url, 1000), UP, { component: 'containerd' }) === 0,
      2000,
      50,
    );
    await slowSeesDown('containerd', killedAt, nextSlowPoll, t);

    // While containerd is down its shims, containers and docker-init keep running: they still count.
    await countsMatchRealTree(5000);

    // dockerd restarts containerd ~10 s later.
    await waitFor('up{containerd} to return to 1', async () => metric(await scrapeNow(), UP, { component: 'containerd' }) === 1, 40_000, 250);
    const fresh = r().containerdPid();
    assert.ok(fresh !== null && fresh !== old, `expected a new containerd, got ${fresh}`);

    await waitFor(
      `restarts_total{containerd} to reach ${restarts0 + 1}`,
      async () => (metric(await scrapeNow(), RESTARTS, { component: 'containerd' }) ?? 0) >= restarts0 + 1,
      5000,
      250,
    );
    await delay(4 * POLL_MS);
    const after1 = await scrapeNow();
    assert.equal(metric(after1, RESTARTS, { component: 'containerd' }), restarts0 + 1, 'containerd restarts rose by exactly 1');
    assert.equal(metric(after1, UP, { component: 'dockerd' }), 1);
    await countsMatchRealTree(15_000); // the shims survive a containerd restart

    const restarted = logLines(logFrom, 'component restarted', 'containerd');
    assert.equal(restarted.length, 1, `one "component restarted" line for containerd; ${stateLog(logFrom)}`);
    const line = restarted[0] as Record<string, unknown>;
    assert.equal(line.oldPid, old);
    assert.equal(line.newPid, fresh);
    assert.equal(typeof line.downSeconds, 'number');
    assert.ok((line.downSeconds as number) > 0 && (line.downSeconds as number) < 60, `downSeconds ${String(line.downSeconds)}`);
    assert.equal(logLines(logFrom, 'component down', 'containerd').length, 1, `one "component down" line for containerd; ${stateLog(logFrom)}`);
    assert.ok(
      logLines(logFrom, 'component up', 'containerd').length <= 1,
      `at most one "component up" line for containerd; ${stateLog(logFrom)}`,
    );
  });

  it('docker rm -f of the --init container removes its shim and docker-init from the counts', async () => {
    const before1 = await countsMatchRealTree(15_000);
    await r().docker(['rm', '-f', initContainer]);
    const after1 = await countsMatchRealTree(15_000);
    assert.equal(after1['containerd-shim'], before1['containerd-shim'] - 1, 'containerd-shim count dropped by 1');
    assert.equal(after1['docker-init'], before1['docker-init'] - 1, 'docker-init count dropped by 1');
    assert.equal(after1['docker-proxy'], before1['docker-proxy'] - 1, 'its docker-proxy left too');
  });

  it('kill -9 of dockerd, then a new dockerd on the same pidfile: one restart each of dockerd and containerd', async (t) => {
    const nextSlowPoll = await slowPollerReady();
    const m0 = await scrapeNow();
    const dockerdRestarts0 = metric(m0, RESTARTS, { component: 'dockerd' }) ?? 0;
    const containerdRestarts0 = metric(m0, RESTARTS, { component: 'containerd' }) ?? 0;
    const logFrom = ex().jsonLogs().length;
    const oldDockerd = r().dockerdPid();
    assert.ok(oldDockerd !== null);

    const killedAt = Date.now();
    process.kill(oldDockerd, 'SIGKILL');
    await waitFor('up{dockerd} to be 0', async () => metric(await scrapeNow(), UP, { component: 'dockerd' }) === 0, 10_000, 100);
    await slowSeesDown('dockerd', killedAt, nextSlowPoll, t);
    await r().startDockerd();
    const newDockerd = r().dockerdPid();
    assert.ok(newDockerd !== null && newDockerd !== oldDockerd);

    await waitFor(
      'dockerd and containerd up again with one more restart each',
      async () => {
        const m = await scrapeNow();
        return (
          metric(m, UP, { component: 'dockerd' }) === 1 &&
          metric(m, UP, { component: 'containerd' }) === 1 &&
          (metric(m, RESTARTS, { component: 'dockerd' }) ?? 0) >= dockerdRestarts0 + 1 &&
          (metric(m, RESTARTS, { component: 'containerd' }) ?? 0) >= containerdRestarts0 + 1
        );
      },
      30_000,
      250,
    );
    await delay(4 * POLL_MS);
    const m1 = await scrapeNow();
    assert.equal(metric(m1, RESTARTS, { component: 'dockerd' }), dockerdRestarts0 + 1, 'dockerd restarts rose by exactly 1');
    assert.equal(metric(m1, RESTARTS, { component: 'containerd' }), containerdRestarts0 + 1, 'containerd restarts rose by exactly 1');

    const restarted = logLines(logFrom, 'component restarted', 'dockerd');
    assert.equal(restarted.length, 1, `one "component restarted" line for dockerd; ${stateLog(logFrom)}`);
    assert.equal((restarted[0] as Record<string, unknown>).oldPid, oldDockerd);
    assert.equal((restarted[0] as Record<string, unknown>).newPid, newDockerd);

    // The new dockerd stops the containers it found running (no live-restore); the counts follow /proc.
    await countsMatchRealTree(30_000);
  });

  it('still passes promtool check metrics after the restarts', async () => {
    await promtoolCheck();
  });
});
