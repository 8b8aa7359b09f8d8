/**
 * Flags in the Prometheus exporters' style (`--web.listen-address=:9733`), each also readable from an
 * environment variable (DOCKER_ENGINE_EXPORTER_WEB_LISTEN_ADDRESS). Validated once, before anything
 * starts: a bad value is a FlagError naming the flag, which main turns into one line and exit 2.
 */
import { statSync } from 'node:fs';
import { oneLine } from '../one-line.js';
import type { LogFormat, LogLevel } from '../log/logger.js';

export const DEFAULT_PORT = 9733;

export interface ListenAddress {
  host: string;
  port: number;
}

type ProcessSourceName = 'procfs' | 'ps-list';

export interface Config {
  listenAddress: ListenAddress;
  telemetryPath: string;
  procfsPath: string;
  /** Where the host's root filesystem is mounted ("/" on the host): host paths the engine names are reached under it. */
  rootfsPath: string;
  /** Absolute unix socket path of dockerd's Engine API; null on a containerd-only node (--docker.host=""). */
  dockerSocket: string | null;
  dockerPidfile: string | null;
  /** containerd's socket path; null to discover it from the process tree. */
  containerdAddress: string | null;
  /** containerd namespaces whose tasks and events are watched. */
  containerdNamespaces: string[];
  pollIntervalMs: number;
  probeTimeoutMs: number;
  runcStuckAfterMs: number;
  /** How often every running container is inspected and its task state asked (the per-container sweep). */
  sweepIntervalMs: number;
  /** A full procfs scan at least this often, auditing the rooted one; 0: every scan is full. */
  scanFullIntervalMs: number;
  processSource: ProcessSourceName;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** exporter-toolkit web config (TLS, basic auth, headers); null for plain HTTP. */
  webConfigFile: string | null;
  /** Where restart memory is kept across exporter restarts; null to keep none. */
  stateFile: string | null;
  /** --path.kmsg: the kernel log; null when it is not to be read. */
  kmsgPath: string | null;
  /** Output of the one-shot `check` command. */
  checkOutput: 'text' | 'json' | 'npd' | 'npd-warning';
}

export class FlagError extends Error {
  readonly flag: string;
  constructor(flag: string, message: string) {
    super(oneLine(`--${flag}: ${message}`));
    this.flag = oneLine(flag);
    this.name = 'FlagError';
  }
}

interface FlagSpec {
  name: string;
  help: string;
  /** Default value as text; a function for defaults that depend on the environment. */
  default: string | ((env: NodeJS.ProcessEnv) => string);
}

export const FLAGS: readonly FlagSpec[] = [
  { name: 'web.listen-address', help: 'Address to listen on for the web interface and telemetry.', default: `:${DEFAULT_PORT}` },
  { name: 'web.telemetry-path', help: 'Path under which to expose metrics.', default: '/metrics' },
  { name: 'path.procfs', help: "procfs mountpoint (the host's /proc mounted elsewhere, in a container).", default: '/proc' },
  {
    name: 'path.rootfs',
    help: "rootfs mountpoint: host paths the engine names (containerd's socket learnt from the daemons, dockerd's config) are reached under it.",
    default: '/',
  },
  {
    name: 'docker.host',
    help: 'dockerd\'s Engine API socket, as DOCKER_HOST (unix:// only); "" for a containerd-only node without dockerd.',
    default: (env) => env.DOCKER_HOST ?? 'unix:///var/run/docker.sock',
  },
  { name: 'docker.pidfile', help: 'dockerd\'s pidfile, which picks the watched dockerd; "" to not read one.', default: '/var/run/docker.pid' },
  {
    name: 'containerd.address',
    help: "containerd's socket; empty to discover it (dockerd's child, or dockerd's --containerd, or the default).",
    default: '',
  },
  {
    name: 'containerd.namespaces',
    help: 'Comma-separated containerd namespaces whose tasks and events to watch (Docker: moby; Kubernetes: k8s.io).',
    default: 'moby',
  },
  { name: 'poll.interval', help: 'How often to observe the engine (100ms to 1h).', default: '1s' },
  { name: 'probe.timeout', help: 'Timeout of each socket probe (containerd gRPC, Engine API).', default: '2s' },
  { name: 'runc.stuck-after', help: 'A runc process older than this is stuck (runc normally lives milliseconds).', default: '30s' },
  {
    name: 'sweep.interval',
    help: "How often to inspect every running container and ask its shim for the task's state (1s to 1h).",
    default: '15s',
  },
  {
    name: 'scan.full-interval',
    help: 'How often the procfs source reads every pid, auditing the scan that follows the engine from its roots (0s: every poll; up to 1h).',
    default: '60s',
  },
  { name: 'process.source', help: 'Where to read processes: procfs or ps-list.', default: 'procfs' },
  { name: 'log.level', help: 'Only log messages with the given severity or above: debug, info, warn, error.', default: 'info' },
  { name: 'log.format', help: 'Output format of log messages: logfmt or json.', default: 'logfmt' },
  {
    name: 'web.config.file',
    help: 'Path to a web configuration file (exporter-toolkit format) enabling TLS and/or basic authentication; "" for plain HTTP.',
    default: '',
  },
  {
    name: 'state.file',
    help: 'File that keeps identities and counters across exporter restarts (restarts while the exporter was down are counted); "" for none.',
    default: '',
  },
  {
    name: 'path.kmsg',
    help: 'The kernel log, read for OOM kills and hung-task reports of the engine (needs CAP_SYSLOG with kernel.dmesg_restrict=1); "" to not read it.',
    default: '/dev/kmsg',
  },
  {
    name: 'output',
    help: 'For `check`: text, json, npd (node-problem-detector plugin: 1 when critical) or npd-warning (1 when critical or warning).',
    default: 'text',
  },
];

export function envName(flag: string): string {
  return 'DOCKER_ENGINE_EXPORTER_' + flag.toUpperCase().replace(/[.-]/g, '_');
}

export type ParsedArgs =
  | { kind: 'help' }
  | { kind: 'version' }
  /** `run` serves metrics; `check` looks once, prints the engine tree and exits with a plugin status. */
  | { kind: 'run' | 'check'; config: Config };

/** Parses argv (without node and script) and the environment. Throws FlagError. */
export function parseFlags(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs {
  const given = new Map<string, string>();
  const command = argv[0] === 'check' ? 'check' : 'run';
  for (let i = command === 'check' ? 1 : 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (arg === '--version') return { kind: 'version' };
    if (!arg.startsWith('--')) throw new FlagError(arg, 'unexpected argument (flags look like --name=value)');
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (!FLAGS.some((f) => f.name === name)) throw new FlagError(name, 'unknown flag (see --help)');
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new FlagError(name, 'needs a value');
      value = next;
      i++;
    }
    given.set(name, value);
  }
  const raw = (name: string): string => {
    const spec = FLAGS.find((f) => f.name === name);
    if (!spec) throw new Error(`no such flag ${name}`);
    const fromArgv = given.get(name);
    if (fromArgv !== undefined) return fromArgv;
    const fromEnv = env[envName(name)];
    if (fromEnv !== undefined) return fromEnv;
    return typeof spec.default === 'function' ? spec.default(env) : spec.default;
  };

  return {
    kind: command,
    config: {
      listenAddress: parseListenAddress(raw('web.listen-address')),
      telemetryPath: parseTelemetryPath(raw('web.telemetry-path')),
      procfsPath: parseDirectory('path.procfs', raw('path.procfs')),
      rootfsPath: parseDirectory('path.rootfs', raw('path.rootfs')),
      dockerSocket: parseDockerHost(raw('docker.host')),
      dockerPidfile: parseOptionalAbsolutePath('docker.pidfile', raw('docker.pidfile')),
      containerdAddress: parseContainerdAddress(raw('containerd.address')),
      containerdNamespaces: parseNamespaces(raw('containerd.namespaces')),
      pollIntervalMs: parseInterval('poll.interval', raw('poll.interval'), 100, 3_600_000),
      probeTimeoutMs: parseInterval('probe.timeout', raw('probe.timeout'), 10, 60_000),
      runcStuckAfterMs: parseInterval('runc.stuck-after', raw('runc.stuck-after'), 1000, 24 * 3_600_000),
      sweepIntervalMs: parseInterval('sweep.interval', raw('sweep.interval'), 1000, 3_600_000),
      scanFullIntervalMs: parseInterval('scan.full-interval', raw('scan.full-interval'), 0, 3_600_000),
      processSource: oneOf('process.source', raw('process.source'), ['procfs', 'ps-list'] as const),
      logLevel: oneOf('log.level', raw('log.level'), ['debug', 'info', 'warn', 'error'] as const),
      logFormat: oneOf('log.format', raw('log.format'), ['logfmt', 'json'] as const),
      webConfigFile: parseOptionalAbsolutePathOrRelative('web.config.file', raw('web.config.file')),
      stateFile: parseOptionalAbsolutePathOrRelative('state.file', raw('state.file')),
      kmsgPath: parseOptionalAbsolutePath('path.kmsg', raw('path.kmsg')),
      checkOutput: oneOf('output', raw('output'), ['text', 'json', 'npd', 'npd-warning'] as const),
    },
  };
}

export function helpText(env: NodeJS.ProcessEnv): string {
  const lines = [
    'usage: docker-engine-exporter [<flags>]',
    '       docker-engine-exporter check [<flags>]   (look once, print the engine tree, exit 0 OK / 1 warning / 2 critical / 3 unknown)',
    '',
    'Prometheus exporter and health monitor for the Docker engine: dockerd, containerd, shims, runc,',
    'docker-proxy and docker-init.',
    '',
    'Flags (each also as an environment variable):',
    '  -h, --help     Show this help.',
    '      --version  Show the version.',
  ];
  for (const f of FLAGS) {
    const def = typeof f.default === 'function' ? f.default(env) : f.default;
    lines.push(`      --${f.name}=${JSON.stringify(def)}`, `          ${f.help}`, `          env: ${envName(f.name)}`);
  }
  return lines.join('\n') + '\n';
}

export function parseListenAddress(value: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new FlagError('web.listen-address', `"${value}" is not host:port (e.g. :9733, 127.0.0.1:9733, [::1]:9733)`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

function parseTelemetryPath(value: string): string {
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(value) || value === '/healthz') {
    throw new FlagError('web.telemetry-path', `"${value}" must be a path starting with / (and not /healthz)`);
  }
  return value;
}

function parseDirectory(flag: string, value: string): string {
  let isDir = false;
  try {
    isDir = statSync(value).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new FlagError(flag, `"${value}" is not a directory`);
  return value.length > 1 ? value.replace(/\/+$/, '') : value;
}

function parseDockerHost(value: string): string | null {
  if (value === '') return null;
  if (!value.startsWith('unix://')) {
    throw new FlagError('docker.host', `"${value}" is not a unix:// socket (tcp:// and ssh:// are not supported)`);
  }
  const path = value.slice('unix://'.length);
  if (!path.startsWith('/')) throw new FlagError('docker.host', `"${value}" must name an absolute path (unix:///var/run/docker.sock)`);
  return path;
}

function parseContainerdAddress(value: string): string | null {
  if (value === '') return null;
  const path = value.startsWith('unix://') ? value.slice('unix://'.length) : value;
  if (!path.startsWith('/')) {
    throw new FlagError('containerd.address', `"${value}" must be an absolute socket path or unix:///path`);
  }
  return path;
}

function parseOptionalAbsolutePathOrRelative(flag: string, value: string): string | null {
  if (value === '') return null;
  if (value.includes('\0')) throw new FlagError(flag, 'is not a path');
  return value;
}

function parseOptionalAbsolutePath(flag: string, value: string): string | null {
  if (value === '') return null;
  if (!value.startsWith('/')) throw new FlagError(flag, `"${value}" must be an absolute path`);
  return value;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Prometheus-style durations: 500ms, 1s, 1m30s. */
export function parseDuration(value: string): number | null {
  if (!/^(\d+(ms|s|m|h))+$/.test(value)) return null;
  let total = 0;
  for (const m of value.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? NaN);
  return Number.isFinite(total) ? total : null;
}

function parseInterval(flag: string, value: string, minMs: number, maxMs: number): number {
  const ms = parseDuration(value);
  if (ms === null) throw new FlagError(flag, `"${value}" is not a duration (e.g. 500ms, 1s, 1m)`);
  if (ms < minMs || ms > maxMs) throw new FlagError(flag, `${value} is out of range (${minMs}ms to ${maxMs / 60_000}m)`);
  return ms;
}

function parseNamespaces(value: string): string[] {
  const names = value.split(',').map((n) => n.trim());
  // containerd's namespace rule: a label of letters, digits, '.', '_' and '-', starting alphanumeric.
  const bad = names.find((n) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,75}$/.test(n));
  if (bad !== undefined) throw new FlagError('containerd.namespaces', `"${bad}" is not a containerd namespace`);
  return [...new Set(names)];
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new FlagError(flag, `"${value}" is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}
