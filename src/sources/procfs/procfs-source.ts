/**
 * The default process source: scanProcfs in a worker thread. One scan at a time; a scan that does not
 * answer within `scanTimeoutMs` (a read blocked on a process stuck in the kernel) terminates the
 * worker, rejects, and the next scan starts a fresh one.
 */
import { Worker } from 'node:worker_threads';
import type { ProcessSnapshot, ProcessSource } from '../process-source.js';
import type { ProcfsScanOptions } from './scan-procfs.js';

export interface ProcfsSourceOptions extends ProcfsScanOptions {
  scanTimeoutMs?: number;
}

interface WorkerReply {
  id: number;
  snapshot?: ProcessSnapshot;
  error?: string;
}

export function createProcfsSource(opts: ProcfsSourceOptions): ProcessSource {
  const scanTimeoutMs = opts.scanTimeoutMs ?? 10_000;
  const workerOptions: ProcfsScanOptions = { procfsPath: opts.procfsPath, pidfilePath: opts.pidfilePath };
  let worker: Worker | null = null;
  let nextId = 1;

  const startWorker = (): Worker => {
    // Small heap limits: the scan keeps almost nothing between polls, and without them V8 sizes the
    // worker's heap for throughput and its RSS creeps up over a long run. A worker that hits them
    // exits, that scan fails (a counted poll error), and the next scan starts a fresh worker.
    const w = new Worker(new URL('./scan-worker.js', import.meta.url), {
      workerData: workerOptions,
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
    });
    w.unref(); // a scan in flight must not keep the process alive on shutdown
    w.on('exit', () => {
      if (worker === w) worker = null;
    });
    return w;
  };

  return {
    name: 'procfs',
    scan(): Promise<ProcessSnapshot> {
      const w = worker ?? (worker = startWorker());
      const id = nextId++;
      return new Promise<ProcessSnapshot>((resolve, reject) => {
        const cleanup = (): void => {
          clearTimeout(timer);
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
        };
        const onMessage = (reply: WorkerReply): void => {
          if (reply.id !== id) return;
          cleanup();
          if (reply.snapshot) resolve(reply.snapshot);
          else reject(new Error(`procfs scan failed: ${reply.error ?? 'unknown error'}`));
        };
        const onError = (err: Error): void => {
          cleanup();
          reject(new Error(`procfs scan worker crashed: ${err.message}`));
        };
        const onExit = (code: number): void => {
          cleanup();
          reject(new Error(`procfs scan worker exited with code ${code}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          if (worker === w) worker = null;
          void w.terminate();
          reject(new Error(`procfs scan did not finish within ${scanTimeoutMs} ms`));
        }, scanTimeoutMs);
        w.on('message', onMessage);
        w.once('error', onError);
        w.once('exit', onExit);
        w.postMessage(id);
      });
    },
    async close(): Promise<void> {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
