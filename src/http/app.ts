/**
 * The HTTP surface as a fastify instance (server.ts only listens): the telemetry path, /healthz and a
 * small landing page. Nothing here touches the engine; it reads what the poller last saw.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

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
}

const ALLOWED = 'GET, HEAD';
const OTHER_METHODS = ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

export function buildApp(opts: AppOptions): FastifyInstance {
  // fastify's own request logging stays off: one line per scrape would drown the state changes.
  const app = Fastify({
    logger: false,
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    bodyLimit: 1024, // nothing here accepts a body
  });

  app.setErrorHandler(async (err: { message: string; statusCode?: number }, req, reply) => {
    const code = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
    if (code >= 500) opts.logger.error({ url: req.url, err: err.message }, 'request failed');
    return reply.code(code).send({ error: err.message });
  });

  app.get(opts.telemetryPath, async (_req, reply) => {
    const body = await opts.registry.metrics();
    return reply.type(opts.registry.contentType).send(body);
  });

  app.get('/healthz', async (_req, reply) => {
    const report = opts.health();
    return reply.code(report.ok ? 200 : 503).send(report.body);
  });

  if (opts.telemetryPath !== '/') {
    app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(landingPage(opts)));
  }

  const paths = new Set([opts.telemetryPath, '/healthz', '/']);
  for (const url of paths) {
    app.route({
      method: [...OTHER_METHODS],
      url,
      // Answered in onRequest, before any body is read or parsed.
      onRequest: async (_req, reply) =>
        reply.code(405).header('allow', ALLOWED).send({ error: 'Method Not Allowed', allow: ALLOWED }),
      handler: async (_req, reply) => reply,
    });
  }
  return app;
}

function landingPage(opts: AppOptions): string {
  const metrics = escapeHtml(opts.telemetryPath);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Docker Engine Exporter</title></head>
<body>
<h1>Docker Engine Exporter</h1>
<p>Prometheus exporter for dockerd, containerd, the shims, runc, docker-proxy and docker-init.</p>
<ul>
<li><a href="${metrics}">Metrics</a> (${metrics})</li>
<li><a href="/healthz">Health</a> (/healthz)</li>
</ul>
<p>Version ${escapeHtml(opts.version)}</p>
</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
