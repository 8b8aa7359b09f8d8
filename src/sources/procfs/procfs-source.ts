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
  /** The scan worker's old-generation heap limit to start with, MiB (default 12). */
  workerHeapMb?: number;
}

/** Where the doubling of the worker's heap limit stops: far above what 100,000 processes need. */
const MAX_WORKER_HEAP_MB = 256;

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
  let heapMb = opts.workerHeapMb ?? 12;

  const startWorker = (): Worker => {
    // Small heap limits: the scan keeps ~4 MiB live between polls, and V8 lets garbage pile up
    // towards whatever limit it has before it collects, so a high limit is RSS that rises for hours
    // and falls back (a 32 MiB limit: ~16 MiB of worker heap before each full GC; 12 MiB: ~12 MiB;
    // docs/benchmarks.md, memory). 12 MiB scans 30,000 processes. A host with more that makes the
    // worker run out of heap fails that scan (a counted poll error), and the next scan starts a fresh
    // worker with twice the limit.
    const w = new Worker(new URL('./scan-worker.js', import.meta.url), {
      workerData: workerOptions,
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 4 },
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
          if ((err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' && heapMb < MAX_WORKER_HEAP_MB) {
            heapMb = Math.min(heapMb * 2, MAX_WORKER_HEAP_MB);
            reject(new Error(`procfs scan worker ran out of heap; the next scan gets ${heapMb} MiB: ${err.message}`));
            return;
          }
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
