/**
 * The exporter only reads. This is the one list of requests it may send to containerd and dockerd;
 * both clients check every request against it before sending, and a test puts a recording proxy in
 * front of the real sockets to prove nothing else goes out.
 */

export const ALLOWED_GRPC_METHODS: ReadonlySet<string> = new Set([
  '/grpc.health.v1.Health/Check',
  '/containerd.services.version.v1.Version/Version',
  '/containerd.services.tasks.v1.Tasks/List',
  '/containerd.services.tasks.v1.Tasks/Get',
  '/containerd.services.containers.v1.Containers/List',
  '/containerd.services.events.v1.Events/Subscribe',
  '/containerd.services.namespaces.v1.Namespaces/List',
  '/containerd.services.introspection.v1.Introspection/Plugins',
]);

/** Engine API paths, optionally behind a version prefix (/v1.41/_ping). GET and HEAD only. */
const ALLOWED_HTTP_PATHS: readonly RegExp[] = [
  /^\/_ping$/,
  /^\/version$/,
  /^\/info$/,
  /^\/containers\/json$/,
  /^\/events$/,
  // One container's inspect, by its full id only (never a name, which could spell another path).
  /^\/containers\/[0-9a-f]{64}\/json$/,
];
const ALLOWED_HTTP_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

export class ForbiddenRequestError extends Error {
  constructor(what: string) {
    super(`refusing to send ${what}: not on the read-only allowlist`);
    this.name = 'ForbiddenRequestError';
  }
}

export function assertGrpcAllowed(methodPath: string): void {
  if (!ALLOWED_GRPC_METHODS.has(methodPath)) throw new ForbiddenRequestError(`gRPC ${methodPath}`);
}

export function isHttpAllowed(method: string, pathWithQuery: string): boolean {
  const path = pathWithQuery.split('?')[0]!.replace(/^\/v\d+\.\d+(?=\/)/, '');
  return ALLOWED_HTTP_METHODS.has(method) && ALLOWED_HTTP_PATHS.some((re) => re.test(path));
}

export function assertHttpAllowed(method: string, pathWithQuery: string): void {
  if (!isHttpAllowed(method, pathWithQuery)) throw new ForbiddenRequestError(`${method} ${pathWithQuery}`);
}
