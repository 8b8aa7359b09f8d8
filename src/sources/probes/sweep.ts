/**
 * The per-container sweep, every `intervalMs`: for each running container, dockerd's inspect
 * (`GET /containers/<id>/json`, which takes that container's lock) and containerd's task state
 * (`Tasks/Get`, which asks that container's shim), each within the probe deadline, at most four
 * containers at once (sweep-pool.ts). It finds what `/_ping`, `docker ps` and `Tasks/List` do not: one
 * wedged container while the daemon answers, a shim that does not answer, a shim whose task is
 * RUNNING while its process is gone.
 *
 * The sweep has its own Engine API client (its own connections): a few wedged inspects must never
 * queue dockerd's /_ping behind them. A verdict is withheld (null) while the daemon itself does not
 * answer its health probe: a hung daemon leaves every call unanswered, and that is the daemon's
 * fault, not each container's.
 */
import { readFileSync } from 'node:fs';
import type { EngineView } from '../../engine/attribute.js';
import { shimTask } from '../../engine/chain-checks.js';
import type { SweepFindings, TaskInfo } from '../../engine/probe-report.js';
import type { ContainerdClient } from '../containerd/containerd-client.js';
import { createEngineApiClient, DeadlineError } from '../docker/engine-api-client.js';
import { parseRunningIds } from '../docker/running-ids.js';
import { parseProcStat } from '../procfs/parse-proc.js';
import { expectOk, type DaemonProbes, type Probe } from './probe.js';
import { sweepTargets, type SweepTarget } from './sweep-pool.js';

/** containerd's and dockerd's own limits make more pointless; fewer makes a 200-container sweep slow. */
export const SWEEP_CONCURRENCY = 4;

export interface SweepOptions {
  dockerSocket: string | null;
  namespaces: readonly string[];
  deadlineMs: number;
  intervalMs: number;
  procfsPath: string;
  /** The containerd group's client for this poll (null while containerd's socket is unknown). */
  containerd: () => ContainerdClient | null;
  containerdAnswering: () => boolean | null;
  dockerdAnswering: () => boolean | null;
  concurrency?: number;
}

/** What one call of the sweep found. */
type Found =
  | { call: 'inspect'; answer: 'answered' | 'gone' | 'timeout' | 'failed' }
  | { call: 'task'; shimPid: number; answer: 'gone' | 'timeout' | 'failed' }
  | { call: 'task'; shimPid: number; answer: 'answered'; task: TaskInfo };

interface ShimRef {
  namespace: string;
  id: string;
  pid: number;
}

export function createSweepProbes(opts: SweepOptions): DaemonProbes & { findings(): SweepFindings } {
  const docker = opts.dockerSocket ? createEngineApiClient(opts.dockerSocket) : null;
  const concurrency = Math.min(opts.concurrency ?? SWEEP_CONCURRENCY, SWEEP_CONCURRENCY);
  let shims: ShimRef[] = [];
  let lastStartMs: number | null = null;
  let due = false;
  let childlessBefore = new Set<string>();
  let findings: SweepFindings = { unresponsiveContainers: null, unresponsiveShims: null, childlessShims: null, containers: 0, atMs: null };

  const inspect = async (id: string): Promise<Found> => {
    if (!docker) return { call: 'inspect', answer: 'failed' };
    try {
      const res = await docker.get(`/containers/${id}/json`, opts.deadlineMs);
      return { call: 'inspect', answer: res.status === 200 ? 'answered' : res.status === 404 ? 'gone' : 'failed' };
    } catch (err) {
      return { call: 'inspect', answer: isTimeout(err) ? 'timeout' : 'failed' };
    }
  };

  const taskState = async (client: ContainerdClient, shim: ShimRef): Promise<Found> => {
    try {
      const task = await client.getTask(shim.namespace, shim.id, opts.deadlineMs);
      return { call: 'task', shimPid: shim.pid, answer: 'answered', task };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // gRPC status codes: 4 DEADLINE_EXCEEDED, 5 NOT_FOUND.
      const answer = code === 4 ? 'timeout' : code === 5 ? 'gone' : 'failed';
      return { call: 'task', shimPid: shim.pid, answer };
    }
  };

  const sweep: Probe = {
    name: 'engine_sweep',
    deadlineMs: opts.deadlineMs,
    request: { http: { method: 'GET', path: `/containers/${'0'.repeat(64)}/json` } },
    alsoSends: [{ http: { method: 'GET', path: '/containers/json' } }, { grpc: '/containerd.services.tasks.v1.Tasks/Get' }],
    due: () => due,
    async run() {
      const client = opts.containerd();
      const running = docker ? parseRunningIds(expectOk(await docker.get('/containers/json', opts.deadlineMs), '/containers/json')) : [];
      const calls = new Map<string, (() => Promise<Found>)[]>();
      const add = (id: string, call: () => Promise<Found>): void => {
        const list = calls.get(id) ?? [];
        list.push(call);
        calls.set(id, list);
      };
      for (const id of running) add(id, () => inspect(id));
      if (client) for (const shim of shims) add(shim.id, () => taskState(client, shim));
      const targets: SweepTarget<Found>[] = [...calls].map(([key, list]) => ({ key, calls: list }));
      const results = await sweepTargets(targets, concurrency);
      const judged = judgeSweep(results, {
        dockerdAnswering: docker ? opts.dockerdAnswering() : null,
        containerdAnswering: client ? opts.containerdAnswering() : null,
        childless: (task, shimPid) => !isLiveChild(opts.procfsPath, task.pid, shimPid),
        atMs: Date.now(),
      });
      // A task whose process just exited is still RUNNING until its shim reaps the process and
      // reports the exit (a stopping container, a shim just resumed): childless only when two sweeps
      // in a row say so.
      const seen = judged.childlessShims ?? [];
      findings = judged.childlessShims === null ? judged : { ...judged, childlessShims: seen.filter((id) => childlessBefore.has(id)) };
      childlessBefore = new Set(seen);
    },
  };

  return {
    probes: [sweep],
    watches: [],
    prepare(view: EngineView, nowMs: number) {
      due = lastStartMs === null || nowMs - lastStartMs >= opts.intervalMs;
      if (!due) return;
      lastStartMs = nowMs;
      shims = [];
      for (const shim of view.members['containerd-shim']) {
        const { namespace, id } = shimTask(shim);
        if (namespace !== null && id !== null && opts.namespaces.includes(namespace)) shims.push({ namespace, id, pid: shim.pid });
      }
    },
    findings: () => findings,
    close() {},
  };
}

/**
 * The verdicts of one sweep. A container is unresponsive when its inspect outlived the deadline; a
 * shim when its task state did, or when containerd answered UNKNOWN (containerd 1.6 gives up on the
 * shim after its own 2 s and answers so); a shim is childless when its task is RUNNING and the task's
 * process is not a live child of the shim. Each list is null when the daemon behind it does not answer.
 */
export function judgeSweep(
  results: ReadonlyMap<string, readonly Found[]>,
  ctx: {
    dockerdAnswering: boolean | null;
    containerdAnswering: boolean | null;
    childless: (task: TaskInfo, shimPid: number) => boolean;
    atMs: number;
  },
): SweepFindings {
  const containers: string[] = [];
  const shims: string[] = [];
  const childless: string[] = [];
  let swept = 0;
  for (const [id, found] of results) {
    swept++;
    for (const f of found) {
      if (f.call === 'inspect') {
        if (f.answer === 'timeout') containers.push(id);
      } else if (f.answer === 'timeout' || (f.answer === 'answered' && f.task.status === 'UNKNOWN')) {
        shims.push(id);
      } else if (f.answer === 'answered' && f.task.status === 'RUNNING' && ctx.childless(f.task, f.shimPid)) {
        childless.push(id);
      }
    }
  }
  const sorted = (list: string[]): string[] => [...new Set(list)].sort();
  return {
    unresponsiveContainers: ctx.dockerdAnswering === true ? sorted(containers) : null,
    unresponsiveShims: ctx.containerdAnswering === true ? sorted(shims) : null,
    childlessShims: ctx.containerdAnswering === true ? sorted(childless) : null,
    containers: swept,
    atMs: ctx.atMs,
  };
}

function isTimeout(err: unknown): boolean {
  return err instanceof DeadlineError;
}

/** Whether `pid` is a live (not zombie) process whose parent is `parent`. */
function isLiveChild(procfsPath: string, pid: number, parent: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const stat = parseProcStat(readFileSync(`${procfsPath}/${pid}/stat`, 'latin1'));
    return stat.ppid === parent && stat.state !== 'Z' && stat.state !== 'X';
  } catch {
    return false;
  }
}
