/**
 * The telemetry path as client_golang's promhttp serves it: the exposition format the client asks for
 * in `Accept` (OpenMetrics 1.0.0 or the classic text format 0.0.4, as expfmt.NegotiateIncludingOpenMetrics
 * picks), gzip-compressed when `Accept-Encoding` allows gzip. Prometheus asks for both by default.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { openMetricsContentType, Registry, type Metric, type RegistryContentType } from 'prom-client';

const gzipAsync = promisify(gzip);

export type ExpositionFormat = 'openmetrics' | 'text';

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

/** One comma-separated `Accept` or `Accept-Encoding` header as media ranges with their q (default 1). */
function parseRanges(header: string | undefined): MediaRange[] {
  if (header === undefined) return [];
  const out: MediaRange[] = [];
  for (const part of header.slice(0, 4096).split(',')) {
    const [type = '', ...rawParams] = part.split(';').map((s) => s.trim());
    if (type === '') continue;
    const params = new Map<string, string>();
    for (const p of rawParams) {
      const eq = p.indexOf('=');
      if (eq > 0)
        params.set(
          p.slice(0, eq).trim().toLowerCase(),
          p
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1'),
        );
    }
    const q = Number(params.get('q') ?? '1');
    out.push({ type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 });
  }
  return out;
}

/**
 * The format for an `Accept` header: the acceptable ranges by descending q (ties keep header order),
 * the first that names OpenMetrics (version 0.0.1, 1.0.0 or none) or text/plain (0.0.4 or none) wins;
 * anything else, `*\/*` included, falls through to the classic text format, as in expfmt.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  const ranges = parseRanges(accept)
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const r of ranges) {
    const version = r.params.get('version');
    if (r.type === 'application/openmetrics-text' && (version === undefined || version === '1.0.0' || version === '0.0.1'))
      return 'openmetrics';
    if (r.type === 'text/plain' && (version === undefined || version === '0.0.4')) return 'text';
  }
  return 'text';
}

/** Whether `Accept-Encoding` allows gzip (named with q > 0, or `*` with q > 0 and gzip not refused). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  const ranges = parseRanges(acceptEncoding);
  const gz = ranges.find((r) => r.type === 'gzip');
  if (gz !== undefined) return gz.q > 0;
  return ranges.some((r) => r.type === '*' && r.q > 0);
}

/** What the registry needs of a metric to print it: prom-client's own metric objects satisfy this. */
interface Printable {
  name: string;
  help: string;
  type: string;
  get(): Promise<{ name: string }>;
  getForPromString?(): Promise<{ name: string }>;
}

/**
 * The same metrics in an OpenMetrics registry. prom-client prints an OpenMetrics counter family by
 * renaming the metric object itself (`x_total` → `x`, samples `x_total`), which would then leave the
 * classic format without `_total`; so the OpenMetrics registry holds views that carry the family name
 * and read their samples from the real metric, which is never changed.
 */
function openMetricsRegistry(source: Registry): Registry<RegistryContentType> {
  const om = new Registry<RegistryContentType>();
  om.setContentType(openMetricsContentType);
  for (const metric of source.getMetricsAsArray() as unknown as Printable[]) {
    const family = metric.type === 'counter' ? metric.name.replace(/_total$/, '') : metric.name;
    const view: Printable = {
      name: family,
      help: metric.help,
      type: metric.type,
      get: async () => ({ ...(await (metric.getForPromString?.() ?? metric.get())), name: family }),
    };
    om.registerMetric(view as unknown as Metric);
  }
  return om;
}

async function renderExposition(registry: Registry, format: ExpositionFormat): Promise<{ body: string; contentType: string }> {
  const reg: Registry<RegistryContentType> = format === 'openmetrics' ? openMetricsRegistry(registry) : registry;
  return { body: await reg.metrics(), contentType: reg.contentType };
}

export function registerMetricsRoute(app: FastifyInstance, registry: Registry, telemetryPath: string): void {
  app.get(telemetryPath, async (req, reply) => {
    const { body, contentType } = await renderExposition(registry, negotiateFormat(req.headers.accept));
    reply.type(contentType).header('vary', 'Accept, Accept-Encoding');
    if (!acceptsGzip(req.headers['accept-encoding'])) return reply.send(body);
    return reply.header('content-encoding', 'gzip').send(await gzipAsync(body));
  });
}
