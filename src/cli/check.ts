/**
 * `docker-engine-exporter check`: looks at the engine once with the exporter's own pipeline (the look
 * is src/check-look.ts, run in a child process, src/check-child.ts), prints the engine tree (text or
 * --output=json) and exits with the monitoring-plugins status: 0 OK, 1 warning, 2 critical, 3 unknown.
 */
import { fork } from 'node:child_process';
import type { Config } from '../config/flags.js';
import { buildEngineTree, type EngineTreeOptions } from '../report/engine-tree.js';
import type { EngineTree } from '../report/tree-nodes.js';
import { npdExitCode, renderNpd, renderTreeJson, renderTreeText } from './check-output.js';

export interface CheckIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** The tree settings that come from the flags. */
export function treeSettings(config: Config): Pick<EngineTreeOptions, 'dockerdExpected' | 'runcStuckAfterSeconds'> {
  return { dockerdExpected: config.dockerSocket !== null, runcStuckAfterSeconds: config.runcStuckAfterMs / 1000 };
}

export function unknownTree(config: Config, reason: string): EngineTree {
  return { ...buildEngineTree(null, { ...treeSettings(config), nowMs: Date.now() }), reasons: [reason], summary: reason };
}

export function renderTree(config: Config, tree: EngineTree): string {
  switch (config.checkOutput) {
    case 'json':
      return renderTreeJson(tree);
    case 'npd':
    case 'npd-warning':
      return renderNpd(tree);
    case 'text':
      return renderTreeText(tree);
  }
}

/** The command's exit status: the monitoring-plugins one, or node-problem-detector's with --output=npd. */
export function checkExitCode(config: Config, tree: EngineTree): number {
  return config.checkOutput === 'npd' || config.checkOutput === 'npd-warning' ? npdExitCode(tree, config.checkOutput) : tree.exitCode;
}

/**
 * How long the command may take from its start: 4 s with the default --probe.timeout (one probe
 * round of 2 s is what a hung daemon costs; the look skips the second round then), longer only when
 * the probe timeout is raised past 2 s. A second is left for the child to be killed and the answer
 * printed, so that the command ends within 5 s on a busy host too.
 */
function checkDeadlineMs(config: Config): number {
  return 4000 + Math.max(0, 2 * config.probeTimeoutMs - 4000);
}

/** The least time the look gets, however late the command got to start it. */
const MIN_LOOK_MS = 2500;

/** What the child keeps back from the deadline for closing up and answering. */
const CHILD_ANSWER_MARGIN_MS = 800;

/** The child's scan timeout: what is left before the deadline, so that its own UNKNOWN says why. */
export function childScanTimeoutMs(deadlineAtMs: number, nowMs: number): number {
  return Math.max(1000, Math.min(10_000, deadlineAtMs - nowMs - CHILD_ANSWER_MARGIN_MS));
}

/**
 * `check` as the command runs it: the look happens in a child process (check-child.ts) and this process
 * only waits for its answer, until checkDeadlineMs after it started. A read blocked in the kernel
 * blocks a thread for good, and a process with such a thread cannot end with an exit status of its
 * choosing (main.ts, endBySignal); a child can be killed. So the command always ends in time, with the
 * look's status, or with UNKNOWN and one line saying why the look did not complete.
 */
export async function runCheckIsolated(argv: readonly string[], config: Config, io: CheckIo): Promise<number> {
  // From the command's own start; a host so loaded that node took seconds to start still gives the
  // look a fair chance.
  const deadlineAtMs = Math.max(performance.timeOrigin + checkDeadlineMs(config), Date.now() + MIN_LOOK_MS);
  const child = fork(new URL('../check-child.js', import.meta.url), [...argv], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const start: ChildStart = { deadlineAtMs };
  const answer = await new Promise<ChildAnswer | string>((resolve) => {
    const timer = setTimeout(
      () => resolve(`check did not complete within ${((deadlineAtMs - performance.timeOrigin) / 1000).toFixed(1)} s`),
      Math.max(0, deadlineAtMs - Date.now()),
    );
    child.on('message', (m: unknown) => {
      // The child says when it listens (a message sent before that would be lost), then answers.
      if ((m as { ready?: unknown } | null)?.ready === true) {
        child.send(start);
        return;
      }
      clearTimeout(timer);
      resolve(isChildAnswer(m) ? m : 'check child sent a malformed answer');
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve(`check could not start its look: ${err.message}`);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(`check's look ended without an answer (${signal ?? `exit ${code}`})`);
    });
  });
  // The child ends by itself once its answer is sent, unless a thread of it is blocked in a read.
  if (child.exitCode === null && child.signalCode === null) {
    const ended = new Promise<void>((r) => child.once('exit', () => r()));
    const blocked = typeof answer === 'string' || answer.threadBlocked;
    const grace = setTimeout(() => child.kill('SIGKILL'), blocked ? 0 : CHILD_EXIT_GRACE_MS);
    await ended;
    clearTimeout(grace);
  }
  if (typeof answer === 'string') {
    const tree = unknownTree(config, answer);
    io.stdout(renderTree(config, tree));
    return checkExitCode(config, tree);
  }
  io.stdout(answer.output);
  return answer.exitCode;
}

/** How long the child may take to end after its answer before it is killed. */
const CHILD_EXIT_GRACE_MS = 500;

/** Parent → child, once the child has sent `{ ready: true }`: when the command must have answered (ms since the epoch). */
export interface ChildStart {
  deadlineAtMs: number;
}

/** Child → parent: the look's status and the rendered tree. */
export interface ChildAnswer {
  exitCode: number;
  output: string;
  /** A scan thread of the child is blocked: it cannot end by itself. */
  threadBlocked: boolean;
}

function isChildAnswer(m: unknown): m is ChildAnswer {
  const a = m as Partial<ChildAnswer> | null;
  return (
    typeof a === 'object' &&
    a !== null &&
    [0, 1, 2, 3].includes(a.exitCode as number) &&
    typeof a.output === 'string' &&
    typeof a.threadBlocked === 'boolean'
  );
}
