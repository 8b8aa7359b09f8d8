/**
 * A read-only Engine API client over dockerd's unix socket. Every request is checked against the
 * allowlist (read-only.ts) before it is sent, bounded by a timeout, and its body capped.
 */
import * as http from 'node:http';
import { assertHttpAllowed } from '../read-only.js';

interface EngineApiResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface EngineApiClient {
  readonly socketPath: string;
  get(path: string, timeoutMs: number): Promise<EngineApiResponse>;
}

/** The call outlived its deadline: dockerd accepted it and did not answer (unlike a refused or failed call). */
export class DeadlineError extends Error {
  readonly code = 'EDEADLINE';
}

/** /info of a busy host is tens of kB; /containers/json of thousands of containers a few MB. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export function createEngineApiClient(socketPath: string): EngineApiClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const once = (path: string, timeoutMs: number): Promise<EngineApiResponse> =>
    new Promise<EngineApiResponse>((resolve, reject) => {
      const req = http.request({ socketPath, path, method: 'GET', agent, headers: { host: 'docker' } }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(new Error(`response to ${path} larger than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      // One deadline for the whole exchange: a hung (SIGSTOPped) dockerd accepts and never answers.
      const timer = setTimeout(() => req.destroy(new DeadlineError(`no answer to GET ${path} within ${timeoutMs} ms`)), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(Object.assign(err, { reusedSocket: req.reusedSocket }));
      });
      req.end();
    });
  return {
    socketPath,
    async get(path, timeoutMs) {
      assertHttpAllowed('GET', path);
      try {
        return await once(path, timeoutMs);
      } catch (err) {
        // A kept-alive connection that dockerd closed meanwhile: Node's documented answer is one retry.
        const e = err as NodeJS.ErrnoException & { reusedSocket?: boolean };
        if (e.reusedSocket && e.code === 'ECONNRESET') return once(path, timeoutMs);
        throw err;
      }
    },
  };
}
