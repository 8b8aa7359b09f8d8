/** Worker thread body: runs the synchronous procfs scan so the scrape's event loop never waits on it. */
import { parentPort, workerData } from 'node:worker_threads';
import { createProcfsScratch, pidState, socketFileId } from './scan-procfs.js';
import { createEngineScanState, scanEngine, type EngineScanOptions } from './rooted-scan.js';
import { readHeadroom, type HeadroomPaths } from './headroom.js';
import type { HeadroomRequest } from '../../engine/headroom.js';
import type { ProcessSnapshot } from '../../engine/process-model.js';
import type { ConfiguredSockets, ScanRequest } from '../process-source.js';
import { socketFileStateSync } from '../socket-present.js';

export interface ScanWorkerOptions extends EngineScanOptions {
  rootfsPath: string;
  sockets: ConfiguredSockets | null;
}

const options = workerData as ScanWorkerOptions;
const scratch = createProcfsScratch();
const state = createEngineScanState();

/** A scan, with the socket paths to stat and the pids to read after it; or the headroom reads of the engine's processes. */
type WorkerRequest = ({ id: number } & ScanRequest) | { id: number; headroom: Pick<HeadroomRequest, 'processes'> };

parentPort?.on('message', (message: WorkerRequest) => {
  const id = message.id;
  try {
    if ('sockets' in message) parentPort?.postMessage({ id, snapshot: withAskedFor(scanEngine(options, scratch, state), message) });
    else parentPort?.postMessage({ id, headroom: readHeadroom(headroomPaths(), message.headroom) });
  } catch (err) {
    parentPort?.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});

function headroomPaths(): HeadroomPaths {
  return { procfsPath: options.procfsPath, rootfsPath: options.rootfsPath };
}

/**
 * The configured sockets' identities; and what the probes asked for: their socket paths as they are now
 * (socket-present.ts), the state of the running tasks' pids (the drift check).
 */
function withAskedFor(snapshot: ProcessSnapshot, asked: ScanRequest): ProcessSnapshot {
  const sockets = options.sockets;
  const id = (path: string | null): string | null => (path === null ? null : socketFileId(path));
  const socketFiles = new Map(asked.sockets.map((path) => [path, socketFileStateSync(path)] as const));
  const pidStates = new Map(asked.pids.map((pid) => [pid, pidState(options.procfsPath, pid, scratch)] as const));
  return {
    ...snapshot,
    ...(sockets === null ? {} : { configuredSockets: { containerd: id(sockets.containerd), docker: id(sockets.docker) } }),
    ...(asked.sockets.length > 0 ? { socketFiles } : {}),
    ...(asked.pids.length > 0 ? { pidStates } : {}),
  };
}
