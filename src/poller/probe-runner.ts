/**
 * Runs the socket probes against the engine the process scan found: containerd's gRPC health, tasks
 * and (rarely) version; dockerd's /_ping and (rarely) /version, /info and /containers/json.
 * /version and /info make dockerd exec runc and docker-init, so they run only at start, after a
 * dockerd restart and every `slowEveryMs`. Each call is bounded by the probe timeout.
 *
 * The health probes (containerd's Health/Check, dockerd's /_ping) first check that the socket file is
 * still there: an open connection outlives a removed socket, new clients do not (socket-present.ts).
 *
 * Every probe is its own lane: each poll starts the probes that are due and not still running, and
 * never waits for them (only the first poll does). So a hung containerd's health check times out on
 * its own clock, and neither the process scan nor dockerd's ping waits behind it.
 */
import type { Logger } from 'pino';
import type { EngineView } from '../engine/attribute.js';
import { identityKey } from '../engine/tracker.js';
import { createContainerdClient, loadContainerdServices, type ContainerdClient } from '../sources/containerd/containerd-client.js';
import { type TaskInfo } from '../engine/probe-report.js';
import { createTaskEventWatcher } from '../sources/containerd/task-event-watcher.js';
import { createEngineApiClient, type EngineApiClient } from '../sources/docker/engine-api-client.js';
import { parseInfo, parsePublishedPorts, parseVersion } from '../sources/docker/engine-api-parse.js';
import { type EngineInfo, type EngineVersions, type PublishedPort } from '../engine/probe-report.js';
import { readUserlandProxySetting } from '../sources/docker/daemon-config.js';
import { userlandProxyFromArgv } from '../engine/chain-checks.js';
import type { ProbeName, ProbeOutcome, ProbeReport } from '../engine/probe-report.js';
import { assertSocketPresent } from '../sources/socket-present.js';

export interface ProbeRunnerOptions {
  dockerSocket: string | null;
  containerdAddressFlag: string | null;
  namespaces: readonly string[];
  timeoutMs: number;
  procfsPath: string;
  /** Where the host's root is mounted (--path.rootfs): host paths the engine names are reached under it. */
  rootfsPath?: string;
  logger: Logger;
  /** The event stream ended: poll again now rather than at the next tick. */
  onEventStreamDrop: () => void;
  /** A daemon's answer changed (answering ↔ not): poll now so health follows within the probe timeout. */
  onAnswerChanged?: () => void;
  slowEveryMs?: number;
  containersEveryMs?: number;
  /** Task event counts to continue from (restored from the state file). */
  initialEventCounts?: { exits: Readonly<Record<string, number>>; ooms: Readonly<Record<string, number>> };
}

export interface ProbeRunner {
  /** Starts the probes that are due for this view; resolves when those finish (callers need not wait). */
  tick(view: EngineView): Promise<void>;
  /** What the probes know now. */
  report(): ProbeReport;
  close(): void;
}

export function createProbeRunner(opts: ProbeRunnerOptions): ProbeRunner {
  const slowEveryMs = opts.slowEveryMs ?? 5 * 60_000;
  const containersEveryMs = opts.containersEveryMs ?? 5_000;
  const services = loadContainerdServices();
  const outcomes = new Map<ProbeName, ProbeOutcome>();
  const running = new Set<string>();
  const docker: EngineApiClient | null = opts.dockerSocket ? createEngineApiClient(opts.dockerSocket) : null;
  const watcher = createTaskEventWatcher({
    namespaces: opts.namespaces,
    logger: opts.logger,
    onDrop: opts.onEventStreamDrop,
    ...(opts.initialEventCounts ? { initialCounts: opts.initialEventCounts } : {}),
  });
  let containerd: ContainerdClient | null = null;
  let containerdAnswering: boolean | null = null;
  let containerdAnswers = 0;
  let dockerdAnswering: boolean | null = null;
  let dockerdAnswers = 0;
  let tasks: Map<string, TaskInfo[]> | null = null;
  let containerdVersion: string | null = null;
  let containerdVersionOf: string | null = null; // identity the version was read from
  let containerdClientOf: string | null = null; // identity of the containerd the client was made for
  let engineVersions: EngineVersions | null = null;
  let info: EngineInfo | null = null;
  let slowOf: string | null = null;
  let slowAtMs = 0;
  let publishedPorts: PublishedPort[] | null = null;
  let containersAtMs = 0;
  let userlandProxy = true;

  /** Runs `fn` as probe `name` unless that lane is busy; records its outcome. */
  const lane = (name: ProbeName, fn: () => Promise<void>): Promise<void> => {
    if (running.has(name)) return Promise.resolve();
    running.add(name);
    const started = performance.now();
    return fn().then(
      () => {
        running.delete(name);
        if (outcomes.get(name)?.success === false) opts.logger.info({ probe: name }, 'probe recovered');
        outcomes.set(name, { success: true, durationSeconds: (performance.now() - started) / 1000, error: null, atMs: Date.now() });
      },
      (err: unknown) => {
        running.delete(name);
        const error = err instanceof Error ? err.message : String(err);
        const previous = outcomes.get(name);
        // One line when a probe starts failing, not one per poll while it keeps failing.
        if (!previous || previous.success) opts.logger.warn({ probe: name, err: error }, 'probe failed');
        outcomes.set(name, { success: false, durationSeconds: (performance.now() - started) / 1000, error, atMs: Date.now() });
      },
    );
  };

  const containerdProbes = (view: EngineView): Promise<void>[] => {
    // The configured socket as given; otherwise the host path the live engine vouches for, reached
    // under --path.rootfs. A remembered (or restored) address the live engine does not confirm is
    // never dialled.
    const address =
      opts.containerdAddressFlag ??
      (view.containerdAddressConfirmed && view.containerdAddress !== null ? underRootfs(opts.rootfsPath ?? '/', view.containerdAddress) : null);
    if (address === null) {
      containerdAnswering = null;
      tasks = null;
      return [];
    }
    const identity = view.containerd ? identityKey(view.containerd) : null;
    // A new client for a new containerd too: the old channel is in gRPC's reconnect back-off after the
    // outage (up to seconds), and the event stream must be back before the next crash, not after it.
    const restarted = identity !== null && containerdClientOf !== null && identity !== containerdClientOf;
    if (containerd?.address !== address || restarted) {
      containerd?.close();
      containerd = createContainerdClient(address, services);
      watcher.setClient(containerd);
      containerdVersionOf = null;
    }
    if (identity !== null) containerdClientOf = identity;
    const client = containerd;
    const lanes = [
      lane('containerd_health', async () => {
        const before = containerdAnswering;
        try {
          await assertSocketPresent(address);
          const status = await client.health(opts.timeoutMs);
          if (status !== 'SERVING') throw new Error(`health status ${status}`);
          containerdAnswering = true;
        } catch (err) {
          containerdAnswering = false;
          throw err;
        } finally {
          containerdAnswers++;
          if (before !== null && before !== containerdAnswering) opts.onAnswerChanged?.();
        }
      }),
      lane('containerd_tasks', async () => {
        try {
          const entries = await Promise.all(opts.namespaces.map(async (ns) => [ns, await client.listTasks(ns, opts.timeoutMs)] as const));
          tasks = new Map(entries);
        } catch (err) {
          tasks = null;
          throw err;
        }
      }),
    ];
    if (identity !== containerdVersionOf) {
      lanes.push(
        lane('containerd_version', async () => {
          const v = await client.version(opts.timeoutMs);
          containerdVersion = v.version;
          containerdVersionOf = identity;
        }),
      );
    }
    return lanes;
  };

  const dockerdProbes = (view: EngineView): Promise<void>[] => {
    if (!docker) return [];
    const client = docker;
    const identity = view.dockerd ? identityKey(view.dockerd) : null;
    const dockerdView = view.dockerd;
    const lanes = [
      lane('dockerd_ping', async () => {
        const before = dockerdAnswering;
        try {
          await assertSocketPresent(client.socketPath);
          const res = await client.get('/_ping', opts.timeoutMs);
          if (res.status !== 200) throw new Error(`/_ping answered ${res.status}`);
          dockerdAnswering = true;
        } catch (err) {
          dockerdAnswering = false;
          throw err;
        } finally {
          dockerdAnswers++;
          if (before !== null && before !== dockerdAnswering) opts.onAnswerChanged?.();
        }
      }),
    ];
    // The slow calls only while dockerd answers: a hung dockerd would hold them for the timeout.
    if (dockerdAnswering !== true) return lanes;
    const now = Date.now();
    if (identity !== slowOf || now - slowAtMs >= slowEveryMs) {
      slowOf = identity;
      slowAtMs = now;
      lanes.push(
        lane('dockerd_version', async () => {
          engineVersions = parseVersion(expectOk(await client.get('/version', opts.timeoutMs), '/version'));
        }),
        lane('dockerd_info', async () => {
          info = parseInfo(expectOk(await client.get('/info', opts.timeoutMs), '/info'));
        }),
      );
      if (dockerdView) {
        userlandProxy =
          userlandProxyFromArgv(dockerdView) ?? readUserlandProxySetting(opts.procfsPath, opts.rootfsPath ?? '/', dockerdView) ?? true;
      }
    }
    if (now - containersAtMs >= containersEveryMs) {
      containersAtMs = now;
      lanes.push(
        lane('dockerd_containers', async () => {
          try {
            publishedPorts = parsePublishedPorts(expectOk(await client.get('/containers/json', opts.timeoutMs), '/containers/json'));
          } catch (err) {
            publishedPorts = null;
            throw err;
          }
        }),
      );
    }
    return lanes;
  };

  return {
    async tick(view) {
      await Promise.all([...containerdProbes(view), ...dockerdProbes(view)]);
    },
    report() {
      const events = watcher.counts(); // counts persist even while containerd's socket is unknown
      if (containerd) {
        outcomes.set('containerd_events', {
          success: events.connected,
          durationSeconds: 0,
          error: events.connected ? null : 'not subscribed',
          atMs: Date.now(),
        });
      }
      return {
        outcomes,
        containerdAnswering,
        containerdAnswers,
        dockerdAnswering,
        dockerdAnswers,
        containerdVersion: containerdVersion ?? engineVersions?.containerd ?? null,
        engineVersions,
        info,
        tasks,
        publishedPorts,
        userlandProxy,
        events,
      };
    },
    close() {
      watcher.stop();
      containerd?.close();
      containerd = null;
    },
  };
}

/** A host path as the exporter reaches it when the host's root is mounted at `rootfs`. */
function underRootfs(rootfs: string, hostPath: string): string {
  return rootfs === '/' ? hostPath : `${rootfs.replace(/\/+$/, '')}${hostPath.startsWith('/') ? '' : '/'}${hostPath}`;
}

function expectOk(res: { status: number; body: string }, path: string): string {
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
  return res.body;
}
