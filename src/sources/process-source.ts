/**
 * The contract between process sources (procfs, ps-list) and the pure engine stage.
 * A source returns plain data; it never classifies or attributes.
 */
import { stat } from 'node:fs/promises';
import type { ProcessSnapshot } from '../engine/process-model.js';
import type { HeadroomReadings, HeadroomRequest } from '../engine/headroom.js';

export interface ProcessSource {
  readonly name: 'procfs' | 'ps-list';
  /** Also stat `sockets` and read the state of `pids`, for socketFiles and pidStates (a source may ignore it). */
  scan(request?: ScanRequest): Promise<ProcessSnapshot>;
  close(): Promise<void>;
  /**
   * True while a thread of this source is blocked in a read it cannot be pulled out of. Node's
   * process.exit() joins every worker thread (and libuv's pool threads) first and would wait for it
   * for good (main.ts).
   */
  threadBlocked?(): boolean;
  /** Limits, thread states, cgroup pids and statfs of the attributed engine (procfs only: src/engine/headroom.ts). */
  readHeadroom?(request: HeadroomRequest): Promise<HeadroomReadings>;
}

export interface ScanRequest {
  sockets: readonly string[];
  pids: readonly number[];
}

/** The sockets the exporter was told to dial (--containerd.address, --docker.host). */
export interface ConfiguredSockets {
  containerd: string | null;
  docker: string | null;
}

/**
 * Adds to every snapshot the identities (`dev:ino`) of the sockets the exporter was told to dial, as
 * it reaches them: attribution matches them against the files the daemons listen on, so a socket
 * mounted at another path (a container's bind mount) still names the right containerd. Stat'ed after
 * each scan, beside it, never blocking it for long: a missing socket is simply null. (The procfs
 * source stats them in its scan thread instead, with the scan: no thread-pool round trips.)
 */
export function withConfiguredSockets(source: ProcessSource, sockets: ConfiguredSockets): ProcessSource {
  const id = async (path: string | null): Promise<string | null> => {
    if (path === null) return null;
    try {
      const st = await stat(path);
      return st.isSocket() ? `${st.dev}:${st.ino}` : null;
    } catch {
      return null;
    }
  };
  // Everything else of the source (close, threadBlocked) is the source's own.
  return {
    ...source,
    async scan() {
      const [snapshot, containerd, docker] = await Promise.all([source.scan(), id(sockets.containerd), id(sockets.docker)]);
      return { ...snapshot, configuredSockets: { containerd, docker } };
    },
  };
}
