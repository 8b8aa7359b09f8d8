/**
 * Deep health, dockerd's container events and state drift on a real engine (one rig, steps in order):
 * the new probes answer; /info's goroutines and event listeners match `docker info`; plugin errors
 * match `ctr plugins ls`; die, oom and health_status events are counted by type; one wedged container
 * (its shim SIGSTOPped, a `docker stop` on it pending) leaves dockerd healthy; and a container exit
 * while dockerd is SIGSTOPped is an exit without `die` until dockerd runs again. Last, a real Prometheus
 * loads rules generated from the mixin with low thresholds and short `for`s (mixin/README.md) and sees
 * DockerdEventListenerLeak and DockerdGoroutineLeak fire on event streams this test leaves open and
 * resolve once it closes them, and DockerEngineContainersDying fire on containers that run and die
 * and resolve once its window has passed. (The committed thresholds are promtool-tested only.)
 *
 * containerd's deep health (Namespaces/List hanging while Health/Check answers) cannot be shown on a
 * real engine: test/sources/deep-health-fakes.test.ts says why and proves it against a fake.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  delay,
  fetchText,
  metric,
  run,
  scrape,
  skipUnlessEngine,
  startEngineRig,
  startExporter,
  waitFor,
  type EngineRig,
  type ExporterProcess,
} from '../support/engine-rig.js';
import { CommandError } from '../support/run.js';
import { logSince } from '../support/exporter-watch.js';
import { openEventStreams } from '../support/event-streams.js';
import { generateRules, mixinUnavailable } from '../support/mixin-rules.js';
import {
  activeAlerts,
  instantQuery,
  prometheusAvailability,
  promtoolCheckConfig,
  startPrometheus,
  type PrometheusProcess,
} from '../support/prometheus.js';
import { oomContainerArgs } from '../support/oom-container.js';

const HEALTHY = 'docker_engine_component_healthy';
const PROBE_SUCCESS = 'docker_engine_probe_success';
const EVENTS = 'docker_engine_container_events_total';
const DRIFT = 'docker_engine_state_drift';
const POLL_MS = 500;
const PROBE_TIMEOUT_MS = 1000;
/** src/engine/state-drift.ts CONFIRM_MS, plus polls and a scrape. */
const DRIFT_DEADLINE_MS = 10_000 + 8_000;

const skip = skipUnlessEngine();

/** The leak alerts' thresholds for the Prometheus below, and the faults that cross them. */
const LISTENER_THRESHOLD = 5;
/** Goroutines above the measured idle count; each leaked stream adds at least one (its connection). */
const GOROUTINE_MARGIN = 20;
const LEAKED_STREAMS = 30;
const DEATH_THRESHOLD = 3;
const DEATHS = 5;
const DYING_WINDOW = '12s';
const leakAlertsSkip = skip !== false ? false : prometheusSkip();

const exporterArgs = (rig: EngineRig): string[] => [
  `--docker.pidfile=${rig.pidfile}`,
  `--docker.host=${rig.dockerHost}`,
  `--poll.interval=${POLL_MS}ms`,
  `--probe.timeout=${PROBE_TIMEOUT_MS}ms`,
  '--log.format=json',
];

function prometheusSkip(): string | false {
  const p = prometheusAvailability();
  if (!p.ok) {
    if (process.env.CI === 'true') throw new Error(`CI=true but Prometheus is unavailable: ${p.why}`);
    return p.why;
  }
  return mixinUnavailable();
}

describe('deep health, container events and state drift on a real Docker engine', { skip, timeout: 300_000 }, () => {
  let rig: EngineRig | undefined;
  let exporter: ExporterProcess | undefined;
  const stopped = new Set<number>(); // pids this test SIGSTOPped: resumed whatever happens
  const r = (): EngineRig => {
    assert.ok(rig, 'engine rig not started');
    return rig;
  };
  const ex = (): ExporterProcess => {
    assert.ok(exporter, 'exporter not started');
    return exporter;
  };
  const stop = (pid: number): void => {
    stopped.add(pid);
    process.kill(pid, 'SIGSTOP');
  };
  const resume = (pid: number): void => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone already
    }
    stopped.delete(pid);
  };
  const pidOf = async (name: string): Promise<number> => Number((await r().docker(['inspect', '-f', '{{.State.Pid}}', name])).stdout.trim());
  const events = async (type: string): Promise<number> => metric(await scrape(ex().url), EVENTS, { type }) ?? -1;

  before(async () => {
    rig = await startEngineRig();
    await rig.docker(['run', '-d', '--name', 'plain', 'rig/busybox', 'sleep', '1d']);
    exporter = await startExporter({ args: exporterArgs(rig) });
  });

  after(async () => {
    for (const pid of [...stopped]) resume(pid);
    try {
      await exporter?.stop();
    } finally {
      await rig?.stop();
    }
  });

  it('starts healthy: the deep probes and the event stream answer, every drift kind is 0', async () => {
    const probes = [
      'containerd_health',
      'containerd_state',
      'containerd_plugins',
      'dockerd_ping',
      'dockerd_info',
      'dockerd_containers',
      'dockerd_events',
    ];
    const kinds = ['running_without_task', 'task_process_dead', 'task_unknown_to_dockerd', 'exit_without_die'];
    await waitFor(
      'the deep probes to succeed and every drift kind to be known',
      async () => {
        const m = await scrape(ex().url);
        return (
          probes.every((probe) => metric(m, PROBE_SUCCESS, { probe }) === 1) && kinds.every((kind) => metric(m, DRIFT, { kind }) !== undefined)
        );
      },
      20_000,
      250,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${logSince(ex(), 0)}`);
    });
    const m = await scrape(ex().url);
    for (const component of ['dockerd', 'containerd']) assert.equal(metric(m, HEALTHY, { component }), 1, `healthy{${component}}`);
    for (const kind of kinds) assert.equal(metric(m, DRIFT, { kind }), 0, `state_drift{${kind}}`);
    assert.equal(metric(m, 'docker_engine_leaked_proxies'), 0, 'leaked_proxies');
  });

  it("exports /info's goroutines (within 50 % of docker info's) and event listeners (the exporter's own stream included)", async () => {
    const m = await scrape(ex().url);
    const goroutines = metric(m, 'docker_engine_dockerd_goroutines');
    const listeners = metric(m, 'docker_engine_dockerd_event_listeners');
    const info = JSON.parse((await r().docker(['info', '--format', '{{json .}}'])).stdout) as { NGoroutines: number; NEventsListener: number };
    assert.ok(goroutines !== undefined && goroutines > 0, `dockerd_goroutines: ${goroutines}`);
    assert.ok(
      Math.abs(goroutines - info.NGoroutines) <= 0.5 * info.NGoroutines,
      `dockerd_goroutines ${goroutines} vs docker info's ${info.NGoroutines}`,
    );
    assert.ok(listeners !== undefined && listeners >= 1, `dockerd_event_listeners ${listeners}: the exporter's /events is one`);
    assert.ok(info.NEventsListener >= 1, `docker info counts the exporter's stream: ${info.NEventsListener}`);
  });

  it("counts containerd's failed plugins as `ctr plugins ls -d` shows them (skipped or unconfigured ones are not failures)", async (t) => {
    const out = (await run('ctr', ['--address', r().containerdSocket, 'plugins', 'ls', '-d'], { timeoutMs: 20_000 })).stdout;
    const messages = [...out.matchAll(/^\s*Message:\s*(.*)$/gm)].map((m) => m[1] ?? '');
    const failed = messages.filter((m) => !/skip plugin|not configured/i.test(m));
    t.diagnostic(`containerd plugin errors: ${messages.length} (${messages.join(' | ')}), counted ${failed.length}`);
    assert.ok(messages.length > 0, 'ctr shows the init errors of skipped plugins (the proof is empty otherwise)');
    const m = await scrape(ex().url);
    assert.equal(metric(m, 'docker_engine_containerd_plugin_errors'), failed.length, `plugin_errors vs ctr: ${failed.join(' | ')}`);
  });

  it('counts die, oom and health_status events by type, one per event', async () => {
    const die0 = await events('die');
    const oom0 = await events('oom');
    const health0 = await events('health_status');
    assert.ok(die0 >= 0 && oom0 >= 0 && health0 >= 0, 'container_events_total has every type');

    await r()
      .docker(['run', '--name', 'dies', 'rig/busybox', 'sh', '-c', 'exit 3'])
      .catch((e: unknown) => {
        if (!(e instanceof CommandError) || e.result.code !== 3) throw e;
      });
    await r()
      .docker(oomContainerArgs('oom'))
      .catch((e: unknown) => {
        if (!(e instanceof CommandError) || e.result.code !== 137) throw e;
      });
    await r().docker(['run', '-d', '--name', 'checked', '--health-cmd', 'true', '--health-interval', '1s', 'rig/busybox', 'sleep', '1d']);
    await waitFor(
      'die ×2, oom and health_status to be counted',
      async () => (await events('die')) >= die0 + 2 && (await events('oom')) >= oom0 + 1 && (await events('health_status')) >= health0 + 1,
      20_000,
      250,
    );
    await delay(1500);
    assert.equal(await events('die'), die0 + 2, 'exactly two die events (exit 3 and the OOM kill)');
    assert.equal(await events('oom'), oom0 + 1, 'exactly one oom event');
    assert.equal(await events('health_status'), health0 + 1, 'one health_status (starting → healthy): a status that stays is no event');
    const types = [...(await scrape(ex().url)).keys()].filter((k) => k.startsWith(`${EVENTS}{`));
    assert.deepEqual(
      types.sort(),
      [`${EVENTS}{type="die"}`, `${EVENTS}{type="health_status"}`, `${EVENTS}{type="oom"}`],
      'no other label value',
    );
    await r().docker(['rm', '-f', 'dies', 'oom', 'checked']);
  });

  it('one wedged container (its shim stopped, a docker stop pending) leaves dockerd healthy', async () => {
    await r().docker(['run', '-d', '--name', 'wedged', 'rig/busybox', 'sleep', '1d']);
    const id = (await r().docker(['inspect', '-f', '{{.Id}}', 'wedged'])).stdout.trim();
    const shim = Number((await run('pgrep', ['-f', `containerd-shim-runc-v2 -namespace moby -id ${id}`])).stdout.trim().split('\n')[0]);
    assert.ok(shim > 1, `the shim of ${id}`);
    stop(shim);
    let pending: ChildProcess | null = null;
    try {
      pending = spawn('docker', ['stop', '-t', '1', 'wedged'], { env: { ...process.env, DOCKER_HOST: r().dockerHost }, stdio: 'ignore' });
      // The container's lock is taken: inspect hangs, while the daemon-wide calls answer.
      await waitFor(
        'inspect of the wedged container to hang',
        async () => {
          const res = await run('docker', ['inspect', 'wedged'], {
            env: { ...process.env, DOCKER_HOST: r().dockerHost },
            timeoutMs: 1500,
          }).then(
            () => 'answered',
            () => 'hung',
          );
          return res === 'hung';
        },
        15_000,
        500,
      );
      const from = Date.now();
      while (Date.now() - from < 4 * PROBE_TIMEOUT_MS) {
        const m = await scrape(ex().url);
        assert.equal(metric(m, HEALTHY, { component: 'dockerd' }), 1, 'dockerd stays healthy with one wedged container');
        assert.equal(metric(m, PROBE_SUCCESS, { probe: 'dockerd_containers' }), 1, '/containers/json answers');
        await delay(250);
      }
    } finally {
      resume(shim);
      if (pending) await new Promise<void>((res) => (pending?.exitCode !== null ? res() : pending.once('exit', () => res())));
    }
    await r().docker(['rm', '-f', 'wedged']);
  });

  it('an exit while dockerd is stopped is an exit without die until dockerd runs again', async () => {
    await r().docker(['run', '-d', '--name', 'victim', 'rig/busybox', 'sleep', '1d']);
    const victim = await pidOf('victim');
    const victimId = (await r().docker(['inspect', '-f', '{{.Id}}', 'victim'])).stdout.trim();
    const dockerd = r().dockerdPid();
    assert.ok(dockerd !== null && victim > 1);
    await waitFor('exit_without_die 0', async () => metric(await scrape(ex().url), DRIFT, { kind: 'exit_without_die' }) === 0, 10_000, 250);
    const stoppedAt = Date.now();
    stop(dockerd);
    try {
      process.kill(victim, 'SIGKILL'); // containerd sees the exit; dockerd cannot say die
      const seenAfter = await waitFor(
        'state_drift{exit_without_die} 1',
        async () => ((metric(await scrape(ex().url, 2000), DRIFT, { kind: 'exit_without_die' }) ?? 0) === 1 ? Date.now() - stoppedAt : null),
        DRIFT_DEADLINE_MS,
        250,
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}\n${logSince(ex(), 0)}`);
      });
      assert.ok(seenAfter !== null && seenAfter >= 10_000, `counted only after 10 s without die: ${seenAfter} ms`);
      // The container is named where a person looks (never in a metric label).
      const status = JSON.parse((await fetchText(`${ex().url}/status.json`)).body) as {
        status: string;
        reasons: string[];
        deep: { drift: Record<string, { count: number; containers: string[] }> };
      };
      assert.deepEqual(status.deep.drift['exit_without_die'], { count: 1, containers: [victimId.slice(0, 12)] });
      assert.ok(
        status.reasons.some((r) => r.includes(victimId.slice(0, 12)) && r.includes('no die')),
        `a reason names the container: ${status.reasons.join(' / ')}`,
      );
      const series = [...(await scrape(ex().url)).keys()].filter((k) => k.startsWith(DRIFT));
      assert.ok(
        series.every((k) => !k.includes(victimId.slice(0, 12))),
        'no container id in a label',
      );
    } finally {
      resume(dockerd);
    }
    await waitFor(
      'dockerd to report die and the drift to clear',
      async () => metric(await scrape(ex().url), DRIFT, { kind: 'exit_without_die' }) === 0,
      15_000,
      250,
    );
    const state = (await r().docker(['inspect', '-f', '{{.State.Status}}', 'victim'])).stdout.trim();
    assert.equal(state, 'exited', 'dockerd caught up with the exit');
    await r().docker(['rm', '-f', 'victim']);
  });

  it('the event subscription comes back after a dockerd restart and counts again', async () => {
    // No container runs across the restart: without live-restore, dockerd's restore would add its own die.
    const dieBefore = await events('die');
    await r().docker(['rm', '-f', 'plain']);
    await waitFor('the die of the removed container', async () => (await events('die')) === dieBefore + 1, 10_000, 250);
    const die0 = await events('die');
    const dockerd = r().dockerdPid();
    assert.ok(dockerd !== null);
    process.kill(dockerd, 'SIGKILL');
    await waitFor(
      'probe_success{dockerd_events} 0',
      async () => metric(await scrape(ex().url), PROBE_SUCCESS, { probe: 'dockerd_events' }) === 0,
      10_000,
      100,
    );
    await r().startDockerd();
    await waitFor(
      'probe_success{dockerd_events} 1 again',
      async () => metric(await scrape(ex().url), PROBE_SUCCESS, { probe: 'dockerd_events' }) === 1,
      15_000,
      100,
    );
    await r().docker(['run', '--name', 'after', 'rig/busybox', 'true']);
    await waitFor('the die of a container run after the restart', async () => (await events('die')) === die0 + 1, 10_000, 250);
    assert.equal(await events('die'), die0 + 1, 'the counter continued, not reset');
    await r().docker(['rm', '-f', 'after']);
  });

  describe('the leak and dying alerts, generated with low thresholds, on a real Prometheus', { skip: leakAlertsSkip }, () => {
    // The exporter reads /info (goroutines, listeners) when it starts and then every 5 minutes (the
    // leak alerts' `for` is 30 minutes). Not to wait minutes, this part runs an exporter of its own and
    // restarts it on the same port, so the same target and series, to have /info read again.
    let leakEx: ExporterProcess | undefined;
    let prom: PrometheusProcess | undefined;
    let instance = '';
    let goroutineThreshold = 0;
    const le = (): ExporterProcess => {
      assert.ok(leakEx, 'exporter not started');
      return leakEx;
    };
    const p = (): PrometheusProcess => {
      assert.ok(prom, 'prometheus not started');
      return prom;
    };
    /** (Re)starts this part's exporter; resolves once it has read /info. */
    const restartExporter = async (port?: number): Promise<Map<string, number>> => {
      await leakEx?.stop();
      leakEx = await startExporter({ args: exporterArgs(r()), ...(port === undefined ? {} : { port }) });
      const m = await waitFor(
        'the exporter to read /info',
        async () => {
          const m = await scrape(le().url);
          return metric(m, 'docker_engine_dockerd_event_listeners') !== undefined && metric(m, 'docker_engine_dockerd_goroutines') ? m : null;
        },
        15_000,
        250,
      );
      assert.ok(m);
      return m;
    };
    const alertState = async (name: string): Promise<'pending' | 'firing' | null> => {
      const found = (await activeAlerts(p().url)).filter((a) => a.labels['alertname'] === name && a.labels['instance'] === instance);
      if (found.some((a) => a.state === 'firing')) return 'firing';
      return found.some((a) => a.state === 'pending') ? 'pending' : null;
    };
    /** Waits for `name` to be firing (or inactive: null); resolves with the seconds it took. */
    const waitAlert = async (name: string, want: 'firing' | null, timeoutMs = 20_000): Promise<number> => {
      const from = Date.now();
      await waitFor(`${name} ${want ?? 'inactive'}`, async () => (await alertState(name)) === want, timeoutMs, 250).catch(
        async (e: unknown) => {
          const all = (await activeAlerts(p().url)).map((a) => `${a.labels['alertname']}=${a.state}`).join(', ');
          throw new Error(`${e instanceof Error ? e.message : String(e)}; active: ${all || 'none'}`);
        },
      );
      return (Date.now() - from) / 1000;
    };
    /** This exporter's value of `name` as Prometheus has it, or undefined. */
    const promValue = async (name: string): Promise<number | undefined> => {
      const [first] = await instantQuery(p().url, `${name}{instance="${instance}"}`);
      return first === undefined ? undefined : Number(first.value[1]);
    };

    before(async () => {
      // The goroutine threshold: dockerd's idle count (the exporters' connections included) plus a margin.
      const idle = metric(await restartExporter(), 'docker_engine_dockerd_goroutines') ?? 0;
      goroutineThreshold = idle + GOROUTINE_MARGIN;
      const dir = join(r().dir, 'prometheus-leaks');
      mkdirSync(dir, { recursive: true });
      // The mixin's _config with test-sized thresholds and windows; every expression is the committed one.
      const rulesFile = await generateRules(join(dir, 'mixin'), {
        eventListenerLeakListeners: LISTENER_THRESHOLD,
        goroutineLeakGoroutines: goroutineThreshold,
        dockerdLeakFor: '2s',
        containersDyingDeaths: DEATH_THRESHOLD,
        containersDyingWindow: DYING_WINDOW,
        containersDyingFor: '1s',
      });
      const configFile = join(dir, 'prometheus.yml');
      const config = {
        global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        rule_files: [rulesFile],
        scrape_configs: [{ job_name: 'docker-engine', static_configs: [{ targets: [`127.0.0.1:${le().port}`] }] }],
      };
      writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
      const check = await promtoolCheckConfig(configFile);
      assert.ok(check.ok, `promtool check config failed:\n${check.output}`);
      const rigRef = r();
      prom = await startPrometheus({
        configFile,
        dir,
        spawner: (cmd, args, logName) => rigRef.spawnOwned(cmd, args, join('prometheus-leaks', logName)),
      });
      instance = `127.0.0.1:${le().port}`;
      await waitFor(
        'a goroutine sample in Prometheus',
        async () => (await promValue('docker_engine_dockerd_goroutines')) !== undefined,
        20_000,
        250,
      );
    });

    after(async () => {
      try {
        await prom?.stop();
      } finally {
        await leakEx?.stop();
      }
    });

    it('GET /events streams left open: DockerdEventListenerLeak and DockerdGoroutineLeak fire; closed: both resolve', async (t) => {
      const alerts = ['DockerdEventListenerLeak', 'DockerdGoroutineLeak'];
      // An alert is pending from the first evaluation its expression holds: two evaluations with the
      // untouched engine's values in Prometheus show those are below the thresholds.
      await delay(2000);
      for (const a of alerts) assert.equal(await alertState(a), null, `${a} active before any leak`);

      const streams = await openEventStreams(r().dockerSocket, LEAKED_STREAMS);
      try {
        const restartAt = Date.now();
        const m = await restartExporter(le().port);
        t.diagnostic(`exporter restarted and /info read in ${((Date.now() - restartAt) / 1000).toFixed(1)} s`);
        const listeners = metric(m, 'docker_engine_dockerd_event_listeners') ?? 0;
        const goroutines = metric(m, 'docker_engine_dockerd_goroutines') ?? 0;
        t.diagnostic(`${LEAKED_STREAMS} streams open: listeners ${listeners}, goroutines ${goroutines} (threshold ${goroutineThreshold})`);
        assert.ok(listeners >= LEAKED_STREAMS, `each stream is a listener: ${listeners}`);
        const firedAfter = await Promise.all(alerts.map((a) => waitAlert(a, 'firing')));
        t.diagnostic(`fired ${firedAfter.map((s) => s.toFixed(1)).join(' / ')} s after /info was read`);
        const [listenerAlert] = (await activeAlerts(p().url)).filter((a) => a.labels['alertname'] === 'DockerdEventListenerLeak');
        assert.equal(listenerAlert?.labels['severity'], 'warning');
      } finally {
        streams.close();
      }
      const m = await restartExporter(le().port);
      assert.ok((metric(m, 'docker_engine_dockerd_event_listeners') ?? Infinity) <= LISTENER_THRESHOLD, 'closed streams are no listeners');
      // The restart's missed scrape alone ends the alerts (no series); resolved means: Prometheus holds the
      // new, low values and the alerts stay inactive for longer than their `for`.
      await waitFor(
        'the low values in Prometheus',
        async () =>
          ((await promValue('docker_engine_dockerd_event_listeners')) ?? Infinity) <= LISTENER_THRESHOLD &&
          ((await promValue('docker_engine_dockerd_goroutines')) ?? Infinity) <= goroutineThreshold,
        15_000,
        250,
      );
      await delay(2000); // two evaluations on the new values: no longer pending or firing
      for (const a of alerts) assert.equal(await alertState(a), null, `${a} resolved on the values after the streams closed`);
      t.diagnostic(
        `after closing: listeners ${await promValue('docker_engine_dockerd_event_listeners')}, goroutines ${await promValue('docker_engine_dockerd_goroutines')}`,
      );
    });

    it('containers that run and die: DockerEngineContainersDying fires, then resolves once the window has passed', async (t) => {
      const startedAt = Date.now();
      assert.equal(await alertState('DockerEngineContainersDying'), null, 'active before any death');
      const dies = async (): Promise<number> => metric(await scrape(le().url), EVENTS, { type: 'die' }) ?? -1;
      const die0 = await dies();
      // In parallel: the deaths must land inside the (12 s) window.
      await Promise.all(Array.from({ length: DEATHS }, () => r().docker(['run', '--rm', 'rig/busybox', 'true'])));
      const runsTook = Date.now() - startedAt;
      const firedAfter = await waitAlert('DockerEngineContainersDying', 'firing');
      await waitFor('one die counted per container', async () => (await dies()) === die0 + DEATHS, 10_000, 250);
      const resolvedAfter = await waitAlert('DockerEngineContainersDying', null, 40_000);
      // Resolved because the deaths left the window, not because the series went missing.
      const [dieSeries] = await instantQuery(p().url, `${EVENTS}{instance="${instance}",type="die"}`);
      assert.equal(Number(dieSeries?.value[1]), die0 + DEATHS, 'Prometheus still holds the die counter');
      t.diagnostic(
        `${DEATHS} runs took ${(runsTook / 1000).toFixed(1)} s; fired ${firedAfter.toFixed(1)} s after the last exit, resolved ${resolvedAfter.toFixed(1)} s later`,
      );
    });
  });
});
