/**
 * `check`'s look: the exporter's own watching pipeline (createEngineWatch in look mode), polled once or
 * twice, rendered as the engine tree. It runs in a child process of the command (check-child.ts); the
 * command itself (cli/check.ts) only waits for the answer and prints it. The metrics and the HTTP
 * server are not built: loading fastify and prom-client took ~0.15 s of the command's 4 s.
 */
import type { Config } from './config/flags.js';
import { checkExitCode, renderTree, treeSettings, unknownTree, type CheckIo } from './cli/check.js';
import { createLogger, type LogLevel } from './log/logger.js';
import { createEngineWatch, type EngineWatch } from './poller/engine-watch.js';
import type { Poller } from './poller/poller.js';
import { buildEngineTree } from './report/engine-tree.js';
import type { EngineTree } from './report/tree-nodes.js';

/**
 * One look: a poll whose probe round it waits for (in look mode every poll does). dockerd's
 * /containers/json (the published ports behind the missing-proxy check) and its versions are only
 * asked once dockerd has answered a ping, so when both daemons answered, a second poll runs with a
 * second round. When either did not answer, the verdict is already critical and the second round,
 * which would wait for the timeout again, is skipped; so it is when Tasks/List failed (a hung shim).
 */
async function lookOnce(poller: Poller, config: Config): Promise<EngineTree> {
  await poller.pollOnce();
  let status = poller.status();
  const first = status.latest;
  // A Tasks/List that ran out of time waits on a hung shim (containerd asks every shim in turn): a
  // second round would wait as long again, and the sweep has already named the shim.
  const tasksTimedOut = first?.probes?.outcomes.get('containerd_tasks')?.success === false;
  if (first?.probes && first.probes.dockerdAnswering === true && first.probes.containerdAnswering !== false && !tasksTimedOut) {
    await poller.pollOnce();
    status = poller.status();
  }
  const latest = status.latest;
  return buildEngineTree(latest, {
    ...treeSettings(config),
    nowMs: latest?.takenAtMs ?? Date.now(),
    pollError: status.lastError,
  });
}

/**
 * A check prints the tree; log lines on stderr would be mixed into a monitoring system's output (Icinga
 * keeps stderr), so the default info level is raised to warn. --log.level=debug still shows everything.
 */
function checkLogLevel(level: LogLevel): LogLevel {
  return level === 'info' ? 'warn' : level;
}

interface CheckOptions {
  /** How long the scan may take before it counts as blocked (the exporter's default otherwise). */
  scanTimeoutMs?: number;
  /** Told after the look whether a scan thread was left blocked in a read. */
  onClosed?: (threadBlocked: boolean) => void;
}

/** Looks once, prints the tree on io.stdout and returns the exit status; everything it opened is closed again. */
export async function runCheck(config: Config, io: CheckIo, opts: CheckOptions = {}): Promise<number> {
  const logger = createLogger(checkLogLevel(config.logLevel), config.logFormat, (line) => io.stderr(line));
  let watch: EngineWatch | null = null;
  let tree: EngineTree;
  try {
    watch = createEngineWatch(config, logger, { mode: 'look', ...(opts.scanTimeoutMs ? { scanTimeoutMs: opts.scanTimeoutMs } : {}) });
    tree = await lookOnce(watch.poller, config);
  } catch (err) {
    tree = unknownTree(config, `check failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await watch?.close().catch(() => undefined);
    opts.onClosed?.(watch?.source.threadBlocked?.() ?? false);
  }
  io.stdout(renderTree(config, tree));
  return checkExitCode(config, tree);
}
