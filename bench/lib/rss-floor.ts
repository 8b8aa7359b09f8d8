/**
 * The memory floor the exporter is measured against: fastify serving prom-client's default metrics
 * on GET /metrics, nothing else. Started by exporter-rss with the exporter's own node flags and
 * environment; it prints its port once it listens and ends on SIGTERM.
 */
import Fastify from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';

const registry = new Registry();
collectDefaultMetrics({ register: registry });
const app = Fastify({ logger: false });
app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${new URL(address).port}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
