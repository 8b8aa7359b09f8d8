/**
 * The socket probes and chain checks on a real engine: the socket probes and chain checks of the built exporter, against a
 * private dockerd started by the rig. Hung daemons (SIGSTOP), an OOM kill, a stuck runc, a killed
 * docker-proxy, an orphan shim (a stand-in) and the event stream's drop when containerd is killed.
 * The socket-removed / unprivileged and read-only tests are in probes-readonly-engine.test.ts.
 *
 * The steps share one engine and run in order; kill -9 of containerd comes last.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import {
  delay,
  freePort,
  metric,
  processStartTimeSeconds,
  realTree,
  scrape,
  skipUnlessEngine,
  startEngineRig,
  startExporter,
  waitFor,
  type EngineRig,
  type ExporterProcess,
} from '../support/engine-rig.js';
import { compileFixture } from '../support/c-fixture.js';
import { CommandError, settlesWithin } from '../support/run.js';
import { healthz, logLinesSince, logSince, metricNow } from '../support/exporter-watch.js';
import { oomContainerArgs } from '../support/oom-container.js';

const UP = 'docker_engine_component_up';
const HEALTHY = 'docker_engine_component_healthy';
const PROCESSES = 'docker_engine_component_processes';
const PROBE_SUCCESS = 'docker_engine_probe_success';
const STUCK_RUNC = 'docker_engine_stuck_runc_processes';
const MISSING_PROXIES = 'docker_engine_missing_proxies';
const ORPHAN_SHIMS = 'docker_engine_orphan_shims';
const OOMS = 'docker_engine_task_oom_total';
const EXITS = 'docker_engine_task_exits_total';
const LAST_POLL = 'docker_engine_exporter_last_poll_timestamp_seconds';

const POLL_MS = 500;
const PROBE_TIMEOUT_MS = 1000;
/**
 * The deadline for a hung daemon: probe timeout + one poll, plus slack. The slack (1 s) covers
 * the poll that takes the failed answer into component_healthy (the probe lane answers on its own
 * clock, between two polls, and the tracker reads the answer at the next poll), the scan, and the scrape.
 */
const HANG_DEADLINE_MS = PROBE_TIMEOUT_MS + POLL_MS + 1000;
/** How long the stuck runc sleeps on `create` (the 40 s). */
const SLOW_CREATE_SECONDS = 40;
const STUCK_AFTER_S = 5;
/** src/engine/chain-checks.ts ORPHAN_GRACE_SECONDS. */
const ORPHAN_GRACE_S = 10;

const skip = skipUnlessEngine();

describe('socket probes and chain checks against a real Docker engine', { skip, timeout: 600_000 }, () => {
  let rig: EngineRig | undefined;
  let exporter: ExporterProcess | undefined;
  let toolsDir = '';
  let slowRunc = '';
  let webPort = 0;

  const r = (): EngineRig => {
    assert.ok(rig, 'engine rig not started');
    return rig;
  };
  const ex = (): ExporterProcess => {
    assert.ok(exporter, 'exporter not started');
    return exporter;
  };

  const exporterArgs = (extra: string[] = []): string[] => [
    `--docker.pidfile=${r().pidfile}`,
    `--docker.host=${r().dockerHost}`,
    `--poll.interval=${POLL_MS}ms`,
    `--probe.timeout=${PROBE_TIMEOUT_MS}ms`,
    `--runc.stuck-after=${STUCK_AFTER_S}s`,
    '--log.format=json',
    '--log.level=debug',
    ...extra,
  ];

  before(async () => {
    // The slow runc must exist before dockerd starts (--add-runtime), so before the rig's directory
    // does: it lives in a directory of its own, named runc (the exporter knows runc by its name).
    toolsDir = mkdtempSync('/tmp/prb.');
    slowRunc = await compileFixture('slow-runc', join(toolsDir, 'runc'), { CREATE_DELAY_SECONDS: SLOW_CREATE_SECONDS });
    rig = await startEngineRig({ extraDockerdArgs: ['--add-runtime', `slow=${slowRunc}`] });
    await rig.docker(['run', '-d', '--name', 'plain', 'rig/busybox', 'sleep', '1d']);
    webPort = await freePort();
    await rig.docker(['run', '-d', '--name', 'web', '--init', '-p', `127.0.0.1:${webPort}:80`, 'rig/busybox', 'httpd', '-f', '-p', '80']);
    exporter = await startExporter({ args: exporterArgs() });
  });

  after(async () => {
    try {
      await exporter?.stop();
    } finally {
      try {
        await rig?.stop();
      } finally {
        if (toolsDir) rmSync(toolsDir, { recursive: true, force: true });
      }
    }
  });

  it('starts healthy: every probe succeeds, the chain checks are 0', async () => {
    await waitFor(
      'all probes to succeed and the checks to be known',
      async () => {
        const m = await scrape(ex().url);
        return (
          [
            'containerd_health',
            'containerd_tasks',
            'containerd_version',
            'containerd_events',
            'dockerd_ping',
            'dockerd_version',
            'dockerd_info',
            'dockerd_containers',
          ].every((probe) => metric(m, PROBE_SUCCESS, { probe }) === 1) &&
          metric(m, ORPHAN_SHIMS) !== undefined &&
          metric(m, MISSING_PROXIES) !== undefined
        );
      },
      15_000,
      250,
    );
    const m = await scrape(ex().url);
    for (const component of ['dockerd', 'containerd']) {
      assert.equal(metric(m, UP, { component }), 1, `up{${component}}`);
      assert.equal(metric(m, HEALTHY, { component }), 1, `healthy{${component}}`);
    }
    assert.equal(metric(m, ORPHAN_SHIMS), 0, 'orphan_shims');
    assert.equal(metric(m, STUCK_RUNC), 0, 'stuck_runc_processes');
    assert.equal(metric(m, MISSING_PROXIES), 0, 'missing_proxies');
    const info = [...m.keys()].find((k) => k.startsWith('docker_engine_info{'));
    assert.ok(info?.includes('containerd_mode="managed"'), `docker_engine_info: ${info}`);
    const h = await healthz(ex().url);
    assert.equal(h.status, 200);
    assert.deepEqual(h.body.components, { dockerd: 'up', containerd: 'up' });
  });

  /**
   * SIGSTOP of a daemon: up stays 1 while healthy and its probe go to 0 within the deadline; after two
   * failed answers /healthz says "hung" and the log has the line; SIGCONT brings healthy back.
   */
  async function hangAndResume(t: TestContext, component: 'containerd' | 'dockerd', probe: string): Promise<void> {
    const url = ex().url;
    await waitFor(
      `${component} healthy before the hang`,
      async () => {
        const m = await scrape(url);
        return metric(m, HEALTHY, { component }) === 1 && metric(m, PROBE_SUCCESS, { probe }) === 1;
      },
      10_000,
      100,
    );
    const pid = component === 'containerd' ? r().containerdPid() : r().dockerdPid();
    assert.ok(pid !== null, `no ${component}`);
    const logFrom = ex().jsonLogs().length;
    const upSeen: Array<number | undefined> = [];
    const stoppedAt = Date.now();
    process.kill(pid, 'SIGSTOP');
    try {
      let healthyZeroMs: number | null = null;
      let probeZeroMs: number | null = null;
      await waitFor(
        `healthy{${component}} and probe_success{${probe}} to be 0`,
        async () => {
          const m = await scrape(url, 1000);
          const at = Date.now() - stoppedAt;
          upSeen.push(metric(m, UP, { component }));
          if (healthyZeroMs === null && metric(m, HEALTHY, { component }) === 0) healthyZeroMs = at;
          if (probeZeroMs === null && metric(m, PROBE_SUCCESS, { probe }) === 0) probeZeroMs = at;
          return healthyZeroMs !== null && probeZeroMs !== null;
        },
        HANG_DEADLINE_MS + 10_000,
        50,
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}\n${logSince(ex(), logFrom)}`);
      });
      t.diagnostic(
        `${component} SIGSTOP: probe_success{${probe}} 0 after ${probeZeroMs} ms, healthy 0 after ${healthyZeroMs} ms (deadline ${HANG_DEADLINE_MS} ms)`,
      );
      assert.ok(
        (probeZeroMs ?? Infinity) <= HANG_DEADLINE_MS,
        `probe_success{${probe}} went to 0 after ${probeZeroMs} ms > ${HANG_DEADLINE_MS} ms`,
      );
      assert.ok(
        (healthyZeroMs ?? Infinity) <= HANG_DEADLINE_MS,
        `healthy{${component}} went to 0 after ${healthyZeroMs} ms > ${HANG_DEADLINE_MS} ms`,
      );

      // Two failed answers in a row: hung, in /healthz and in the log.
      await waitFor(
        `/healthz to say ${component} is hung`,
        async () => {
          upSeen.push(await metricNow(url, UP, { component }, 1000));
          const h = await healthz(url);
          return h.body.components[component] === 'hung';
        },
        10_000,
        100,
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}\n${logSince(ex(), logFrom)}`);
      });
      const hung = logLinesSince(ex(), logFrom, 'component hung: process alive but not answering on its socket', { component });
      assert.equal(hung.length, 1, `one "component hung" line for ${component}; ${logSince(ex(), logFrom)}`);
      assert.equal(hung[0]?.pid, pid);
      assert.equal(hung[0]?.polls, 2, 'hung after two unanswered polls');
      assert.ok(
        upSeen.length > 0 && upSeen.every((v) => v === 1),
        `up{${component}} must stay 1 while it is stopped; saw ${JSON.stringify(upSeen)}`,
      );
      const failed = logLinesSince(ex(), logFrom, 'probe failed', { probe });
      assert.equal(failed.length, 1, `one "probe failed" line for ${probe}; ${logSince(ex(), logFrom)}`);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const resumedAt = Date.now();
    await waitFor(
      `healthy{${component}} back to 1 after SIGCONT`,
      async () => {
        const m = await scrape(url, 1000);
        return metric(m, HEALTHY, { component }) === 1 && metric(m, PROBE_SUCCESS, { probe }) === 1;
      },
      15_000,
      50,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${logSince(ex(), logFrom)}`);
    });
    t.diagnostic(`${component} SIGCONT: healthy 1 again after ${Date.now() - resumedAt} ms`);
    const h = await healthz(url);
    assert.equal(h.body.components[component], 'up');
    assert.equal(logLinesSince(ex(), logFrom, 'component answering again', { component }).length, 1, logSince(ex(), logFrom));
    assert.equal(await metricNow(url, UP, { component }), 1);
  }

  it('kill -STOP of containerd: up stays 1, healthy and containerd_health go to 0, "hung"; kill -CONT: healthy again', async (t) => {
    await hangAndResume(t, 'containerd', 'containerd_health');
  });

  it('kill -STOP of dockerd: up stays 1, healthy and dockerd_ping go to 0, "hung"; kill -CONT: healthy again', async (t) => {
    await hangAndResume(t, 'dockerd', 'dockerd_ping');
    // dockerd's own clients (the docker CLI) work again.
    await r().docker(['ps', '-q'], { timeoutMs: 20_000 });
  });

  it('an OOM kill: task_oom_total{moby} rises by exactly 1 and task_exits_total by 1', async () => {
    const url = ex().url;
    await waitFor(
      'the event stream to be subscribed',
      async () => (await metricNow(url, PROBE_SUCCESS, { probe: 'containerd_events' })) === 1,
      10_000,
    );
    const m0 = await scrape(url);
    const oom0 = metric(m0, OOMS, { namespace: 'moby' });
    const exits0 = metric(m0, EXITS, { namespace: 'moby' });
    assert.ok(oom0 !== undefined && exits0 !== undefined, 'task_oom_total and task_exits_total{namespace="moby"} present');
    const logFrom = ex().jsonLogs().length;

    const res = await r()
      .docker(oomContainerArgs('oom'))
      .then(
        () => ({ code: 0, stderr: '' }),
        (e: unknown) => {
          if (e instanceof CommandError) return { code: e.result.code, stderr: e.result.stderr };
          throw e;
        },
      );
    assert.equal(res.code, 137, `docker run exit status (stderr: ${res.stderr})`);
    const oomKilled = (await r().docker(['inspect', '-f', '{{.State.OOMKilled}}', 'oom'])).stdout.trim();
    assert.equal(oomKilled, 'true', 'the container was OOM-killed');

    await waitFor(
      'task_oom_total and task_exits_total to rise',
      async () => {
        const m = await scrape(url);
        return (metric(m, OOMS, { namespace: 'moby' }) ?? 0) > oom0 && (metric(m, EXITS, { namespace: 'moby' }) ?? 0) > exits0;
      },
      10_000,
      100,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${logSince(ex(), logFrom)}`);
    });
    // containerd repeats TaskOOM: a few polls later it must still be exactly one.
    await delay(6 * POLL_MS);
    const m1 = await scrape(url);
    assert.equal(metric(m1, OOMS, { namespace: 'moby' }), oom0 + 1, 'task_oom_total rose by exactly 1');
    assert.equal(metric(m1, EXITS, { namespace: 'moby' }), exits0 + 1, 'task_exits_total rose by exactly 1');
    await r().docker(['rm', '-f', 'oom']);
  });

  it('a runtime whose runc sleeps on create: stuck_runc_processes 1 while it sleeps, 0 after', async (t) => {
    const url = ex().url;
    assert.equal(await metricNow(url, STUCK_RUNC), 0, 'no stuck runc before');
    assert.equal(await metricNow(url, PROCESSES, { component: 'runc' }), 0, 'no runc before');
    // docker run blocks until create has finished, i.e. until the slow runc has slept.
    const startedAt = Date.now();
    const run = r().docker(['run', '-d', '--name', 'slow', '--runtime', 'slow', 'rig/busybox', 'sleep', '1d'], { timeoutMs: 120_000 });
    run.catch(() => undefined); // awaited below; keep an early failure from being unhandled
    try {
      const runcPid = await waitFor('the slow runc to run under its shim', () => realTree(r()).runc[0] ?? 0, 20_000, 100);
      const runcStart = processStartTimeSeconds(runcPid);
      assert.ok(runcStart !== null);

      // runc is counted at once; stuck only once it is older than --runc.stuck-after.
      let youngStuckValue: number | undefined;
      let youngAge = 0;
      await waitFor(
        'component_processes{runc} to be 1',
        async () => {
          const m = await scrape(url);
          if (metric(m, PROCESSES, { component: 'runc' }) !== 1) return false;
          const age = Date.now() / 1000 - runcStart;
          if (age < STUCK_AFTER_S - 1) {
            youngStuckValue = metric(m, STUCK_RUNC);
            youngAge = age;
          }
          return true;
        },
        10_000,
        100,
      );
      if (youngStuckValue !== undefined) {
        assert.equal(youngStuckValue, 0, `a runc ${youngAge.toFixed(1)} s old is not stuck yet (--runc.stuck-after=${STUCK_AFTER_S}s)`);
      }
      await waitFor('stuck_runc_processes to be 1', async () => (await metricNow(url, STUCK_RUNC)) === 1, (STUCK_AFTER_S + 10) * 1000, 100);
      const stuckAfter = Date.now() / 1000 - runcStart;
      t.diagnostic(
        `runc ${runcPid}: counted stuck at age ${stuckAfter.toFixed(1)} s (seen at ${youngAge.toFixed(1)} s, before the threshold, as not stuck: ${youngStuckValue === 0})`,
      );
      assert.ok(stuckAfter >= STUCK_AFTER_S, `stuck at age ${stuckAfter.toFixed(1)} s, before --runc.stuck-after`);

      // Still 1 a few polls later, while it still sleeps.
      await delay(4 * POLL_MS);
      const m = await scrape(url);
      assert.deepEqual(realTree(r()).runc, [runcPid], 'the slow runc is still sleeping');
      assert.equal(metric(m, STUCK_RUNC), 1, 'still stuck');
      assert.equal(metric(m, PROCESSES, { component: 'runc' }), 1);
    } finally {
      await run.catch(() => undefined);
    }
    const id = (await run).stdout.trim();
    t.diagnostic(`docker run --runtime slow took ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    assert.equal((await r().docker(['inspect', '-f', '{{.State.Running}}', id])).stdout.trim(), 'true', 'the container started in the end');
    await waitFor(
      'stuck_runc_processes and component_processes{runc} to be 0 after runc finished',
      async () => {
        const m = await scrape(url);
        return metric(m, STUCK_RUNC) === 0 && metric(m, PROCESSES, { component: 'runc' }) === 0;
      },
      10_000,
      100,
    );
    assert.deepEqual(realTree(r()).runc, []);
    await r().docker(['rm', '-f', id]);
  });

  it('kill -9 of a docker-proxy: missing_proxies is 1 (0 again once its container is gone)', async () => {
    const url = ex().url;
    await waitFor('missing_proxies to be 0', async () => (await metricNow(url, MISSING_PROXIES)) === 0, 15_000, 200);
    const proxies = realTree(r()).proxies;
    assert.equal(proxies.length, 1, `one docker-proxy (127.0.0.1:${webPort}): ${JSON.stringify(proxies)}`);
    const proxy = proxies[0] as number;
    const logFrom = ex().jsonLogs().length;
    process.kill(proxy, 'SIGKILL');
    await waitFor('the proxy to be gone', () => !realTree(r()).proxies.includes(proxy), 5000, 50);
    // /containers/json is polled every 5 s.
    await waitFor('missing_proxies to be 1', async () => (await metricNow(url, MISSING_PROXIES)) === 1, 15_000, 200).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${logSince(ex(), logFrom)}`);
    });
    assert.equal(await metricNow(url, PROCESSES, { component: 'docker-proxy' }), 0);
    await delay(4 * POLL_MS);
    assert.equal(await metricNow(url, MISSING_PROXIES), 1, 'still missing a few polls later (dockerd does not restart it)');

    await r().docker(['rm', '-f', 'web']);
    await waitFor('missing_proxies to be 0 once the container is gone', async () => (await metricNow(url, MISSING_PROXIES)) === 0, 15_000, 200);
  });

  it('an orphan shim (stand-in): orphan_shims is 1 after the grace period, 0 once it is gone', async (t) => {
    // A STAND-IN, not a real orphan: a real one needs containerd to lose a task while its shim lives
    // on, which the real components do not do on demand. This process is shaped like a shim of the
    // watched containerd (exe and argv[0] named containerd-shim-runc-v2, `-namespace moby -id <unknown>
    // -address <the rig's containerd socket>`), which is all the exporter attributes a shim by; its -id
    // is no task in moby. The binary is test/engine/fixtures/idle.c (it ignores its arguments and
    // waits; /bin/sleep would reject a shim's flags).
    const url = ex().url;
    const fake = join(r().dir, 'x', 'containerd-shim-runc-v2');
    await compileFixture('idle', fake);
    const shimsBefore = realTree(r()).shims.length;
    assert.equal(await metricNow(url, ORPHAN_SHIMS), 0, 'no orphan before');
    let child: ChildProcess | undefined;
    try {
      child = spawn(fake, ['-namespace', 'moby', '-id', 'doesnotexist', '-address', r().containerdSocket], {
        argv0: fake,
        stdio: 'ignore',
      });
      child.on('error', () => undefined);
      const pid = child.pid;
      assert.ok(pid !== undefined, 'stand-in shim spawned');
      const startedAt: number = await waitFor('the stand-in to be running', () => processStartTimeSeconds(pid) ?? 0, 5000, 20);
      await waitFor(
        'the exporter to count the stand-in as a shim',
        async () => (await metricNow(url, PROCESSES, { component: 'containerd-shim' })) === shimsBefore + 1,
        10_000,
        100,
      );
      assert.ok(realTree(r()).shims.includes(pid), 'the rig sees it as a shim of its containerd too');
      // Within the grace period it is not an orphan yet (its task might be being created).
      const age = Date.now() / 1000 - startedAt;
      if (age < ORPHAN_GRACE_S - 2) assert.equal(await metricNow(url, ORPHAN_SHIMS), 0, `a shim ${age.toFixed(1)} s old is within the grace`);
      await waitFor('orphan_shims to be 1', async () => (await metricNow(url, ORPHAN_SHIMS)) === 1, (ORPHAN_GRACE_S + 10) * 1000, 200);
      const orphanAt = Date.now() / 1000 - startedAt;
      t.diagnostic(`stand-in shim ${pid} counted as an orphan at age ${orphanAt.toFixed(1)} s`);
      assert.ok(orphanAt >= ORPHAN_GRACE_S, `orphan at ${orphanAt.toFixed(1)} s, before the ${ORPHAN_GRACE_S} s grace`);
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((res) => child?.once('exit', () => res()));
        child.kill('SIGKILL');
        await settlesWithin(exited, 5000);
      }
    }
    await waitFor('orphan_shims to be 0 once the stand-in is gone', async () => (await metricNow(url, ORPHAN_SHIMS)) === 0, 10_000, 100);
    assert.equal(await metricNow(url, PROCESSES, { component: 'containerd-shim' }), shimsBefore);
  });

  it('kill -9 of containerd with the event stream up: down is seen before the next scheduled poll', async (t) => {
    const POLL_LONG_MS = 10_000;
    const slow = await startExporter({ args: exporterArgs([`--poll.interval=${POLL_LONG_MS}ms`]) });
    try {
      await waitFor(
        'the slow-polling exporter to be subscribed with containerd up',
        async () => {
          const m = await scrape(slow.url);
          return metric(m, PROBE_SUCCESS, { probe: 'containerd_events' }) === 1 && metric(m, UP, { component: 'containerd' }) === 1;
        },
        15_000,
        100,
      );
      // Kill right after a scheduled poll, so the next one is a whole interval away.
      const last0 = (await metricNow(slow.url, LAST_POLL)) ?? 0;
      const lastPoll = await waitFor(
        'a scheduled poll',
        async () => {
          const v = (await metricNow(slow.url, LAST_POLL)) ?? 0;
          return v > last0 ? v : 0;
        },
        POLL_LONG_MS + 5000,
        20,
      );
      const nextScheduledMs = lastPoll * 1000 + POLL_LONG_MS;
      const old = r().containerdPid();
      assert.ok(old !== null, 'no containerd');
      const logFrom = slow.jsonLogs().length;
      const killedAt = Date.now();
      process.kill(old, 'SIGKILL');
      const seenAt = await waitFor(
        'up{containerd} to be 0',
        async () => ((await metricNow(slow.url, UP, { component: 'containerd' }, 1000)) === 0 ? Date.now() : 0),
        POLL_LONG_MS + 5000,
        10,
      );
      const delayMs = seenAt - killedAt;
      const loggedAt = (msg: string): string => {
        const line = logLinesSince(slow, logFrom, msg)[0];
        const at = typeof line?.time === 'string' ? Date.parse(line.time) : Number.NaN;
        return Number.isNaN(at) ? 'not logged' : `${at - killedAt} ms`;
      };
      const detail =
        `kill -9 of containerd seen as down in /metrics after ${delayMs} ms (stream drop logged after ${loggedAt('containerd event stream dropped')}, ` +
        `"component down" after ${loggedAt('component down')}); poll interval ${POLL_LONG_MS} ms, next scheduled poll ${nextScheduledMs - killedAt} ms after the kill`;
      t.diagnostic(detail);
      assert.ok(
        seenAt < nextScheduledMs,
        `down seen ${seenAt - nextScheduledMs} ms after the next scheduled poll: the event stream's drop did not trigger a poll`,
      );
      assert.ok(logLinesSince(slow, logFrom, 'containerd event stream dropped').length >= 1, `the drop is logged; ${logSince(slow, logFrom)}`);
      assert.equal(logLinesSince(slow, logFrom, 'component down', { component: 'containerd' }).length, 1, logSince(slow, logFrom));

      // dockerd restarts containerd ~10 s later; leave the engine whole.
      await waitFor(
        'dockerd to restart containerd',
        () => {
          const c = r().containerdPid();
          return c !== null && c !== old;
        },
        40_000,
        200,
      );
      await waitFor(
        'the 500 ms exporter to see containerd up and healthy again',
        async () => {
          const m = await scrape(ex().url);
          return metric(m, UP, { component: 'containerd' }) === 1 && metric(m, HEALTHY, { component: 'containerd' }) === 1;
        },
        15_000,
        200,
      );
    } finally {
      await slow.stop();
    }
  });
});
