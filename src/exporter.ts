/**
 * The composition root, in pipeline order: restart memory → source, probes and poller → a registry
 * with every metric family → the HTTP app. main.ts serves what this builds, `check`'s child process
 * (check-child.ts) looks once with it, and the memory bench soaks it: one wiring for all of them.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Config } from './config/flags.js';
import { trackerFromPersisted } from './engine/persisted-state.js';
import { buildApp, type HealthReport } from './http/app.js';
import type { LoadedWebConfig } from './http/web-config.js';
import { createWebConfigRuntime } from './http/web-config-reload.js';
import { registerEngineMetrics } from './metrics/engine-metrics.js';
import { registerExporterMetrics } from './metrics/exporter-metrics.js';
import { registerHeadroomMetrics } from './metrics/headroom-metrics.js';
import { registerKernelMetrics } from './metrics/kernel-metrics.js';
import { registerProbeMetrics } from './metrics/probe-metrics.js';
import { registerSweepMetrics } from './metrics/sweep-metrics.js';
import { registerDeepMetrics } from './metrics/deep-metrics.js';
import { createEngineWatch } from './poller/engine-watch.js';
import type { Poller } from './poller/poller.js';
import { createStateSaver, type StateSaver } from './poller/state-saver.js';
import { buildEngineTree } from './report/engine-tree.js';
import { healthComponents, healthProbes } from './report/health.js';
import type { ProcessSource } from './sources/process-source.js';
import { readStateFile } from './sources/state-file.js';
import { packageVersion } from './version.js';

/**
 * A state older than this many poll intervals is stale: /healthz says 503 and engine series are
 * withheld. The interval is the poller's own cadence: after a slow poll (a busy host) it pauses as long
 * as the poll took, and the state it then shows is as fresh as it means it to be, not stuck.
 */
const STALE_AFTER_INTERVALS = 3;

export interface ExporterOptions {
  logger: Logger;
  /**
   * serve: the exporter, which keeps --state.file. look: every poll waits for its own probe round
   * (EngineWatchOptions.mode), and the state file is left alone: the HTTP tests look at a scripted
   * engine through the whole exporter this way.
   */
  mode: 'serve' | 'look';
  /** --web.config.file, loaded and checked once before anything starts (main.ts). */
  webConfig?: LoadedWebConfig | null;
  /** How long a procfs scan may take before it counts as blocked (default: from the poll interval). */
  scanTimeoutMs?: number;
  /** A process source to use instead of the one the flags name: the HTTP tests feed a scripted one. */
  source?: ProcessSource;
}

export interface Exporter {
  app: FastifyInstance;
  registry: Registry;
  poller: Poller;
  /** A scan thread is blocked in a read: the process cannot end by process.exit (main.ts, endBySignal). */
  threadBlocked(): boolean;
  /** Writes the restart memory now, if there is any to write (a shutdown that ran out of time). */
  saveState(): void;
  /** Closes the app, stops the poller, the probes and the scan worker, and saves the restart memory. */
  close(): Promise<void>;
}

export function createExporter(config: Config, opts: ExporterOptions): Exporter {
  const { logger } = opts;
  const version = packageVersion();
  const serve = opts.mode === 'serve';
  // Restart memory: a missing file is a first start; an unreadable or corrupt one is a log line and
  // a metric, and the exporter starts fresh.
  let saver: StateSaver | null = null;
  let restored: ReturnType<typeof readStateFile>['state'] = null;
  if (serve && config.stateFile !== null) {
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
  const status = () => {
    if (!poller) throw new Error('exporter: status read before the poller was built');
    return poller.status();
  };
  const isFresh = (): boolean => {
    // Before the first poll, give it the same grace as any later one.
    const reference = status().lastSuccessMs ?? startedMs;
    return Date.now() - reference <= STALE_AFTER_INTERVALS * Math.max(config.pollIntervalMs, status().cadenceMs);
  };
  const exporterMetrics = registerExporterMetrics({
    registry,
    status,
    pollIntervalSeconds: config.pollIntervalMs / 1000,
    version,
    sourceName: config.processSource,
    ...(saver ? { stateFileErrors: () => saver.errors() } : {}),
  });
  const watch = createEngineWatch(config, logger, {
    mode: opts.mode,
    ...(opts.scanTimeoutMs ? { scanTimeoutMs: opts.scanTimeoutMs } : {}),
    ...(opts.source ? { source: opts.source } : {}),
    ...(restored
      ? { initialState: trackerFromPersisted(restored), initialEventCounts: { exits: restored.taskExits, ooms: restored.taskOoms } }
      : {}),
    onPollDone: (seconds) => exporterMetrics.observePoll(seconds),
    onPolled: (state) => saver?.consider(state.tracker, state.probes?.events ?? null),
  });
  poller = watch.poller;
  const freshState = () => (isFresh() ? status().latest : null);
  const dockerdExpected = config.dockerSocket !== null;
  registerEngineMetrics({ registry, freshState, dockerdExpected, resourcesAvailable: config.processSource === 'procfs' });
  registerProbeMetrics({ registry, freshState, dockerdExpected, namespaces: config.containerdNamespaces });
  // ps-list sees no limits, thread states or statfs: those series are absent there, not 0.
  if (config.processSource === 'procfs') registerHeadroomMetrics({ registry, freshState, dockerdExpected });
  registerSweepMetrics(registry, freshState);
  registerKernelMetrics({ registry, freshState, dockerdExpected });
  registerDeepMetrics(registry, freshState, dockerdExpected);

  const health = (): HealthReport => healthReport(status(), isFresh(), config);
  const web = opts.webConfig && config.webConfigFile !== null ? createWebConfigRuntime(config.webConfigFile, opts.webConfig, logger) : null;
  const statusTree = () => {
    const s = status();
    return buildEngineTree(s.latest, {
      dockerdExpected,
      runcStuckAfterSeconds: config.runcStuckAfterMs / 1000,
      nowMs: Date.now(),
      pollError: s.lastError,
      stale: s.latest !== null && !isFresh(),
    });
  };
  const app = buildApp({ registry, telemetryPath: config.telemetryPath, health, logger, version, webConfig: web, statusTree });

  return {
    app,
    registry,
    poller,
    threadBlocked: () => watch.source.threadBlocked?.() ?? false,
    saveState: () => saver?.flush(),
    async close() {
      await app.close();
      await watch.close();
      saver?.flush();
    },
  };
}

function healthReport(status: ReturnType<Poller['status']>, fresh: boolean, config: Config): HealthReport {
  const latest = status.latest;
  return {
    ok: fresh,
    body: {
      status: fresh ? 'ok' : 'stale',
      lastPollAgeSeconds: status.lastSuccessMs === null ? null : (Date.now() - status.lastSuccessMs) / 1000,
      pollIntervalSeconds: config.pollIntervalMs / 1000,
      lastError: status.lastError,
      containerdMode: latest?.view.containerdMode ?? 'unknown',
      components: healthComponents(latest, config.dockerSocket !== null),
      probes: healthProbes(latest),
      checks: latest?.checks ?? null,
    },
  };
}
