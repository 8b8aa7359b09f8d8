import { oneLine } from '../../one-line.js';
import {
  CONTAINER_TEXT_MAX,
  type ContainerSummary,
  type EngineInfo,
  type EngineVersions,
  type PublishedPort,
} from '../../engine/probe-report.js';

/** Pure parsers for the Engine API answers the exporter reads. Each throws a one-line error on bad input. */

export class MalformedApiResponseError extends Error {
  constructor(what: string, reason: string) {
    super(oneLine(`malformed ${what}: ${reason.slice(0, 200)}`));
    this.name = 'MalformedApiResponseError';
  }
}

function parseJson(what: string, body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    throw new MalformedApiResponseError(what, (err as Error).message);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** GET /version: Version and the Components list (Engine, containerd, runc, docker-init). */
export function parseVersion(body: string): EngineVersions {
  const v = parseJson('/version', body);
  if (!isRecord(v)) throw new MalformedApiResponseError('/version', 'not an object');
  const components = Array.isArray(v.Components) ? v.Components : [];
  const of = (name: string): string => {
    const c = components.find((x): x is Record<string, unknown> => isRecord(x) && x.Name === name);
    return c && typeof c.Version === 'string' ? c.Version : '';
  };
  return {
    dockerd: typeof v.Version === 'string' ? v.Version : of('Engine'),
    containerd: of('containerd'),
    runc: of('runc'),
    dockerInit: of('docker-init'),
    apiVersion: typeof v.ApiVersion === 'string' ? v.ApiVersion : '',
  };
}

/** GET /info: the fields the exporter shows. */
export function parseInfo(body: string): EngineInfo {
  const v = parseJson('/info', body);
  if (!isRecord(v)) throw new MalformedApiResponseError('/info', 'not an object');
  const num = (k: string): number => (typeof v[k] === 'number' ? v[k] : 0);
  return {
    containers: num('Containers'),
    running: num('ContainersRunning'),
    paused: num('ContainersPaused'),
    stopped: num('ContainersStopped'),
    liveRestore: v.LiveRestoreEnabled === true,
    defaultRuntime: typeof v.DefaultRuntime === 'string' ? v.DefaultRuntime : '',
    // Only an absolute path: it is statfs'ed for the data root's headroom.
    rootDir: typeof v.DockerRootDir === 'string' && v.DockerRootDir.startsWith('/') ? v.DockerRootDir : null,
    goroutines: count(v.NGoroutines),
    eventListeners: count(v.NEventsListener),
  };
}

function count(v: unknown): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
}

/** GET /containers/json?all=1: every container's id and whether dockerd calls it running. */
export function parseContainerStates(body: string): { id: string; running: boolean }[] {
  const v = parseJson('/containers/json', body);
  if (!Array.isArray(v)) throw new MalformedApiResponseError('/containers/json', 'not an array');
  const out: { id: string; running: boolean }[] = [];
  for (const c of v) {
    if (!isRecord(c) || typeof c.Id !== 'string' || c.Id === '') continue;
    // "paused" and "restarting" containers still have their task; only "running" is asserted running.
    out.push({ id: c.Id, running: c.State === 'running' });
  }
  return out;
}

/** GET /containers/json: host ports published by running containers (one entry per address family). */
export function parsePublishedPorts(body: string): PublishedPort[] {
  return parseContainerList(body).publishedPorts;
}

/** GET /containers/json: the published ports and, for the status page and `check`, each container's name and program. */
export function parseContainerList(body: string): { publishedPorts: PublishedPort[]; containers: ContainerSummary[] } {
  const v = parseJson('/containers/json', body);
  if (!Array.isArray(v)) throw new MalformedApiResponseError('/containers/json', 'not an array');
  return { publishedPorts: portsOf(v), containers: v.flatMap((c) => summaryOf(c) ?? []) };
}

function summaryOf(c: unknown): ContainerSummary | null {
  if (!isRecord(c) || typeof c.Id !== 'string' || !/^[0-9a-f]{1,64}$/.test(c.Id)) return null;
  const first = Array.isArray(c.Names) ? (c.Names as unknown[]).find((n) => typeof n === 'string') : undefined;
  const name = typeof first === 'string' ? first.replace(/^\//, '') : '';
  const word = typeof c.Command === 'string' ? (c.Command.trim().split(' ')[0] ?? '') : '';
  const program = word.slice(word.lastIndexOf('/') + 1);
  return { id: c.Id, name: name.slice(0, CONTAINER_TEXT_MAX), program: program.slice(0, CONTAINER_TEXT_MAX) };
}

function portsOf(v: unknown[]): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const c of v) {
    if (!isRecord(c) || !Array.isArray(c.Ports)) continue;
    if (typeof c.State === 'string' && c.State !== 'running') continue;
    for (const p of c.Ports) {
      if (!isRecord(p) || typeof p.PublicPort !== 'number' || p.PublicPort <= 0) continue;
      out.push({ hostIp: typeof p.IP === 'string' ? p.IP : '', hostPort: p.PublicPort, proto: typeof p.Type === 'string' ? p.Type : 'tcp' });
    }
  }
  return out;
}
