/**
 * The default process source: the engine scan (rooted-scan.ts) in a worker thread, one scan at a time.
 *
 * A read can block in the kernel for good (a process stuck in the kernel, a FIFO where a file was
 * expected). worker.terminate() cannot stop a thread blocked in a syscall: the thread only sees the
 * request once the syscall returns. So a scan that does not answer within `scanTimeoutMs` is not
 * terminated and not replaced: that scan fails (ScanBlockedError), and every scan asked for while the
 * thread is still blocked fails at once with how long it has been blocked, without starting a thread.
 * When the read returns, the thread answers the old request (its snapshot is stale and dropped) and the
 * next scan runs on the same worker: scanning resumes by itself. At most one thread is ever stuck, and
 * nothing is added per poll while it is.
 */
import { Worker } from 'node:worker_threads';
import type { ConfiguredSockets, ProcessSource, ScanRequest } from '../process-source.js';
import type { ProcessSnapshot } from '../../engine/process-model.js';
import type { ProcfsScanOptions } from './scan-procfs.js';
import type { HeadroomReadings, HeadroomRequest } from '../../engine/headroom.js';
import type { ScanWorkerOptions } from './scan-worker.js';
import type { ProcessHeadroomReadings } from './headroom.js';
import { createStorageStatfs } from './storage-statfs.js';

export interface ProcfsSourceOptions extends ProcfsScanOptions {
  /** A full scan at least this often, as an audit of the rooted one (default 60 s; 0: always full). */
  fullIntervalMs?: number;
  scanTimeoutMs?: number;
  /** The scan worker's old-generation heap limit to start with, MiB (default 12). */
  workerHeapMb?: number;
  /** The host's root (--path.rootfs), for the headroom reads: cgroups and the engine's places. */
  rootfsPath?: string;
  /** Stat'ed after every scan, in its thread, for the snapshot's configuredSockets (process-source.ts). */
  sockets?: ConfiguredSockets;
  /** How long a statfs of the engine's places may take before it counts as blocked (default 1 s). */
  statfsTimeoutMs?: number;
}

/** Where the doubling of the worker's heap limit stops: far above what 100,000 processes need. */
const MAX_WORKER_HEAP_MB = 256;

/**
 * statfs of a healthy filesystem, even a busy NFS one, answers in milliseconds; past this it counts as
 * blocked (storage-statfs.ts). A poll waits for it at most once per hang.
 */
const STATFS_TIMEOUT_MS = 1000;

/** How long close() waits for the worker to stop before it leaves a blocked thread behind. */
const CLOSE_WAIT_MS = 500;

/** A scan that did not answer in time; `code` stays the same while it lasts, so the poller logs it once. */
class ScanBlockedError extends Error {
  readonly code = 'SCAN_BLOCKED';
  constructor(blockedMs: number) {
    super(`procfs scan blocked for ${Math.round(blockedMs / 1000)} s (a read did not return; no new scan starts until it does)`);
    this.name = 'ScanBlockedError';
  }
}

interface WorkerReply {
  id: number;
  snapshot?: ProcessSnapshot;
  headroom?: ProcessHeadroomReadings;
  error?: string;
}

interface InFlight {
  id: number;
  /** A scan, or the headroom reads (headroom.ts): both run in the same thread, one at a time. */
  kind: 'scan' | 'headroom';
  startedMs: number;
  /** Past scanTimeoutMs: the caller got ScanBlockedError; the answer, when it comes, is dropped. */
  blocked: boolean;
  promise: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface ProcfsSource extends ProcessSource {
  /**
   * True while the worker thread exists but is blocked (past the scan timeout) or was asked to stop
   * and has not, or while a statfs of the engine's places is blocked in a pool thread.
   */
  threadBlocked(): boolean;
  /** The headroom reads: the engine's processes in the scan's thread, under its guard; its places' statfs beside it. */
  readHeadroom(request: HeadroomRequest): Promise<HeadroomReadings>;
}

export function createProcfsSource(opts: ProcfsSourceOptions): ProcfsSource {
  const scanTimeoutMs = opts.scanTimeoutMs ?? 10_000;
  const workerOptions: ScanWorkerOptions = {
    procfsPath: opts.procfsPath,
    pidfilePath: opts.pidfilePath,
    fullIntervalMs: opts.fullIntervalMs ?? 60_000,
    rootfsPath: opts.rootfsPath ?? '/',
    sockets: opts.sockets ?? null,
  };
  let worker: Worker | null = null;
  let inFlight: InFlight | null = null;
  let nextId = 1;
  let heapMb = opts.workerHeapMb ?? 12;
  let closed = false;
  // Not in the scan's thread: a statfs of a hung filesystem must not stop the scan (storage-statfs.ts).
  const storage = createStorageStatfs(opts.rootfsPath ?? '/', opts.statfsTimeoutMs ?? STATFS_TIMEOUT_MS);

  /** Ends the current scan: its caller gets `outcome` unless it was already told the scan is blocked. */
  const finish = (outcome: { value: unknown } | { error: Error }): void => {
    const f = inFlight;
    if (!f) return;
    inFlight = null;
    clearTimeout(f.timer);
    if (f.blocked) return;
    if ('value' in outcome) f.resolve(outcome.value);
    else f.reject(outcome.error);
  };

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
    w.on('message', (reply: WorkerReply) => {
      if (w !== worker || !inFlight || reply.id !== inFlight.id) return;
      if (reply.snapshot ?? reply.headroom) finish({ value: reply.snapshot ?? reply.headroom });
      else finish({ error: new Error(`procfs scan failed: ${reply.error ?? 'unknown error'}`) });
    });
    w.on('error', (err: Error) => {
      if (w !== worker) return;
      if ((err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' && heapMb < MAX_WORKER_HEAP_MB) {
        heapMb = Math.min(heapMb * 2, MAX_WORKER_HEAP_MB);
        finish({ error: new Error(`procfs scan worker ran out of heap; the next scan gets ${heapMb} MiB: ${err.message}`) });
        return;
      }
      finish({ error: new Error(`procfs scan worker crashed: ${err.message}`) });
    });
    w.on('exit', (code) => {
      if (w !== worker) return;
      worker = null;
      finish({ error: new Error(`procfs scan worker exited with code ${code}`) });
    });
    return w;
  };

  /** Asks the worker for a scan or the headroom reads; the guard above applies to both alike. */
  const ask = (kind: InFlight['kind'], message: (id: number) => unknown): Promise<unknown> => {
    if (closed) return Promise.reject(new Error('procfs source is closed'));
    if (inFlight) {
      if (inFlight.blocked) return Promise.reject(new ScanBlockedError(Date.now() - inFlight.startedMs));
      if (inFlight.kind === kind) return inFlight.promise; // one at a time: a second caller waits for the same answer
      return inFlight.promise.then(
        () => ask(kind, message),
        () => ask(kind, message),
      );
    }
    const w = worker ?? (worker = startWorker());
    const id = nextId++;
    let resolve!: (value: unknown) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const startedMs = Date.now();
    const timer = setTimeout(() => {
      const f = inFlight;
      if (!f || f.id !== id) return;
      f.blocked = true;
      f.reject(new ScanBlockedError(Date.now() - f.startedMs));
    }, scanTimeoutMs); // ref'd: a scan in flight keeps the process alive until it answers or times out
    inFlight = { id, kind, startedMs, blocked: false, promise, resolve, reject, timer };
    w.postMessage(message(id));
    return promise;
  };

  return {
    name: 'procfs',
    scan(request?: ScanRequest): Promise<ProcessSnapshot> {
      return ask('scan', (id) => ({ id, sockets: request?.sockets ?? [], pids: request?.pids ?? [] })) as Promise<ProcessSnapshot>;
    },
    async readHeadroom(request: HeadroomRequest): Promise<HeadroomReadings> {
      const [processes, places] = await Promise.all([
        ask('headroom', (id: number) => ({ id, headroom: { processes: request.processes } })) as Promise<ProcessHeadroomReadings>,
        storage.read(request.storage),
      ]);
      return { ...processes, storage: places.storage, errors: [...processes.errors, ...places.errors] };
    },
    async close(): Promise<void> {
      closed = true;
      const knownBlocked = inFlight?.blocked === true;
      finish({ error: new Error('procfs source is closed') });
      const w = worker;
      if (!w) return;
      // terminate() resolves once the thread has stopped, which a thread blocked in a read never
      // does: wait a little, then leave it (threadBlocked() tells the caller how to exit).
      const stopped = w.terminate().then(() => {
        if (worker === w) worker = null;
      });
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([stopped, new Promise<void>((r) => (wait = setTimeout(r, knownBlocked ? 0 : CLOSE_WAIT_MS)))]);
      clearTimeout(wait);
    },
    threadBlocked(): boolean {
      return (worker !== null && (closed || inFlight?.blocked === true)) || storage.blocked() > 0;
    },
  };
}
