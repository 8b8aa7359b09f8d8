/**
 * A read-only containerd client over its unix socket: Health/Check (over its own bare HTTP/2 session,
 * health-session.ts), Version, Tasks/List, Tasks/Get,
 * Containers/List, Namespaces/List, Introspection/Plugins and a standing Events/Subscribe. Every call passes through an interceptor that refuses anything not on
 * the allowlist (read-only.ts). A short reconnect back-off lets a restarted containerd be seen within
 * about a second (grpc-js's default hid it for up to 7 s).
 */
import * as grpc from '@grpc/grpc-js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { assertGrpcAllowed } from '../read-only.js';
import type { TaskInfo } from '../../engine/probe-report.js';
import { decodeTaskEvent, type TaskEvent } from './task-events.js';
import { createHealthSession } from './health-session.js';

/** One message of Events/Subscribe as decoded here (the event still packed in an Any). */
interface SubscribeEnvelope {
  namespace: string;
  topic: string;
  event: { type_url: string; value: Buffer } | null;
}

export interface EventEnvelope {
  namespace: string;
  topic: string;
  event: TaskEvent | null;
}

export interface PluginInfo {
  type: string;
  id: string;
  /** Why the plugin failed to initialise; null when it loaded. */
  initError: string | null;
}

export interface Subscription {
  cancel(): void;
}

export interface ContainerdClient {
  readonly address: string;
  health(timeoutMs: number): Promise<string>;
  version(timeoutMs: number): Promise<{ version: string; revision: string }>;
  listTasks(namespace: string, timeoutMs: number): Promise<TaskInfo[]>;
  /** One task's state: containerd asks its shim, so a hung shim leaves this unanswered (or UNKNOWN). */
  getTask(namespace: string, id: string, timeoutMs: number): Promise<TaskInfo>;
  /** Container ids from containerd's metadata store (no shim is asked). */
  listContainers(namespace: string, timeoutMs: number): Promise<string[]>;
  /** Namespaces/List: a read of containerd's metadata store (its bolt database), unlike Health/Check. */
  listNamespaces(timeoutMs: number): Promise<string[]>;
  /** Introspection/Plugins: every plugin, with the error it failed to load with (if it did). */
  plugins(timeoutMs: number): Promise<PluginInfo[]>;
  /** Streams events until cancelled or the connection ends; `onEnd` is called once, with the reason. */
  subscribe(filters: string[], onEvent: (e: EventEnvelope) => void, onEnd: (err: Error | null) => void): Subscription;
  close(): void;
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 500,
  'grpc.enable_retries': 0,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
};

interface WireProcess {
  id: string;
  container_id: string;
  pid: number;
  status: string;
}

/** containerd 1.6 leaves container_id empty and puts the container id in `id`. */
function taskInfo(t: WireProcess): TaskInfo {
  return { id: t.id || t.container_id, pid: t.pid, status: t.status };
}

type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;
interface UnaryClient extends grpc.Client {
  [method: string]: unknown;
}

/** The proto directory sits at the package root; dist/ and build/src/ are at different depths. */
function protoDir(): string {
  for (const rel of ['../../../proto/', '../../../../proto/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}containerd-tasks.proto`)) return dir;
  }
  throw new Error('proto/ directory not found next to the exporter');
}

interface Loaded {
  Health: grpc.ServiceClientConstructor;
  Version: grpc.ServiceClientConstructor;
  Tasks: grpc.ServiceClientConstructor;
  Events: grpc.ServiceClientConstructor;
  Containers: grpc.ServiceClientConstructor;
  Namespaces: grpc.ServiceClientConstructor;
  Introspection: grpc.ServiceClientConstructor;
}

const PROTO_FILES = [
  'grpc-health.proto',
  'containerd-version.proto',
  'containerd-tasks.proto',
  'containerd-events.proto',
  'containerd-containers.proto',
  'containerd-namespaces.proto',
  'containerd-introspection.proto',
];

/**
 * Messages as plain objects, as @grpc/proto-loader gave them with the options this client used to
 * pass it: field names as in the .proto files, 64-bit integers as numbers, enums by name, every
 * absent field at its default.
 */
const AS_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, oneofs: true };

function codec(type: protobuf.Type): { serialize: (v: object) => Buffer; deserialize: (b: Buffer) => object } {
  return {
    serialize: (v) => {
      const bytes = type.encode(type.fromObject(v)).finish();
      return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
    },
    deserialize: (b) => type.toObject(type.decode(b), AS_OBJECT),
  };
}

/**
 * A service's methods as grpc-js wants them, from protobufjs's parse of proto/: what
 * @grpc/proto-loader builds, without its descriptor machinery (less memory: docs/benchmarks.md).
 */
function serviceDefinition(root: protobuf.Root, name: string): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of root.lookupService(name).methodsArray) {
    method.resolve();
    const [request, response] = [method.resolvedRequestType, method.resolvedResponseType];
    if (!request || !response) throw new Error(`proto/: ${name}/${method.name} has unresolved message types`);
    const [req, res] = [codec(request), codec(response)];
    definition[method.name] = {
      path: `/${name}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: req.serialize,
      requestDeserialize: req.deserialize,
      responseSerialize: res.serialize,
      responseDeserialize: res.deserialize,
    };
  }
  return definition;
}

export function loadContainerdServices(): Loaded {
  const dir = protoDir();
  const root = new protobuf.Root();
  // google/protobuf/* resolve to the copies bundled with protobufjs, whatever directory they are asked in.
  root.resolvePath = (_origin, target) => `${dir}${target}`;
  root.loadSync(PROTO_FILES, { keepCase: true });
  const client = (name: string): grpc.ServiceClientConstructor =>
    grpc.makeGenericClientConstructor(serviceDefinition(root, name), name.slice(name.lastIndexOf('.') + 1));
  return {
    Health: client('grpc.health.v1.Health'),
    Version: client('containerd.services.version.v1.Version'),
    Tasks: client('containerd.services.tasks.v1.Tasks'),
    Events: client('containerd.services.events.v1.Events'),
    Containers: client('containerd.services.containers.v1.Containers'),
    Namespaces: client('containerd.services.namespaces.v1.Namespaces'),
    Introspection: client('containerd.services.introspection.v1.Introspection'),
  };
}

/** Refuses, before anything is sent, every method that is not on the read-only allowlist. */
const readOnlyInterceptor: grpc.Interceptor = (options, nextCall) => {
  assertGrpcAllowed(options.method_definition.path);
  return new grpc.InterceptingCall(nextCall(options));
};

export function createContainerdClient(socketPath: string, services: Loaded = loadContainerdServices()): ContainerdClient {
  const target = `unix://${socketPath}`;
  const creds = grpc.credentials.createInsecure();
  const options = { ...CHANNEL_OPTIONS, interceptors: [readOnlyInterceptor] };
  const health = new services.Health(target, creds, options) as UnaryClient;
  const channel = health.getChannel();
  const share = { ...options, channelOverride: channel as grpc.Channel };
  const version = new services.Version(target, creds, share) as UnaryClient;
  const tasks = new services.Tasks(target, creds, share) as UnaryClient;
  const events = new services.Events(target, creds, share) as UnaryClient;
  const containers = new services.Containers(target, creds, share) as UnaryClient;
  const inNamespace = (namespace: string): grpc.Metadata => {
    const md = new grpc.Metadata();
    md.set('containerd-namespace', namespace);
    return md;
  };
  const namespaces = new services.Namespaces(target, creds, share) as UnaryClient;
  const introspection = new services.Introspection(target, creds, share) as UnaryClient;
  // Health/Check, the call made every poll, goes over a bare HTTP/2 session (health-session.ts).
  const healthSession = createHealthSession(socketPath);

  const unary = <T>(client: UnaryClient, method: string, request: object, timeoutMs: number, metadata = new grpc.Metadata()): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const fn = client[method] as (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback<T>) => void;
      fn.call(client, request, metadata, { deadline: Date.now() + timeoutMs }, (err, value) => {
        if (err) reject(err);
        else resolve(value as T);
      });
    });

  return {
    address: socketPath,
    health(timeoutMs) {
      return healthSession.check(timeoutMs);
    },
    async version(timeoutMs) {
      return unary<{ version: string; revision: string }>(version, 'Version', {}, timeoutMs);
    },
    async listTasks(namespace, timeoutMs) {
      const res = await unary<{ tasks: WireProcess[] }>(tasks, 'List', {}, timeoutMs, inNamespace(namespace));
      return res.tasks.map(taskInfo);
    },
    async getTask(namespace, id, timeoutMs) {
      const res = await unary<{ process: WireProcess | null }>(tasks, 'Get', { container_id: id }, timeoutMs, inNamespace(namespace));
      if (!res.process) throw new Error(`Tasks/Get ${id}: no process in the answer`);
      return taskInfo(res.process);
    },
    async listContainers(namespace, timeoutMs) {
      const res = await unary<{ containers: { id: string }[] }>(containers, 'List', {}, timeoutMs, inNamespace(namespace));
      return res.containers.map((c) => c.id);
    },
    async listNamespaces(timeoutMs) {
      const res = await unary<{ namespaces: { name: string }[] }>(namespaces, 'List', { filter: '' }, timeoutMs);
      return res.namespaces.map((n) => n.name);
    },
    async plugins(timeoutMs) {
      type Plugin = { type: string; id: string; init_err: { code: number; message: string } | null };
      const res = await unary<{ plugins: Plugin[] }>(introspection, 'Plugins', { filters: [] }, timeoutMs);
      return res.plugins.map((p) => ({
        type: p.type,
        id: p.id,
        initError: p.init_err && (p.init_err.code !== 0 || p.init_err.message !== '') ? p.init_err.message || `code ${p.init_err.code}` : null,
      }));
    },
    subscribe(filters, onEvent, onEnd) {
      const fn = events.Subscribe as (req: object, opts: grpc.CallOptions) => grpc.ClientReadableStream<SubscribeEnvelope>;
      const stream = fn.call(events, { filters }, {});
      let ended = false;
      const end = (err: Error | null): void => {
        if (ended) return;
        ended = true;
        onEnd(err);
      };
      stream.on('data', (env: SubscribeEnvelope) => {
        let event: TaskEvent | null;
        try {
          event = env.event ? decodeTaskEvent(env.event.type_url, env.event.value) : null;
        } catch {
          event = null; // a malformed payload is skipped, not fatal
        }
        onEvent({ namespace: env.namespace, topic: env.topic, event });
      });
      stream.on('error', (err) => end(err));
      stream.on('end', () => end(null));
      return {
        cancel() {
          ended = true;
          stream.cancel();
        },
      };
    },
    close() {
      for (const c of [version, tasks, events, containers, namespaces, introspection]) c.close();
      health.close();
      healthSession.close();
    },
  };
}
