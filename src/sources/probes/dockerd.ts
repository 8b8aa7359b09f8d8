/**
 * dockerd's probes over its Engine API socket: /_ping every poll; /version and /info only at start,
 * after a dockerd restart and every `slowEveryMs` (they make dockerd exec runc and docker-init);
 * /containers/json every `containersEveryMs`. The slow calls and /containers/json go out only while
 * the last /_ping answered: a hung dockerd would hold each of them for the whole deadline.
 */
import type { EngineView } from '../../engine/attribute.js';
import { userlandProxyFromArgv } from '../../engine/chain-checks.js';
import type { ContainerSummary, EngineInfo, EngineVersions, PublishedPort } from '../../engine/probe-report.js';
import type { ScanLooks } from '../../engine/process-model.js';
import { identityKey } from '../../engine/tracker.js';
import { readUserlandProxySetting } from '../docker/daemon-config.js';
import { createEngineApiClient } from '../docker/engine-api-client.js';
import { createPingConnection } from '../docker/ping-connection.js';
import { parseContainerList, parseContainerStates, parseInfo, parseVersion } from '../docker/engine-api-parse.js';
import { Answering, expectOk, type DaemonProbes, type Probe } from './probe.js';

export interface DockerdProbeOptions {
  socket: string;
  procfsPath: string;
  rootfsPath: string;
  timeoutMs: number;
  onAnswerChanged: () => void;
  slowEveryMs: number;
  containersEveryMs: number;
}

export interface DockerdFindings {
  answering: boolean | null;
  answers: number;
  versions: EngineVersions | null;
  info: EngineInfo | null;
  publishedPorts: PublishedPort[] | null;
  containers: ContainerSummary[] | null;
  /** Every container dockerd lists (all=1), for the drift check; null when the list failed. */
  containerStates: { id: string; running: boolean }[] | null;
  userlandProxy: boolean;
}

export function createDockerdProbes(opts: DockerdProbeOptions): DaemonProbes & { findings(): DockerdFindings } {
  const client = createEngineApiClient(opts.socket);
  const pinger = createPingConnection(opts.socket);
  const answering = new Answering(opts.onAnswerChanged);
  let versions: EngineVersions | null = null;
  let info: EngineInfo | null = null;
  let publishedPorts: PublishedPort[] | null = null;
  let containerList: ContainerSummary[] | null = null;
  let containerStates: { id: string; running: boolean }[] | null = null;
  // Deep health: /_ping writes OK without touching daemon state, so a daemon also has to answer the
  // last call that reads its state (/containers/json, /info: neither takes a container's lock, moby
  // daemon/list.go reads the in-memory replica) within the deadline. Null until one was made.
  let stateAnswered: boolean | null = null;
  const stateCall = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      const v = await call();
      stateAnswered = true;
      return v;
    } catch (err) {
      stateAnswered = false;
      throw err;
    }
  };
  let userlandProxy = true;
  let slowOf: string | null = null; // the dockerd the slow calls last went to
  let slowAtMs = 0;
  let containersAtMs = 0;
  let slowDue = false;
  let containersDue = false;

  const get = async (path: string, deadlineMs: number): Promise<string> => expectOk(await client.get(path, deadlineMs), path);

  const ping: Probe = {
    name: 'dockerd_ping',
    deadlineMs: opts.timeoutMs,
    request: { http: { method: 'GET', path: '/_ping' } },
    due: () => true,
    async run() {
      await answering.check(client.socketPath, async () => {
        const res = await pinger.ping(this.deadlineMs);
        if (res.status !== 200) throw new Error(`/_ping answered ${res.status}`);
      });
    },
  };

  const version: Probe = {
    name: 'dockerd_version',
    deadlineMs: opts.timeoutMs,
    request: { http: { method: 'GET', path: '/version' } },
    due: () => slowDue,
    async run() {
      versions = parseVersion(await get('/version', this.deadlineMs));
    },
  };

  const infoProbe: Probe = {
    name: 'dockerd_info',
    deadlineMs: opts.timeoutMs,
    request: { http: { method: 'GET', path: '/info' } },
    due: () => slowDue,
    async run() {
      info = parseInfo(await stateCall(() => get('/info', this.deadlineMs)));
    },
  };

  const containers: Probe = {
    name: 'dockerd_containers',
    deadlineMs: opts.timeoutMs,
    request: { http: { method: 'GET', path: '/containers/json?all=1' } },
    due: () => containersDue,
    async run() {
      try {
        const body = await stateCall(() => get('/containers/json?all=1', this.deadlineMs));
        const list = parseContainerList(body);
        publishedPorts = list.publishedPorts;
        containerList = list.containers;
        containerStates = parseContainerStates(body);
      } catch (err) {
        publishedPorts = null;
        containerList = null;
        containerStates = null;
        throw err;
      }
    },
  };

  return {
    probes: [ping, version, infoProbe, containers],
    watches: [],
    prepare(view: EngineView, nowMs: number, looked?: ScanLooks) {
      answering.scanSaw(looked?.socketFiles);
      // Decided once for the poll, before this poll's /_ping answers: the due times move when the
      // calls are started (even into a lane still busy), as they always have.
      slowDue = false;
      containersDue = false;
      if (answering.value !== true) return;
      const identity = view.dockerd ? identityKey(view.dockerd) : null;
      if (identity !== slowOf || nowMs - slowAtMs >= opts.slowEveryMs) {
        slowOf = identity;
        slowAtMs = nowMs;
        slowDue = true;
        if (view.dockerd) {
          userlandProxy =
            userlandProxyFromArgv(view.dockerd) ?? readUserlandProxySetting(opts.procfsPath, opts.rootfsPath, view.dockerd) ?? true;
        }
      }
      if (nowMs - containersAtMs >= opts.containersEveryMs) {
        containersAtMs = nowMs;
        containersDue = true;
      }
    },
    findings: () => ({
      answering: answering.value === true && stateAnswered === false ? false : answering.value,
      answers: answering.count,
      versions,
      info,
      publishedPorts,
      containers: containerList,
      containerStates,
      userlandProxy,
    }),
    socketPath: () => client.socketPath,
    close() {
      pinger.close();
    },
  };
}
