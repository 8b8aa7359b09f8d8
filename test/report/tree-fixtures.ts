/** Literal engine states for the tree and status-page tests, built by the real poller from literal snapshots and probe answers. */
import assert from 'node:assert/strict';
import type { EngineState } from '../../src/engine/engine-state.js';
import type { EngineTreeOptions } from '../../src/report/engine-tree.js';
import { createLogger } from '../../src/log/logger.js';
import { createPoller } from '../../src/poller/poller.js';
import type { ProbeRunner } from '../../src/poller/probe-runner.js';
import type { ContainerSummary, ProbeName, ProbeOutcome, ProbeReport, SweepFindings } from '../../src/engine/probe-report.js';
import type { ProcessSource } from '../../src/sources/process-source.js';
import type { ProcessInfo, ProcessSnapshot } from '../../src/engine/process-model.js';
import { child, containerd, dockerd, shim, snapshot } from '../unit/engine-helpers.js';

export const ID_A = 'aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111';
export const ID_B = 'bbbbbbbbbbbb2222222222222222222222222222222222222222222222222222';
/** engine-helpers start process N at 1_000_000 + N seconds; every snapshot is taken 200 s later. */
export const NOW_MS = (1_000_000 + 200) * 1000;

export function proxy(pid: number, port: number, ppid = 10): ProcessInfo {
  return {
    ...child(pid, ppid, 'docker-proxy'),
    argv: [
      '/usr/sbin/docker-proxy',
      '-proto',
      'tcp',
      '-host-ip',
      '127.0.0.1',
      '-host-port',
      String(port),
      '-container-ip',
      '10.213.0.3',
      '-container-port',
      '80',
    ],
  };
}

export const HEALTHY = [dockerd(10), containerd(20, 10), shim(50, ID_A), shim(70, ID_B), child(71, 70, 'docker-init'), proxy(12, 18080)];

export interface Answers {
  dockerd: boolean | null;
  containerd: boolean | null;
  tasks?: string[] | null;
  /** Published host ports: a number is 127.0.0.1:<port>/tcp. */
  published?: Array<number | { hostIp: string; hostPort: number; proto: string }> | null;
  /** dockerd's container list; by default web-1 (nginx) for ID_A and db (postgres) for ID_B, none without dockerd. */
  containers?: ContainerSummary[] | null;
  /** The per-container sweep's findings; none by default. */
  sweep?: SweepFindings;
}

const CONTAINERS: ContainerSummary[] = [
  { id: ID_A, name: 'web-1', program: 'nginx' },
  { id: ID_B, name: 'db', program: 'postgres' },
];

/** A probe runner that answers what the test says, one answer per poll. */
function scriptedProbes(script: Answers[]): ProbeRunner {
  let round = -1;
  let answers: Answers = { dockerd: null, containerd: null };
  const counts = { dockerd: 0, containerd: 0 };
  const outcomes = new Map<ProbeName, ProbeOutcome>();
  return {
    scanRequest: () => ({ sockets: [], pids: [] }),
    tick() {
      round++;
      answers = script[Math.min(round, script.length - 1)] ?? answers;
      const at = NOW_MS;
      if (answers.dockerd !== null) {
        counts.dockerd++;
        outcomes.set('dockerd_ping', {
          success: answers.dockerd,
          durationSeconds: answers.dockerd ? 0.0012 : 1,
          error: answers.dockerd ? null : 'no answer to GET /_ping within 1000 ms',
          atMs: at,
        });
      }
      if (answers.containerd !== null) {
        counts.containerd++;
        outcomes.set('containerd_health', {
          success: answers.containerd,
          durationSeconds: answers.containerd ? 0.0008 : 1,
          error: answers.containerd ? null : '4 DEADLINE_EXCEEDED: Deadline exceeded',
          atMs: at,
        });
      }
      return Promise.resolve();
    },
    report(): ProbeReport {
      const tasks = answers.tasks === undefined ? [ID_A, ID_B] : answers.tasks;
      const published = answers.published === undefined ? [18080] : answers.published;
      return {
        outcomes,
        containerdAnswering: answers.containerd,
        containerdAnswers: counts.containerd,
        dockerdAnswering: answers.dockerd,
        dockerdAnswers: counts.dockerd,
        containerdVersion: '1.7.24',
        engineVersions: { dockerd: '26.1.5', containerd: '1.7.24', runc: '1.1.15', dockerInit: '0.19.0', apiVersion: '1.45' },
        info: null,
        tasks: tasks === null ? null : new Map([['moby', tasks.map((id, i) => ({ id, pid: 100 + i, status: 'RUNNING' }))]]),
        publishedPorts:
          published === null
            ? null
            : published.map((port) => (typeof port === 'number' ? { hostIp: '127.0.0.1', hostPort: port, proto: 'tcp' } : port)),
        containers: answers.containers === undefined ? (answers.dockerd === null ? null : CONTAINERS) : answers.containers,
        userlandProxy: true,
        events: null,
        ...(answers.sweep ? { sweep: answers.sweep } : {}),
      };
    },
    close() {},
  };
}

/** Runs the real poller over literal snapshots and probe answers; returns the state after the last poll. */
export async function stateAfter(snaps: ProcessSnapshot[], answers: Answers[], dockerdExpected = true): Promise<EngineState> {
  let i = 0;
  const source: ProcessSource = {
    name: 'procfs',
    scan: () => Promise.resolve(snaps[Math.min(i++, snaps.length - 1)] as ProcessSnapshot),
    close: async () => {},
  };
  const poller = createPoller({
    source,
    intervalMs: 1000,
    settings: { dockerdExpected, containerdAddress: null },
    logger: createLogger('error', 'json', () => {}),
    probes: scriptedProbes(answers),
    runcStuckAfterSeconds: 30,
  });
  for (let n = 0; n < snaps.length; n++) await poller.pollOnce();
  const latest = poller.status().latest;
  assert.ok(latest, `no state: ${poller.status().lastError}`);
  return latest;
}

export const OPTS: EngineTreeOptions = { dockerdExpected: true, runcStuckAfterSeconds: 30, nowMs: NOW_MS };
export const snap = (procs: ProcessInfo[], pidfile: number | null = 10) => snapshot(procs, pidfile, NOW_MS);
export const UP: Answers = { dockerd: true, containerd: true };
