/**
 * The alert rules proved against a real Prometheus: Debian's prometheus scrapes the built exporter, which
 * watches a private dockerd started by the rig, every second and evaluates the alert rules every
 * second; the test breaks containerd for real and reads the alerts from /api/v1/alerts, then runs
 * every dashboard panel's query against that Prometheus.
 *
 * Time scaling. The rules are written for a Prometheus that scrapes every 15 s: `for: 30s`, windows
 * of `[15m]`. Prometheus here loads a generated copy made by scaleRuleDurations(text, 15)
 * (test/support-static/rules.ts), which divides every `for:` and every range window by 15, rounding
 * up to whole seconds: `for: 30s` → 2s, `for: 1m` → 4s, `for: 5m` → 20s, `[15m]` → `[60s]`.
 * Scraping and evaluating every second instead of every 15 s, each rule then spans the same number
 * of scrapes and evaluations as in production. Thresholds, expressions and annotations stay as
 * they are. What is not scaled is the engine's own timing: dockerd restarts a killed containerd
 * after ~10 s of real time, which is less than the real ContainerdDown `for: 30s` (the rule's
 * point: a restart does not page as down, promtool-tested in docker-engine.rules.test.yml) but 5×
 * the scaled 2 s. So here ContainerdDown goes pending within a second or two and normally fires
 * ~2 s later; the test accepts either (both show the rule caught the outage) and records which state it saw.
 *
 * The steps share one engine and Prometheus and run in order: the dashboard check comes last so
 * that the restart counters have risen and every range window holds a minute of samples.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  delay,
  freePort,
  skipUnlessEngine,
  startEngineRig,
  startExporter,
  waitFor,
  type EngineRig,
  type ExporterProcess,
} from '../support/engine-rig.js';
import { readProcStat } from '../support/proc.js';
import { shimPidOf } from '../support/shim-pid.js';
import {
  activeAlerts,
  activeTargets,
  instantQuery,
  loadedRules,
  prometheusAvailability,
  promtoolCheckConfig,
  startPrometheus,
  type PromAlert,
  type PrometheusProcess,
} from '../support/prometheus.js';
import { dashboardQueries, fillVariables, type BuiltinVariables } from '../support-static/dashboard.js';
import { loadAlertRules, RULES_PATH, scaleRuleDurations } from '../support-static/rules.js';

/** Production rules assume a 15 s scrape and evaluation interval; this Prometheus uses 1 s. */
const TIME_SCALE = 15;
const JOB = 'docker-engine';
const POLL_MS = 500;

/**
 * Grafana's built-in variables as Grafana would fill them for a 5-minute dashboard on a datasource
 * whose scrape interval is set to 1 s: $__interval is at least the scrape interval, and
 * $__rate_interval = max($__interval + scrape interval, 4 × scrape interval).
 */
const BUILTINS: BuiltinVariables = { interval: '1s', rateInterval: '4s', range: '5m', rangeSeconds: 300 };

function skipReason(): string | false {
  const engine = skipUnlessEngine();
  if (engine !== false) return engine;
  const p = prometheusAvailability();
  if (p.ok) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true but Prometheus is unavailable: ${p.why}`);
  return p.why;
}
const skip = skipReason();

describe('alert rules and dashboard against a real Prometheus', { skip, timeout: 300_000 }, () => {
  let rig: EngineRig | undefined;
  let exporter: ExporterProcess | undefined;
  let prom: PrometheusProcess | undefined;
  /** The exporter's target as Prometheus labels it: 127.0.0.1:<port>. */
  let instance = '';

  const r = (): EngineRig => {
    assert.ok(rig, 'engine rig not started');
    return rig;
  };
  const p = (): PrometheusProcess => {
    assert.ok(prom, 'prometheus not started');
    return prom;
  };

  /** This instance's pending and firing alerts named `name`. */
  async function alertsNamed(name: string): Promise<PromAlert[]> {
    return (await activeAlerts(p().url)).filter((a) => a.labels['alertname'] === name && a.labels['instance'] === instance);
  }

  /** Every alertname=state seen (any instance) by alertState() since forgetSeen(). */
  const seen = new Set<string>();
  /** What each of those looked like when first seen (its labels and value), for a failure's message. */
  const seenAs = new Map<string, string>();

  function forgetSeen(): void {
    seen.clear();
    seenAs.clear();
  }

  async function alertState(name: string): Promise<'pending' | 'firing' | null> {
    const all = await activeAlerts(p().url);
    for (const a of all) {
      const key = `${a.labels['alertname']}=${a.state}`;
      seen.add(key);
      if (!seenAs.has(key)) seenAs.set(key, `${JSON.stringify(a.labels)} value ${a.value} at ${new Date().toISOString()}`);
    }
    const found = all.filter((a) => a.labels['alertname'] === name && a.labels['instance'] === instance);
    if (found.some((a) => a.state === 'firing')) return 'firing';
    if (found.some((a) => a.state === 'pending')) return 'pending';
    return null;
  }

  /**
   * No alert seen since forgetSeen() but `allowed`. Breaking containerd must not page as anything
   * else: not as dockerd, not as crash-looping after one restart, and not as the exporter being down
   * or stale (its poller must not wait on a dead or hung containerd). If one was seen, the message
   * says what it looked like and what the exporter warned about: a CI failure reads from its output.
   */
  function assertNoOtherAlerts(allowed: readonly string[]): void {
    const other = [...seen].filter((s) => !allowed.includes(s.slice(0, s.indexOf('='))));
    if (other.length === 0) return;
    const warnings = (exporter?.jsonLogs() ?? [])
      .filter((l) => l['level'] === 'warn' || l['level'] === 'error')
      .slice(-10)
      .map((l) => `${String(l['time'])} ${String(l['msg'])} ${JSON.stringify({ ...l, time: undefined, level: undefined, msg: undefined })}`);
    assert.fail(
      `alerts other than ${allowed.join(', ')}: ${other.map((k) => `${k} ${seenAs.get(k) ?? ''}`).join('; ')}; ` +
        `the exporter's last warnings: ${warnings.length === 0 ? 'none' : warnings.join(' | ')}`,
    );
  }

  async function describeAlerts(): Promise<string> {
    try {
      const all = await activeAlerts(p().url);
      return all.length === 0 ? 'no active alerts' : all.map((a) => `${a.labels['alertname']}=${a.state}`).join(', ');
    } catch (e) {
      return `(alerts unavailable: ${String(e)})`;
    }
  }

  /** One sample value of an instant query for this instance, or undefined without a series. */
  async function queryValue(expr: string): Promise<number | undefined> {
    const res = await instantQuery(p().url, expr);
    const first = res[0];
    return first === undefined ? undefined : Number(first.value[1]);
  }

  before(async () => {
    rig = await startEngineRig();
    await rig.docker(['run', '-d', '--name', 'wedge', 'rig/busybox', 'sleep', '1d']);
    const hostPort = await freePort();
    await rig.docker(['run', '-d', '--init', '-p', `127.0.0.1:${hostPort}:80`, 'rig/busybox', 'httpd', '-f', '-p', '80']);
    exporter = await startExporter({
      args: [
        `--docker.pidfile=${rig.pidfile}`,
        `--docker.host=${rig.dockerHost}`,
        `--poll.interval=${POLL_MS}ms`,
        '--probe.timeout=1s',
        '--sweep.interval=1s', // the production 15 s, scaled like the rules
        '--log.format=json',
      ],
    });

    const promDir = join(rig.dir, 'prometheus');
    mkdirSync(promDir, { recursive: true });
    const rulesFile = join(promDir, 'docker-engine.rules.yml');
    writeFileSync(rulesFile, scaleRuleDurations(readFileSync(RULES_PATH, 'utf8'), TIME_SCALE));
    const configFile = join(promDir, 'prometheus.yml');
    // JSON is YAML: no YAML writer needed. Nothing remote: no alertmanagers, remote_write or remote_read.
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [rulesFile],
      scrape_configs: [{ job_name: JOB, metrics_path: '/metrics', static_configs: [{ targets: [`127.0.0.1:${exporter.port}`] }] }],
    };
    writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    const check = await promtoolCheckConfig(configFile);
    assert.ok(check.ok, `promtool check config ${configFile} failed:\n${check.output}`);
    assert.match(check.output, /SUCCESS: \d+ rules found/, `promtool did not check the rules file:\n${check.output}`);

    const rigRef = rig;
    prom = await startPrometheus({
      configFile,
      dir: promDir,
      // Owned by the rig: if this process dies before after(), the rig's exit-time cleanup kills it.
      spawner: (cmd, args, logName) => rigRef.spawnOwned(cmd, args, join('prometheus', logName)),
    });

    const target = await waitFor(
      `the ${JOB} target to be up in /api/v1/targets`,
      async () => (await activeTargets(p().url)).find((t) => t.labels['job'] === JOB && t.health === 'up'),
      30_000,
      250,
    );
    assert.ok(target, `no ${JOB} target`);
    instance = target.labels['instance'] ?? '';
    assert.equal(instance, `127.0.0.1:${exporter.port}`);
  });

  after(async () => {
    try {
      await prom?.stop();
    } finally {
      try {
        await exporter?.stop();
      } finally {
        await rig?.stop();
      }
    }
  });

  it('loads every alert rule, evaluates each without error, and a healthy engine fires none', async () => {
    const expected = loadAlertRules()
      .map((a) => a.alert)
      .sort();
    const rules = await waitFor(
      'every rule to have been evaluated',
      async () => {
        const rs = await loadedRules(p().url);
        return rs.length > 0 && rs.every((x) => x.health !== 'unknown') ? rs : null;
      },
      15_000,
      250,
    );
    assert.ok(rules);
    assert.deepEqual(
      rules
        .filter((x) => x.type === 'alerting')
        .map((x) => x.name)
        .sort(),
      expected,
    );
    const broken = rules.filter((x) => x.health !== 'ok').map((x) => `${x.name}: ${x.lastError ?? x.health}`);
    assert.deepEqual(broken, [], 'rules whose evaluation failed');

    // Healthy engine: containerd healthy per the exporter, then several evaluations with no alert.
    await waitFor(
      'containerd and dockerd healthy in Prometheus',
      async () =>
        (await queryValue(`docker_engine_component_healthy{instance="${instance}",component="containerd"}`)) === 1 &&
        (await queryValue(`docker_engine_component_healthy{instance="${instance}",component="dockerd"}`)) === 1,
      20_000,
      250,
    );
    await delay(5000);
    const active = await activeAlerts(p().url);
    assert.deepEqual(
      active.map((a) => `${a.labels['alertname']}=${a.state}`),
      [],
      'no alert may be pending or firing for a healthy engine',
    );
  });

  it('kill -9 of containerd: ContainerdDown goes pending or firing, ContainerdRestarted fires once dockerd restarts it', async (t) => {
    const old = r().containerdPid();
    assert.ok(old !== null, 'no containerd');
    assert.equal(await alertState('ContainerdRestarted'), null, 'ContainerdRestarted active before any restart');

    forgetSeen();
    process.kill(old, 'SIGKILL');
    const killedAt = Date.now();

    // Watch every state change until ContainerdRestarted fires.
    // In an object: TypeScript does not see the callback's assignments and would narrow a plain let to null.
    const downSeen: { state: 'pending' | 'firing' | null } = { state: null };
    let restartedBeforeNewContainerd = false;
    let crashLoopingSeen = false;
    let newContainerd: number | null = null;
    await waitFor(
      'ContainerdRestarted to fire after dockerd restarts containerd',
      async () => {
        const down = await alertState('ContainerdDown');
        if (down === 'firing' || (down === 'pending' && downSeen.state === null)) downSeen.state = down;
        if ((await alertState('ContainerdCrashLooping')) !== null) crashLoopingSeen = true;
        const restarted = await alertState('ContainerdRestarted');
        const fresh = r().containerdPid();
        if (fresh !== null && fresh !== old) newContainerd = fresh;
        if (restarted !== null && newContainerd === null) restartedBeforeNewContainerd = true;
        return restarted === 'firing';
      },
      45_000,
      250,
    ).catch(async (e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; alerts: ${await describeAlerts()}`, { cause: e });
    });
    const firedAfterS = (Date.now() - killedAt) / 1000;
    assert.ok(newContainerd !== null, 'dockerd did not restart containerd, yet ContainerdRestarted fired');
    assert.ok(!restartedBeforeNewContainerd, 'ContainerdRestarted was active before a new containerd existed');
    assert.ok(downSeen.state !== null, `ContainerdDown was never pending or firing in the ${firedAfterS.toFixed(1)} s containerd was down`);
    // The shortened for: (2 s) is far below the ~10 s outage: it normally fires; pending is enough.
    t.diagnostic(`ContainerdDown reached "${downSeen.state}"; ContainerdRestarted fired ${firedAfterS.toFixed(1)} s after kill -9`);

    const [restartedAlert] = await alertsNamed('ContainerdRestarted');
    assert.equal(restartedAlert?.labels['severity'], 'warning');
    assert.equal(restartedAlert?.labels['component'], 'containerd');
    assert.equal(restartedAlert?.labels['job'], JOB);

    // Back up: ContainerdDown resolves; one restart does not page as crash-looping; dockerd did not restart.
    await waitFor('ContainerdDown to resolve', async () => (await alertState('ContainerdDown')) === null, 15_000, 250);
    assert.equal(await queryValue(`docker_engine_component_restarts_total{instance="${instance}",component="containerd"}`), 1);
    assert.ok(!crashLoopingSeen, 'ContainerdCrashLooping was active after a single restart');
    assert.equal(await alertState('ContainerdCrashLooping'), null);
    assert.equal(await alertState('DockerdRestarted'), null, 'DockerdRestarted active, but only containerd was killed');
    assert.equal(await alertState('DockerdDown'), null);
    assert.equal(await alertState('ContainerdRestarted'), 'firing', 'ContainerdRestarted stays firing for its (scaled) 60 s window');
    // ContainerdUnresponsive may go pending for a scrape or two: the new containerd is up before its
    // first health probe answers (the real rule's 30 s covers that; the scaled 2 s barely does).
    t.diagnostic(`alerts seen: ${[...seen].join(', ')}`);
    assertNoOtherAlerts(['ContainerdDown', 'ContainerdRestarted', 'ContainerdUnresponsive']);
  });

  it('kill -STOP of containerd: ContainerdUnresponsive fires; kill -CONT: it resolves', async (t) => {
    // Start from a healthy containerd (the one dockerd just restarted may still be starting).
    await waitFor(
      'containerd healthy and ContainerdUnresponsive inactive',
      async () =>
        (await queryValue(`docker_engine_component_healthy{instance="${instance}",component="containerd"}`)) === 1 &&
        (await alertState('ContainerdUnresponsive')) === null,
      30_000,
      250,
    );
    const pid = r().containerdPid();
    assert.ok(pid !== null, 'no containerd');
    const startTicks = readProcStat(pid)?.startTicks;
    assert.ok(startTicks !== undefined);
    const sameProcess = () => readProcStat(pid)?.startTicks === startTicks;

    let downSeen = false;
    forgetSeen();
    process.kill(pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    try {
      await waitFor(
        'ContainerdUnresponsive to fire while containerd is stopped',
        async () => {
          if ((await alertState('ContainerdDown')) !== null) downSeen = true;
          return (await alertState('ContainerdUnresponsive')) === 'firing';
        },
        30_000,
        250,
      ).catch(async (e: unknown) => {
        throw new Error(`${e instanceof Error ? e.message : String(e)}; alerts: ${await describeAlerts()}`);
      });
      t.diagnostic(`ContainerdUnresponsive fired ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after kill -STOP`);
      const [unresponsive] = await alertsNamed('ContainerdUnresponsive');
      assert.equal(unresponsive?.labels['severity'], 'critical');
      // A stopped process is alive: containerd is up, not down.
      assert.equal(await queryValue(`docker_engine_component_up{instance="${instance}",component="containerd"}`), 1);
    } finally {
      if (sameProcess()) process.kill(pid, 'SIGCONT');
    }
    assert.ok(
      !downSeen,
      `ContainerdDown was active while containerd was only stopped: ${seenAs.get('ContainerdDown=pending') ?? seenAs.get('ContainerdDown=firing') ?? ''}`,
    );

    const contAt = Date.now();
    await waitFor(
      'ContainerdUnresponsive to resolve after kill -CONT',
      async () => (await alertState('ContainerdUnresponsive')) === null,
      30_000,
      250,
    ).catch(async (e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; alerts: ${await describeAlerts()}`);
    });
    t.diagnostic(`alerts seen: ${[...seen].join(', ')}`);
    t.diagnostic(`ContainerdUnresponsive resolved ${((Date.now() - contAt) / 1000).toFixed(1)} s after kill -CONT`);
    // A failed scrape would also resolve it (its series go stale): say so if that is what happened.
    assert.equal(
      await queryValue(`docker_engine_component_healthy{instance="${instance}",component="containerd"}`),
      1,
      `containerd not healthy once ContainerdUnresponsive resolved; up ${String(await queryValue(`up{instance="${instance}"}`))}`,
    );
    // ContainerdRestarted is still firing from the kill -9 before (its scaled window is 60 s).
    assertNoOtherAlerts(['ContainerdUnresponsive', 'ContainerdRestarted']);
    assert.equal(r().containerdPid(), pid, 'dockerd replaced the stopped containerd; this test expects a hang, not a restart');
  });

  it('a wedged container (its shim stopped, then docker stop): the container and shim alerts fire; kill -CONT: they resolve', async (t) => {
    const id = (await r().docker(['inspect', '-f', '{{.Id}}', 'wedge'])).stdout.trim();
    const shim = shimPidOf(id);
    assert.ok(shim !== null, 'the shim of the container is found');
    const startTicks = readProcStat(shim)?.startTicks;
    const alerts = ['DockerEngineContainerUnresponsive', 'DockerEngineShimUnresponsive'];
    forgetSeen();
    process.kill(shim, 'SIGSTOP');
    const stopping = r()
      .docker(['stop', '-t', '1', 'wedge'], { timeoutMs: 120_000 })
      .then(
        () => null,
        (err: unknown) => err,
      );
    try {
      await waitFor(
        'both alerts to fire while the container is wedged',
        async () => (await Promise.all(alerts.map(alertState))).every((s) => s === 'firing'),
        30_000,
        250,
      ).catch(async (e: unknown) => {
        throw new Error(`${e instanceof Error ? e.message : String(e)}; alerts: ${await describeAlerts()}`);
      });
      assert.equal((await alertsNamed('DockerEngineContainerUnresponsive'))[0]?.labels['severity'], 'critical');
      assert.equal(await queryValue(`docker_engine_component_healthy{instance="${instance}",component="dockerd"}`), 1);
      assert.equal(await queryValue(`docker_engine_component_healthy{instance="${instance}",component="containerd"}`), 1);
    } finally {
      if (readProcStat(shim)?.startTicks === startTicks) process.kill(shim, 'SIGCONT');
    }
    await waitFor(
      'both alerts to resolve after kill -CONT',
      async () => (await Promise.all(alerts.map(alertState))).every((s) => s === null),
      30_000,
      250,
    ).catch(async (e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; alerts: ${await describeAlerts()}`);
    });
    assert.equal(await stopping, null, 'docker stop ends once the shim runs again');
    t.diagnostic(`alerts seen: ${[...seen].join(', ')}`);
    // When containerd's kill cannot reach the stopped shim, dockerd SIGKILLs the container's process
    // itself after 10 s (moby daemon/kill.go, "trying direct SIGKILL"); the stopped shim cannot reap
    // it, so a real zombie exists until kill -CONT and DockerEngineZombieProcesses may go pending.
    // Once the shim runs again it reaps it.
    await waitFor(
      'the shim to reap the container process after kill -CONT',
      async () => (await queryValue(`docker_engine_zombie_processes{instance="${instance}"}`)) === 0,
      30_000,
      250,
    );
    // DockerEngineThreadsUninterruptible went pending once in CI during this wedge (a thread of the
    // engine's tree in state D while the container was being killed under its stopped shim); which
    // thread was not recorded, so it is tolerated here, not asserted.
    // ContainerdRestarted may still fire from the kill -9 before (its scaled window is 60 s).
    assertNoOtherAlerts([...alerts, 'ContainerdRestarted', 'DockerEngineZombieProcesses', 'DockerEngineThreadsUninterruptible']);
  });

  it('a container exit while dockerd is stopped: DockerEngineStateDrift fires (exit_without_die); kill -CONT: it resolves', async (t) => {
    await waitFor('no drift alert', async () => (await alertState('DockerEngineStateDrift')) === null, 30_000, 250);
    // dockerd's connection to the containerd just resumed may still be in its handshake back-off.
    await waitFor(
      'dockerd to run a container again',
      async () =>
        r()
          .docker(['run', '-d', '--name', 'drifted', 'rig/busybox', 'sleep', '1d'])
          .then(
            () => true,
            async () => (
              await r()
                .docker(['rm', '-f', 'drifted'])
                .catch(() => undefined),
              false
            ),
          ),
      30_000,
      1000,
    );
    const victim = Number((await r().docker(['inspect', '-f', '{{.State.Pid}}', 'drifted'])).stdout.trim());
    const dockerd = r().dockerdPid();
    assert.ok(dockerd !== null && victim > 1);
    process.kill(dockerd, 'SIGSTOP');
    const stoppedAt = Date.now();
    try {
      process.kill(victim, 'SIGKILL'); // containerd sees the exit; a stopped dockerd cannot say die
      await waitFor('DockerEngineStateDrift to fire', async () => (await alertState('DockerEngineStateDrift')) === 'firing', 40_000, 250).catch(
        async (e: unknown) => {
          throw new Error(`${e instanceof Error ? e.message : String(e)}; alerts: ${await describeAlerts()}`);
        },
      );
      t.diagnostic(`DockerEngineStateDrift fired ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after the exit`);
      // The same fault seen from dockerd's side: its last list still says running while the task has
      // stopped, so running_without_task may fire beside exit_without_die; no other kind may.
      const drifts = await waitFor(
        'DockerEngineStateDrift{kind="exit_without_die"} to fire',
        async () => {
          const all = await alertsNamed('DockerEngineStateDrift');
          return all.some((a) => a.labels['kind'] === 'exit_without_die' && a.state === 'firing') ? all : undefined;
        },
        40_000,
        250,
      );
      for (const d of drifts ?? []) {
        assert.ok(['exit_without_die', 'running_without_task'].includes(d.labels['kind'] ?? ''), `drift kind ${d.labels['kind']}`);
        assert.equal(d.labels['severity'], 'warning');
      }
    } finally {
      process.kill(dockerd, 'SIGCONT');
    }
    await waitFor(
      'DockerEngineStateDrift to resolve after kill -CONT',
      async () => (await alertState('DockerEngineStateDrift')) === null,
      30_000,
      250,
    );
    await r().docker(['rm', '-f', 'drifted']);
  });

  it('every dashboard panel expression, variables filled in, returns at least one series', async () => {
    const queries = dashboardQueries();
    assert.ok(queries.length > 0, 'the dashboard has no queries');
    const empty: string[] = [];
    for (const q of queries) {
      const expr = fillVariables(q.expr, instance, BUILTINS);
      try {
        // A few seconds of grace for range functions on a scrape that was just late; never for an error.
        await waitFor(`a series for "${q.panel}" ${q.refId}`, async () => (await instantQuery(p().url, expr)).length > 0, 5000, 500);
      } catch (e) {
        empty.push(`${q.panel} [${q.refId}]: ${expr} — ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    assert.deepEqual(empty, [], `dashboard queries without a series:\n${empty.join('\n')}`);

    // The restart and downtime panels, as written in the dashboard, see the kill -9 of containerd above.
    const containerdValue = async (panel: string): Promise<number | undefined> => {
      const q = queries.find((x) => x.panel === panel);
      assert.ok(q, `no dashboard panel "${panel}"`);
      const res = await instantQuery(p().url, fillVariables(q.expr, instance, BUILTINS));
      const s = res.find((x) => x.metric['component'] === 'containerd');
      return s === undefined ? undefined : Number(s.value[1]);
    };
    const restarts = await containerdValue('Restarts in range');
    assert.ok(restarts !== undefined && restarts >= 1, `"Restarts in range" for containerd is ${restarts}, expected >= 1`);
    const down = await containerdValue('Time down in range');
    assert.ok(down !== undefined && down > 0, `"Time down in range" for containerd is ${down}, expected > 0`);
  });
});
