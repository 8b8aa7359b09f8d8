/**
 * The HTTP surface as a fastify instance (server.ts only listens): the telemetry path, /healthz and the
 * status page. Nothing here touches the engine; it reads what the poller last saw.
 */
import type { Server as TlsServer } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EngineTree } from '../report/tree-nodes.js';
import { registerStatusPage } from './status-page.js';
import { registerMetricsRoute } from './metrics-route.js';
import { rateLimitHook } from './rate-limit.js';
import { guardConnections } from './connection-limit.js';
import type { WebConfigRuntime } from './web-config-reload.js';
import { attachWebConfigTls, httpsServerOptions } from './web-config-tls.js';

export interface HealthReport {
  /** true: 200, false: 503. */
  ok: boolean;
  body: Record<string, unknown>;
}

export interface AppOptions {
  registry: Registry;
  telemetryPath: string;
  health: () => HealthReport;
  logger: Logger;
  version: string;
  /** --web.config.file (TLS, basic auth, headers), re-read as it changes; absent or null: plain HTTP. */
  webConfig?: WebConfigRuntime | null;
  /** The engine tree of the status page (`/`, `/status.json`); null before the first poll. */
  statusTree?: () => EngineTree | null;
}

const ALLOWED = 'GET, HEAD';
const OTHER_METHODS = ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

export function buildApp(opts: AppOptions): FastifyInstance {
  // fastify's own request logging stays off: one line per scrape would drown the state changes.
  // Limits, on purpose: a scrape is one small GET. Slow or stuck clients (Slowloris) are cut off after
  // 10 s of headers / 15 s of request, checked every second; a connection serves at most 100 requests
  // (pipelined floods cannot queue unbounded answers). An idle keep-alive connection is closed after
  // 5 s (fastify's default is 72 s; Prometheus scrapes every 15 s or more, so it reconnects anyway),
  // and at the connection cap the longest-idle connection makes room for a new one
  // (connection-limit.ts): idle connections cannot lock scrapes out.
  const serverLimits = { headersTimeout: 10_000, requestTimeout: 15_000, connectionsCheckingInterval: 1_000, keepAliveTimeout: 5_000 };
  const base = {
    logger: false,
    connectionTimeout: 30_000,
    keepAliveTimeout: 5_000,
    requestTimeout: 15_000,
    maxRequestsPerSocket: 100,
    bodyLimit: 1024, // nothing here accepts a body
    http: serverLimits,
  } as const;
  const web = opts.webConfig ?? null;
  const tls = web?.currentTls() ?? null;
  // Typed as the plain HTTP instance either way: nothing below depends on the kind of server.
  // (fastify ignores `http` for an HTTPS server, so the limits go into the https options too.)
  const app = (tls
    ? Fastify({ ...base, https: { ...httpsServerOptions(tls), ...serverLimits } })
    : Fastify(base)) as unknown as FastifyInstance;
  if (web && tls) attachWebConfigTls(app.server as unknown as TlsServer, tls, web, opts.logger);
  guardConnections(app.server);
  // rate_limit of the web config: first of all, as the toolkit checks it before anything else.
  if (web) app.addHook('onRequest', rateLimitHook(web));
  // No "100 Continue": nothing here wants a body, and the hook below refuses it before it is sent.
  app.server.on('checkContinue', (req, res) => app.server.emit('request', req, res));

  // Nothing accepts a body: refuse one at once instead of reading and discarding it. (Other methods on
  // our paths get their 405 from the route's own onRequest, also before any body is read.)
  app.addHook('onRequest', async (req, reply) => {
    const length = req.headers['content-length'];
    const hasBody = (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
    const answeredBy405 = req.method !== 'GET' && req.method !== 'HEAD' && req.routeOptions.url !== undefined;
    if (hasBody && !answeredBy405) {
      reply.code(413).header('connection', 'close').send({ error: 'Payload Too Large: no request body is accepted' });
      return reply;
    }
  });

  // Requests let through without credentials to /healthz (see below): they get the status only.
  const anonymous = new WeakSet<object>();
  if (web) {
    // Before every route and the 404 handler, as exporter-toolkit wraps the whole handler: the extra
    // headers go on every answer (401s included), and with users configured every path needs them.
    app.addHook('onRequest', async (req, reply) => {
      const config = web.current();
      for (const [name, value] of config.headers) reply.header(name, value);
      if (config.users.size === 0) return;
      const outcome = await web.auth.check(config.users, req.headers.authorization);
      if (outcome === 'ok') return;
      // More wrong passwords than bcrypt's queue holds (web-config-auth.ts): no turn, answered at once.
      if (outcome === 'busy') {
        reply.code(429).header('retry-after', '1').type('text/plain; charset=utf-8').send('Too Many Requests\n');
        return reply;
      }
      // Container HEALTHCHECKs and kubelet probes carry no credentials: /healthz answers them with its
      // status code and {"status"} only; the details need credentials like everything else.
      if (outcome === 'absent' && (req.method === 'GET' || req.method === 'HEAD') && req.routeOptions.url === '/healthz') {
        anonymous.add(req);
        return;
      }
      reply.code(401).header('www-authenticate', 'Basic').type('text/plain; charset=utf-8').send('Unauthorized\n');
      return reply;
    });
  }

  app.setErrorHandler(async (err: { message: string; statusCode?: number }, req, reply) => {
    const code = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
    if (code >= 500) opts.logger.error({ url: req.url, err: err.message }, 'request failed');
    return reply.code(code).send({ error: err.message });
  });

  registerMetricsRoute(app, opts.registry, opts.telemetryPath);

  app.get('/healthz', async (req, reply) => {
    const report = opts.health();
    const body = anonymous.has(req) ? { status: report.body.status ?? (report.ok ? 'ok' : 'unhealthy') } : report.body;
    return reply.code(report.ok ? 200 : 503).send(body);
  });

  // The live status page at / and its tree at /status.json (each with its own 405 for other methods).
  registerStatusPage(app, { getTree: opts.statusTree ?? (() => null), telemetryPath: opts.telemetryPath, version: opts.version });

  const paths = new Set([opts.telemetryPath, '/healthz']);
  for (const url of paths) {
    app.route({
      method: [...OTHER_METHODS],
      url,
      // Answered in onRequest, before any body is read or parsed.
      onRequest: async (_req, reply) => reply.code(405).header('allow', ALLOWED).send({ error: 'Method Not Allowed', allow: ALLOWED }),
      handler: async (_req, reply) => reply,
    });
  }
  return app;
}
