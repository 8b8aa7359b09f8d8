#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * Wiring, in pipeline order: flags → config → logger → source → poller → metrics → app.
 *
 * The shebang (the bin `npm install -g` installs) and the Dockerfile's ENTRYPOINT pass
 * --max-semi-space-size=2: V8's default 16 MiB young generation adds ~25 MiB of RSS to a process that
 * allocates little per poll (docs/benchmarks.md, memory). It cannot be set from here: V8 sizes the
 * heap before any script runs.
 */
import { Registry } from 'prom-client';
import { FlagError, helpText, parseFlags, type Config } from './config/flags.js';
import { createLogger } from './log/logger.js';
import type { Poller } from './poller/poller.js';
import { createEngineWatch } from './poller/engine-watch.js';
import { registerEngineMetrics } from './metrics/engine-metrics.js';
import { registerExporterMetrics } from './metrics/exporter-metrics.js';
import { registerProbeMetrics } from './metrics/probe-metrics.js';
import { buildApp, type HealthReport } from './http/app.js';
import { listen } from './http/server.js';
import { loadWebConfigFlag, type LoadedWebConfig } from './http/web-config.js';
import { createWebConfigRuntime } from './http/web-config-reload.js';
import { packageVersion } from './version.js';
import { SINGLETONS } from './engine/components.js';
import { runCheckIsolated } from './cli/check.js';
import { buildEngineTree } from './engine/engine-tree.js';
import { readStateFile } from './sources/state-file.js';
import { createStateSaver, type StateSaver } from './poller/state-saver.js';
import { trackerFromPersisted } from './engine/persisted-state.js';

/** A state older than this many poll intervals is stale: /healthz says 503 and engine series are withheld. */
const STALE_AFTER_INTERVALS = 3;

/** SIGTERM and SIGINT end the process within 5 s: the graceful path gets 4 s, whatever hangs in it. */
const SHUTDOWN_GRACE_MS = 4000;

async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let config: Config;
  let webConfig: LoadedWebConfig | null = null;
  try {
    const parsed = parseFlags(argv, env);
    if (parsed.kind === 'help') {
      process.stdout.write(helpText(env));
      return 0;
    }
    if (parsed.kind === 'version') {
      process.stdout.write(`docker-engine-exporter ${packageVersion()}\n`);
      return 0;
    }
    config = parsed.config;
    if (parsed.kind === 'check') {
      return await runCheckIsolated(argv, config, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
    }
    // TLS files, hashes and headers checked once, before anything starts: a bad file is a FlagError.
    if (config.webConfigFile !== null) webConfig = loadWebConfigFlag(config.webConfigFile);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`docker-engine-exporter: error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  const version = packageVersion();
  const logger = createLogger(config.logLevel, config.logFormat);
  // Restart memory: a missing file is a first start; an unreadable or corrupt one is a log line and
  // a metric, and the exporter starts fresh.
  let saver: StateSaver | null = null;
  let restored: ReturnType<typeof readStateFile>['state'] = null;
  if (config.stateFile !== null) {
    saver = createStateSaver(config.stateFile, logger);
    const read = readStateFile(config.stateFile);
    if (read.error) {
      saver.noteReadError();
      logger.error({ err: read.error }, 'state file ignored: starting without restart memory');
    }
    restored = read.state;
    if (restored) logger.info({ path: config.stateFile, savedAt: new Date(restored.savedAtMs).toISOString() }, 'restart memory restored');
  }

  const registry = new Registry();
  const startedMs = Date.now();
  let poller: Poller | null = null;
  const isFresh = (): boolean => {
    const last = poller?.status().lastSuccessMs ?? null;
    // Before the first poll, give it the same grace as any later one.
    const reference = last ?? startedMs;
    return Date.now() - reference <= STALE_AFTER_INTERVALS * config.pollIntervalMs;
  };
  const exporterMetrics = registerExporterMetrics({
    registry,
    status: () => poller!.status(),
    pollIntervalSeconds: config.pollIntervalMs / 1000,
    version,
    sourceName: config.processSource,
    ...(saver ? { stateFileErrors: () => saver.errors() } : {}),
  });
  const watch = createEngineWatch(config, logger, {
    followStreamDrops: true,
    ...(restored
      ? { initialState: trackerFromPersisted(restored), initialEventCounts: { exits: restored.taskExits, ooms: restored.taskOoms } }
      : {}),
    onPollDone: (seconds) => exporterMetrics.observePoll(seconds),
    onPolled: (state) => saver?.consider(state.tracker, state.probes?.events ?? null),
  });
  poller = watch.poller;
  const freshState = () => (isFresh() ? (poller?.status().latest ?? null) : null);
  registerEngineMetrics({
    registry,
    freshState,
    dockerdExpected: config.dockerSocket !== null,
    resourcesAvailable: config.processSource === 'procfs',
  });
  registerProbeMetrics({ registry, freshState, dockerdExpected: config.dockerSocket !== null, namespaces: config.containerdNamespaces });

  const health = (): HealthReport => healthReport(poller!, isFresh(), config);
  const web = webConfig && config.webConfigFile !== null ? createWebConfigRuntime(config.webConfigFile, webConfig, logger) : null;
  const statusTree = () => {
    const status = poller!.status();
    return buildEngineTree(status.latest, {
      dockerdExpected: config.dockerSocket !== null,
      runcStuckAfterSeconds: config.runcStuckAfterMs / 1000,
      nowMs: Date.now(),
      pollError: status.lastError,
      stale: status.latest !== null && !isFresh(),
    });
  };
  const app = buildApp({ registry, telemetryPath: config.telemetryPath, health, logger, version, webConfig: web, statusTree });

  watch.poller.start();
  try {
    await listen(app, config.listenAddress);
  } catch (err) {
    logger.error({ err: (err as Error).message, address: config.listenAddress }, 'cannot listen');
    await watch.close();
    return 1;
  }
  logger.info(
    {
      version,
      address: `${config.listenAddress.host}:${config.listenAddress.port}`,
      telemetryPath: config.telemetryPath,
      source: config.processSource,
      pollInterval: `${config.pollIntervalMs}ms`,
    },
    'docker-engine-exporter listening',
  );

  // `once`: a second SIGTERM or SIGINT meets the default action and ends the process at once.
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'shutting down');
  const graceful = (async () => {
    await app.close();
    await watch.close();
    saver?.flush();
    return true;
  })().catch((err: unknown) => {
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
    return false;
  });
  let grace: NodeJS.Timeout | undefined;
  const done = await Promise.race([graceful, new Promise<false>((r) => (grace = setTimeout(() => r(false), SHUTDOWN_GRACE_MS)))]);
  clearTimeout(grace);
  if (!done) {
    logger.warn({ graceSeconds: SHUTDOWN_GRACE_MS / 1000 }, 'shutdown did not finish in time: stopping now');
    saver?.flush();
  }
  if (!done || watch.source.threadBlocked?.()) {
    if (done) logger.warn({ signal }, 'a procfs scan thread is blocked in a read: stopping by the signal, not by exit(0)');
    return endBySignal(signal);
  }
  return 0;
}

/**
 * Ends the process as the signal's default action does. process.exit() joins every worker thread
 * before the process ends (Node: Environment::stop_sub_worker_contexts), and a thread blocked in a
 * read never joins, so with one blocked process.exit(0) would hang for good. Ending through the
 * C library's exit() without the join (WASI's proc_exit with returnOnExit: false) crashed in static
 * destructors in about 1 run in 12 while other threads ran. A process ended by the SIGTERM or SIGINT
 * it was sent is a clean stop to systemd (SuccessExitStatus's defaults), Docker and Kubernetes.
 */
function endBySignal(signal: NodeJS.Signals): Promise<number> {
  process.removeAllListeners(signal); // no listener left: Node restores the default action
  process.kill(process.pid, signal);
  // Only reached if the signal is not acted on (it cannot be blocked in every thread, but be sure).
  return new Promise(() => setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1000));
}

function healthReport(poller: Poller, fresh: boolean, config: Config): HealthReport {
  const status = poller.status();
  const latest = status.latest;
  const components: Record<string, string> = {};
  for (const c of SINGLETONS) {
    if (c === 'dockerd' && config.dockerSocket === null) continue;
    const track = latest?.tracker.singletons[c];
    components[c] = !latest || !track ? 'unknown' : !latest.view[c] ? 'down' : track.hung ? 'hung' : track.healthy === false ? 'unresponsive' : 'up';
  }
  const probes = latest?.probes
    ? Object.fromEntries([...latest.probes.outcomes].map(([name, o]) => [name, o.success ? 'ok' : (o.error ?? 'failed')]))
    : {};
  return {
    ok: fresh,
    body: {
      status: fresh ? 'ok' : 'stale',
      lastPollAgeSeconds: status.lastSuccessMs === null ? null : (Date.now() - status.lastSuccessMs) / 1000,
      pollIntervalSeconds: config.pollIntervalMs / 1000,
      lastError: status.lastError,
      containerdMode: latest?.view.containerdMode ?? 'unknown',
      components,
      probes,
      checks: latest?.checks ?? null,
    },
  };
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`docker-engine-exporter: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
