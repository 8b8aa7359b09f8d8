/**
 * bcrypt comparisons in one worker thread. One, on purpose: on a 2-core host the event loop (scrapes,
 * the status page) keeps a core of its own however many wrong passwords arrive, and exporter-toolkit
 * also runs one comparison at a time (a mutex around bcrypt in web/handler.go). A legitimate scraper
 * needs one comparison per cache lifetime, so more threads would only give an attacker more CPU.
 *
 * The thread starts on the first comparison and stops after `idleMs` without one (a worker holds a
 * few MiB of heap; with cached credentials it is idle for minutes). Callers bound how many comparisons
 * wait (web-config-auth.ts); this module only runs them in order.
 */
import { Worker } from 'node:worker_threads';
import type { CompareReply, CompareRequest } from './bcrypt-worker.js';

export interface BcryptThread {
  compare(password: string, hash: string): Promise<boolean>;
  close(): Promise<void>;
}

interface Pending {
  resolve: (match: boolean) => void;
  reject: (err: Error) => void;
}

export function createBcryptThread(opts: { idleMs?: number } = {}): BcryptThread {
  const idleMs = opts.idleMs ?? 60_000;
  let current: { worker: Worker; pending: Map<number, Pending> } | null = null;
  let idleTimer: NodeJS.Timeout | null = null;
  let nextId = 1;

  const stopIdleTimer = (): void => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
  };

  const start = (): { worker: Worker; pending: Map<number, Pending> } => {
    const worker = new Worker(new URL('./bcrypt-worker.js', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
    });
    // Each worker answers only its own comparisons: a stopped one cannot fail those of its successor.
    const self = { worker, pending: new Map<number, Pending>() };
    const failAll = (err: Error): void => {
      for (const p of self.pending.values()) p.reject(err);
      self.pending.clear();
    };
    worker.unref(); // a comparison in flight must not keep the process alive on shutdown
    worker.on('message', (reply: CompareReply) => {
      const p = self.pending.get(reply.id);
      if (!p) return;
      self.pending.delete(reply.id);
      if (reply.match !== undefined) p.resolve(reply.match);
      else p.reject(new Error(`bcrypt comparison failed: ${reply.error ?? 'unknown error'}`));
      if (self.pending.size === 0 && current === self) armIdle();
    });
    worker.on('error', (err) => failAll(new Error(`bcrypt worker crashed: ${err.message}`)));
    worker.on('exit', (code) => {
      if (current === self) current = null;
      failAll(new Error(`bcrypt worker exited with code ${code}`));
    });
    return self;
  };

  const armIdle = (): void => {
    stopIdleTimer();
    idleTimer = setTimeout(() => {
      idleTimer = null;
      const idle = current;
      if (!idle || idle.pending.size > 0) return;
      current = null;
      void idle.worker.terminate();
    }, idleMs);
    idleTimer.unref();
  };

  return {
    compare(password, hash) {
      stopIdleTimer();
      const target = current ?? (current = start());
      const id = nextId++;
      return new Promise<boolean>((resolve, reject) => {
        target.pending.set(id, { resolve, reject });
        target.worker.postMessage({ id, password, hash } satisfies CompareRequest);
      });
    },
    async close() {
      stopIdleTimer();
      const w = current?.worker;
      current = null;
      if (w) await w.terminate();
    },
  };
}
