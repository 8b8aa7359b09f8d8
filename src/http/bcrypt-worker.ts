/** Worker thread body: bcrypt comparisons, so that their 70–200 ms of CPU never block the event loop. */
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export interface CompareRequest {
  id: number;
  password: string;
  hash: string;
}

export interface CompareReply {
  id: number;
  match?: boolean;
  error?: string;
}

parentPort?.on('message', ({ id, password, hash }: CompareRequest) => {
  try {
    parentPort?.postMessage({ id, match: bcrypt.compareSync(password, hash) } satisfies CompareReply);
  } catch (err) {
    parentPort?.postMessage({ id, error: err instanceof Error ? err.message : String(err) } satisfies CompareReply);
  }
});
