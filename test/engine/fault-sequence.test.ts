/**
 * Reliability under a sequence of faults: one engine, one exporter (restarted once, on its
 * --state.file), and every fault in a row: kill -9 of containerd, SIGSTOP/SIGCONT of containerd and of
 * dockerd, containerd's and dockerd's sockets renamed away and back, the dockerd pidfile made unreadable and readable
 * again, a kill -9 of containerd while the exporter is down, another one after it is back, and finally
 * kill -9 of dockerd and a new dockerd. After each step the counters equal the faults injected so far
 * (exactly: nothing lost, nothing counted twice) and the step's log lines are the expected ones; at the
 * end restarts_total{containerd} = 3 containerd kills + 1 for the dockerd kill, restarts_total{dockerd}
 * = 1.
 *
 * The exporter runs as root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (test/support/
 * wrapped-exporter.ts): with them root reads a chmod 000 pidfile and the permission flip would test
 * nothing. chmod 000 is the stand-in for a read the kernel refuses the exporter in the field (an LSM
 * denial, a container running it as another user). For that step a second dockerd-named process (an
 * idle stand-in for another engine on the host, as rootless Docker beside the system one) runs, so
 * that "the only dockerd on the host" is not a fallback that happens to work.
 *
 * Renaming a daemon's socket away does not disturb connections already made (dockerd's to containerd,
 * the exporter's own), but every new client fails: the steps check that the exporter shows the daemon
 * unhealthy meanwhile (it checks the socket path before each health probe), and counts nothing.
 *
 * The rig (test/support/engine-rig.ts) runs without an image or containers: the faults are the
 * daemons', and without live-restore the new dockerd would stop containers anyway.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  delay,
  metric,
  scrape,
  skipUnlessEngine,
  startEngineRig,
  waitFor,
  type EngineRig,
  type ExporterProcess,
} from '../support/engine-rig.js';
import { compileFixture } from '../support/c-fixture.js';
import { NO_DAC_OVERRIDE, startWrappedExporter } from '../support/wrapped-exporter.js';

const UP = 'docker_engine_component_up';
const RESTARTS = 'docker_engine_component_restarts_total';
const HEALTHY = 'docker_engine_component_healthy';
const POLL_ERRORS = 'docker_engine_exporter_poll_errors_total';
const READ_ERRORS = 'docker_engine_exporter_read_errors_total';
const STATE_ERRORS = 'docker_engine_exporter_state_file_errors_total';
const POLL_MS = 250;
const HUNG = 'component hung: process alive but not answering on its socket';
const ANSWERING = 'component answering again';

const skip = skipUnlessEngine();

describe('fault sequence on one running exporter', { skip, timeout: 420_000 }, () => {
  let rig: EngineRig | undefined;
  let exporter: ExporterProcess | undefined;
  let otherDockerd: ChildProcess | undefined;
  let stopped: number[] = []; // pids a step SIGSTOPped: CONT on the way out whatever happens
  const r = (): EngineRig => {
    assert.ok(rig, 'rig not started');
    return rig;
  };
  const ex = (): ExporterProcess => {
    assert.ok(exporter, 'exporter not started');
    return exporter;
  };
  const stateFile = (): string => join(r().dir, 'exporter-state.json');
  const startExporter = (): Promise<ExporterProcess> =>
    startWrappedExporter(NO_DAC_OVERRIDE, [
      `--docker.pidfile=${r().pidfile}`,
      `--docker.host=${r().dockerHost}`,
      `--poll.interval=${POLL_MS}ms`,
      '--probe.timeout=1s',
      `--state.file=${stateFile()}`,
      '--log.format=json',
    ]);

  /** The faults injected so far: what the counters must say. */
  const expected = { containerdRestarts: 0, dockerdRestarts: 0 };
  /** Every JSON log line of every exporter run, in order. */
  const allLogs: Record<string, unknown>[] = [];

  const lines = (from: number, msg: string, component?: string): Record<string, unknown>[] =>
    ex()
      .jsonLogs()
      .slice(from)
      .filter((l) => l.msg === msg && (component === undefined || l.component === component));
  const logSince = (from: number): string =>
    ex()
      .jsonLogs()
      .slice(from)
      .filter((l) => l.level !== 'debug')
      .map((l) => JSON.stringify(l))
      .join('\n');

  /** Waits for both daemons up and healthy with exactly the expected restarts, then checks it holds for a few polls. */
  async function settled(step: string, timeoutMs = 45_000): Promise<Map<string, number>> {
    const ok = (m: Map<string, number>): boolean =>
      metric(m, UP, { component: 'dockerd' }) === 1 &&
      metric(m, UP, { component: 'containerd' }) === 1 &&
      metric(m, HEALTHY, { component: 'dockerd' }) === 1 &&
      metric(m, HEALTHY, { component: 'containerd' }) === 1 &&
      metric(m, RESTARTS, { component: 'containerd' }) === expected.containerdRestarts &&
      metric(m, RESTARTS, { component: 'dockerd' }) === expected.dockerdRestarts;
    let last: Map<string, number> = new Map();
    await waitFor(
      `${step}: both up and healthy, restarts containerd=${expected.containerdRestarts} dockerd=${expected.dockerdRestarts}`,
      async () => ok((last = await scrape(ex().url, 3000))),
      timeoutMs,
      POLL_MS,
    ).catch((err: unknown) => {
      const show = (n: string, c: string): string => `${n}{${c}}=${metric(last, n, { component: c })}`;
      throw new Error(
        `${(err as Error).message}\nlast scrape: ${[UP, HEALTHY, RESTARTS].flatMap((n) => ['dockerd', 'containerd'].map((c) => show(n, c))).join(' ')}\n${logSince(0).slice(-6000)}`,
      );
    });
    for (let i = 0; i < 4; i++) {
      await delay(POLL_MS);
      const m = await scrape(ex().url, 3000);
      assert.ok(ok(m), `${step}: the counters moved again after settling (counted twice?)\n${logSince(0).slice(-4000)}`);
      last = m;
    }
    assert.equal(metric(last, POLL_ERRORS, { source: 'procfs' }), 0, `${step}: poll errors`);
    return last;
  }

  /** A daemon that has just started and does not answer on its socket yet is starting, not hung. */
  function assertNoHungWhileStarting(from: number, what: string): void {
    assert.deepEqual(lines(from, HUNG), [], `no hung line while ${what} starts\n${logSince(from)}`);
  }

  /** kill -9 of the rig's containerd; returns the old and the new pid once dockerd restarted it. */
  async function killContainerd(): Promise<{ old: number; fresh: number }> {
    const old = r().containerdPid();
    assert.ok(old !== null, 'no containerd to kill');
    process.kill(old, 'SIGKILL');
    const fresh = (await waitFor<number | null>(
      'dockerd to restart containerd',
      () => {
        const pid = r().containerdPid();
        return pid !== null && pid !== old ? pid : null;
      },
      40_000,
    )) as number;
    return { old, fresh };
  }

  /** SIGSTOP pid until the exporter logs it hung, then SIGCONT until it logs it answering again. */
  async function stopAndContinue(component: 'dockerd' | 'containerd', pid: number): Promise<void> {
    const from = ex().jsonLogs().length;
    stopped.push(pid);
    process.kill(pid, 'SIGSTOP');
    try {
      await waitFor(`"${HUNG}" for ${component}`, () => lines(from, HUNG, component).length > 0, 20_000);
      assert.equal(metric(await scrape(ex().url), UP, { component }), 1, `a stopped ${component} is still up`);
    } finally {
      process.kill(pid, 'SIGCONT');
      stopped = stopped.filter((p) => p !== pid);
    }
    await waitFor(`"${ANSWERING}" for ${component}`, () => lines(from, ANSWERING, component).length > 0, 20_000);
    await settled(`after SIGCONT of ${component}`);
    assert.equal(lines(from, HUNG, component).length, 1, `one hung line for ${component}\n${logSince(from)}`);
    assert.equal(lines(from, ANSWERING, component).length, 1, `one answering-again line for ${component}\n${logSince(from)}`);
    for (const msg of ['component down', 'component up', 'component restarted']) {
      assert.deepEqual(lines(from, msg), [], `no "${msg}" line for a SIGSTOP/SIGCONT of ${component}\n${logSince(from)}`);
    }
  }

  before(async () => {
    rig = await startEngineRig({ noImage: true });
    exporter = await startExporter();
  });

  after(async () => {
    for (const pid of stopped) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
    try {
      if (rig) chmodSync(rig.pidfile, 0o644);
    } catch {
      /* no pidfile */
    }
    if (otherDockerd && otherDockerd.exitCode === null && otherDockerd.signalCode === null) otherDockerd.kill('SIGKILL');
    try {
      await exporter?.stop();
    } finally {
      await rig?.stop();
    }
  });

  it('0. baseline: both up and healthy, no restarts', async () => {
    await settled('baseline', 30_000);
  });

  it('1. kill -9 containerd: one down, one restart, no hung while the new one starts', async () => {
    const from = ex().jsonLogs().length;
    const { old, fresh } = await killContainerd();
    expected.containerdRestarts++;
    await settled('after kill -9 containerd #1');
    assert.equal(lines(from, 'component down', 'containerd').length, 1, logSince(from));
    const restarted = lines(from, 'component restarted', 'containerd');
    assert.equal(restarted.length, 1, logSince(from));
    assert.equal(restarted[0]?.oldPid, old);
    assert.equal(restarted[0]?.newPid, fresh);
    assert.deepEqual(lines(from, 'component restarted', 'dockerd'), [], logSince(from));
    assertNoHungWhileStarting(from, 'the new containerd');
  });

  it('2. SIGSTOP/SIGCONT containerd: hung, then answering; up throughout; no restart', async () => {
    const pid = r().containerdPid();
    assert.ok(pid !== null);
    await stopAndContinue('containerd', pid);
  });

  it('3. SIGSTOP/SIGCONT dockerd: hung, then answering; up throughout; no restart', async () => {
    const pid = r().dockerdPid();
    assert.ok(pid !== null);
    await stopAndContinue('dockerd', pid);
  });

  /**
   * A daemon's socket renamed away and back: the process stays up and is never restarted, but while
   * the socket is away new clients cannot connect, so the exporter shows it unhealthy (its own open
   * connection would still be answered: socket-present.ts), with the reason in the probe's log line.
   */
  async function socketAway(component: 'containerd' | 'dockerd', socket: string, probe: string): Promise<void> {
    const from = ex().jsonLogs().length;
    const away = `${socket}.away`;
    renameSync(socket, away);
    try {
      let last: Map<string, number> = new Map();
      await waitFor(
        `${component} unhealthy while its socket is away`,
        async () => metric((last = await scrape(ex().url, 3000)), HEALTHY, { component }) === 0,
        10_000,
        POLL_MS,
      );
      assert.equal(metric(last, UP, { component }), 1, `${component} is still up`);
      assert.equal(metric(last, 'docker_engine_probe_success', { probe }), 0, `probe_success{probe="${probe}"}`);
      const failed = lines(from, 'probe failed').filter((l) => l.probe === probe);
      assert.equal(failed.length, 1, `one "probe failed" line for ${probe}\n${logSince(from)}`);
      assert.match(String(failed[0]?.err), /no such file \(removed or renamed\?\)/);
    } finally {
      renameSync(away, socket);
    }
    await settled(`after ${component}'s socket came back`);
    assert.equal(lines(from, 'probe recovered').filter((l) => l.probe === probe).length, 1, `one "probe recovered" line\n${logSince(from)}`);
    assert.equal(
      lines(from, HUNG, component).length,
      lines(from, ANSWERING, component).length,
      `every hung line has its answering-again line\n${logSince(from)}`,
    );
    for (const msg of ['component down', 'component up', 'component restarted']) {
      assert.deepEqual(lines(from, msg), [], `no "${msg}" line\n${logSince(from)}`);
    }
  }

  it("4. containerd's socket renamed away and back: unhealthy while away, no down, no restart; healthy again", async () => {
    await socketAway('containerd', r().containerdSocket, 'containerd_health');
  });

  it("4b. dockerd's socket renamed away and back: unhealthy while away, no down, no restart; healthy again", async () => {
    await socketAway('dockerd', r().dockerSocket, 'dockerd_ping');
  });

  it('5. dockerd pidfile unreadable (chmod 000) and readable again, with another dockerd on the host: counted as read errors, dockerd never down', async () => {
    // The stand-in second engine: idle.c copied to a file named dockerd, with its own pidfile flag.
    const bin = join(r().dir, 'other-engine', 'dockerd');
    const idle = await compileFixture('idle', join(r().dir, 'other-engine', 'idle'));
    copyFileSync(idle, bin);
    otherDockerd = spawn(bin, ['--pidfile', join(r().dir, 'other-engine', 'docker.pid')], { stdio: 'ignore' });
    otherDockerd.on('error', () => undefined);
    await delay(4 * POLL_MS);
    const from = ex().jsonLogs().length;
    const before0 = await scrape(ex().url);
    const readErrors0 = metric(before0, READ_ERRORS, { file: 'pidfile', reason: 'permission' }) ?? 0;
    chmodSync(r().pidfile, 0o000);
    try {
      await waitFor(
        'a pidfile permission read error counted',
        async () => (metric(await scrape(ex().url), READ_ERRORS, { file: 'pidfile', reason: 'permission' }) ?? 0) > readErrors0,
        10_000,
      );
      await delay(2000);
    } finally {
      chmodSync(r().pidfile, 0o644);
    }
    await settled('after the pidfile is readable again');
    otherDockerd.kill('SIGKILL');
    await new Promise((res) => otherDockerd?.once('exit', res));
    assert.equal(lines(from, 'read failed').filter((l) => l.file === 'pidfile' && l.reason === 'permission').length, 1, logSince(from));
    assert.ok(
      lines(from, 'read recovered').some((l) => l.kind === 'pidfile/permission'),
      logSince(from),
    );
    for (const msg of ['component down', 'component up', 'component restarted']) {
      assert.deepEqual(lines(from, msg), [], `an unreadable pidfile is not dockerd going down: no "${msg}" line\n${logSince(from)}`);
    }
  });

  it('6. exporter stopped, containerd killed while it is down, exporter started on its --state.file: counted once', async () => {
    const m = await scrape(ex().url);
    assert.equal(metric(m, STATE_ERRORS, { operation: 'write' }), 0, 'state file writes');
    allLogs.push(...ex().jsonLogs());
    await ex().stop(); // SIGTERM: the state is flushed on the way out
    exporter = undefined;

    const { old, fresh } = await killContainerd();
    expected.containerdRestarts++;

    exporter = await startExporter();
    const m2 = await settled('after the exporter restart');
    assert.equal(metric(m2, STATE_ERRORS, { operation: 'read' }), 0, 'state file read');
    assert.ok(lines(0, 'restart memory restored').length === 1, logSince(0));
    const restarted = lines(0, 'component restarted', 'containerd');
    assert.equal(restarted.length, 1, `the restart during the gap is counted once\n${logSince(0)}`);
    assert.equal(restarted[0]?.oldPid, old);
    assert.equal(restarted[0]?.newPid, fresh);
    assert.deepEqual(lines(0, 'component restarted', 'dockerd'), [], logSince(0));
  });

  it('7. kill -9 containerd again, watched by the restarted exporter: one more restart, no hung while the new one starts', async () => {
    const from = ex().jsonLogs().length;
    const { old, fresh } = await killContainerd();
    expected.containerdRestarts++;
    await settled('after kill -9 containerd #3');
    assert.equal(lines(from, 'component down', 'containerd').length, 1, logSince(from));
    const restarted = lines(from, 'component restarted', 'containerd');
    assert.equal(restarted.length, 1, logSince(from));
    assert.equal(restarted[0]?.oldPid, old);
    assert.equal(restarted[0]?.newPid, fresh);
    assertNoHungWhileStarting(from, 'the new containerd');
  });

  it('8. kill -9 dockerd and a new dockerd: one restart each of dockerd and containerd, no hung while it starts', async () => {
    const from = ex().jsonLogs().length;
    const oldDockerd = r().dockerdPid();
    const oldContainerd = r().containerdPid();
    assert.ok(oldDockerd !== null && oldContainerd !== null);
    process.kill(oldDockerd, 'SIGKILL');
    await waitFor('up{dockerd} 0', async () => metric(await scrape(ex().url), UP, { component: 'dockerd' }) === 0, 10_000, POLL_MS);
    await r().startDockerd();
    expected.dockerdRestarts++;
    expected.containerdRestarts++;
    await settled('after the dockerd restart', 60_000);
    for (const c of ['dockerd', 'containerd']) {
      assert.equal(lines(from, 'component down', c).length, 1, `one down line for ${c}\n${logSince(from)}`);
      assert.equal(lines(from, 'component restarted', c).length, 1, `one restarted line for ${c}\n${logSince(from)}`);
    }
    assert.equal(lines(from, 'component restarted', 'dockerd')[0]?.oldPid, oldDockerd);
    assert.equal(lines(from, 'component restarted', 'dockerd')[0]?.newPid, r().dockerdPid());
    assert.equal(lines(from, 'component restarted', 'containerd')[0]?.oldPid, oldContainerd);
    assertNoHungWhileStarting(from, 'the new dockerd and its containerd');
  });

  it('at the end: every counter equals the faults injected', async (t) => {
    const m = await settled('the end');
    allLogs.push(...ex().jsonLogs());
    assert.equal(metric(m, RESTARTS, { component: 'containerd' }), 4, 'restarts_total{containerd} = 3 kills + 1 for the dockerd kill');
    assert.equal(metric(m, RESTARTS, { component: 'dockerd' }), 1, 'restarts_total{dockerd} = 1 kill');
    assert.equal(metric(m, STATE_ERRORS, { operation: 'read' }), 0);
    assert.equal(metric(m, STATE_ERRORS, { operation: 'write' }), 0);
    const count = (msg: string, component: string): number => allLogs.filter((l) => l.msg === msg && l.component === component).length;
    t.diagnostic(
      `log totals over both exporter runs: restarted containerd ${count('component restarted', 'containerd')}, dockerd ${count('component restarted', 'dockerd')}; ` +
        `down containerd ${count('component down', 'containerd')}, dockerd ${count('component down', 'dockerd')}; hung containerd ${count(HUNG, 'containerd')}, dockerd ${count(HUNG, 'dockerd')}`,
    );
    assert.equal(count('component restarted', 'containerd'), 4);
    assert.equal(count('component restarted', 'dockerd'), 1);
    assert.equal(count('component down', 'containerd'), 3, 'the gap kill has no down line: no exporter was watching');
    assert.equal(count('component down', 'dockerd'), 1);
    assert.ok(!allLogs.some((l) => l.level === 'fatal'), 'no fatal line');
  });
});
