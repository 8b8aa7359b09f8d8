#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * The process: flags → config → logger → the exporter (exporter.ts builds the pipeline) → listen, and
 * the signals that end it.
 *
 * The shebang (the bin `npm install -g` installs) and the Dockerfile's ENTRYPOINT pass
 * --max-semi-space-size=2: V8's default 16 MiB young generation adds ~25 MiB of RSS to a process that
 * allocates little per poll (docs/benchmarks.md, memory). It cannot be set from here: V8 sizes the
 * heap before any script runs.
 */
import { FlagError, helpText, parseFlags, type Config } from './config/flags.js';
import type { LoadedWebConfig } from './http/web-config.js';
import { packageVersion } from './version.js';
import { runCheckIsolated } from './cli/check.js';

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
    if (config.webConfigFile !== null) webConfig = (await import('./http/web-config.js')).loadWebConfigFlag(config.webConfigFile);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`docker-engine-exporter: error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  // The serving pipeline (fastify, prom-client, pino, gRPC and the protos) is loaded only to serve:
  // `check` runs its look in a child that loads what the look needs, and the command's 4 s are for
  // the look, not for loading modules the command itself never uses (docs/architecture.md, "check loads
  // only what its look needs").
  const [{ createLogger }, { createExporter }, { listen }] = await Promise.all([
    import('./log/logger.js'),
    import('./exporter.js'),
    import('./http/server.js'),
  ]);
  const version = packageVersion();
  const logger = createLogger(config.logLevel, config.logFormat);
  const exporter = createExporter(config, { logger, mode: 'serve', webConfig });
  const { app } = exporter;

  exporter.poller.start();
  try {
    await listen(app, config.listenAddress);
  } catch (err) {
    logger.error({ err: (err as Error).message, address: config.listenAddress }, 'cannot listen');
    await exporter.close();
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
    await exporter.close();
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
    exporter.saveState();
  }
  if (!done || exporter.threadBlocked()) {
    if (done) logger.warn({ signal }, 'a thread is blocked in a read (the procfs scan or a statfs): stopping by the signal, not by exit(0)');
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

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`docker-engine-exporter: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
