/**
 * `docker-engine-exporter check`: looks at the engine once with the exporter's own source, probes and
 * poller, prints the engine tree (text or --output=json) and exits with the monitoring-plugins status:
 * 0 OK, 1 warning, 2 critical, 3 unknown. Everything it opens it closes again, so it ends by itself
 * within the probe timeout plus the scan, even when a daemon hangs.
 */
import type { Config, LogLevel } from '../config/flags.js';
import { createLogger } from '../log/logger.js';
import { createEngineWatch, type EngineWatch } from '../poller/engine-watch.js';
import { buildEngineTree, type EngineTreeOptions } from '../report/engine-tree.js';
import type { EngineTree } from '../report/tree-nodes.js';
import { renderTreeJson, renderTreeText } from './check-output.js';

export interface CheckIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** The tree settings that come from the flags. */
export function treeSettings(config: Config): Pick<EngineTreeOptions, 'dockerdExpected' | 'runcStuckAfterSeconds'> {
  return { dockerdExpected: config.dockerSocket !== null, runcStuckAfterSeconds: config.runcStuckAfterMs / 1000 };
}

/**
 * One look: a poll whose probe round it waits for (the poller's first poll does). dockerd's
 * /containers/json (the published ports behind the missing-proxy check) and its versions are only
 * asked once dockerd has answered a ping, so when both daemons answered, a second round runs and a
 * second scan reads it. When either did not answer, the verdict is already critical and the second
 * round, which would wait for the timeout again, is skipped.
 */
export async function lookOnce(watch: EngineWatch, config: Config): Promise<EngineTree> {
  await watch.poller.pollOnce();
  let status = watch.poller.status();
  const first = status.latest;
  if (first?.probes && first.probes.dockerdAnswering === true && first.probes.containerdAnswering !== false) {
    await watch.probes.tick(first.view);
    watch.setProbing(false);
    await watch.poller.pollOnce();
    status = watch.poller.status();
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

export async function runCheck(config: Config, io: CheckIo): Promise<number> {
  const logger = createLogger(checkLogLevel(config.logLevel), config.logFormat, (line) => io.stderr(line));
  let watch: EngineWatch | null = null;
  let tree: EngineTree;
  try {
    watch = createEngineWatch(config, logger, { followStreamDrops: false });
    tree = await lookOnce(watch, config);
  } catch (err) {
    const reason = `check failed: ${err instanceof Error ? err.message : String(err)}`;
    tree = { ...buildEngineTree(null, { ...treeSettings(config), nowMs: Date.now() }), reasons: [reason], summary: reason };
  } finally {
    await watch?.close().catch(() => undefined);
  }
  io.stdout(config.checkOutput === 'json' ? renderTreeJson(tree) : renderTreeText(tree));
  return tree.exitCode;
}
