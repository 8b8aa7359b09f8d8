import type { FastifyInstance } from 'fastify';
import type { ListenAddress } from '../config/flags.js';

/** Only listens: everything the server answers is built in app.ts. */
export async function listen(app: FastifyInstance, address: ListenAddress): Promise<string> {
  return app.listen({ host: address.host, port: address.port });
}
