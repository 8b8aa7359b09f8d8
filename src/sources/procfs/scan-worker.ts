/** Worker thread body: runs the synchronous procfs scan so the scrape's event loop never waits on it. */
import { parentPort, workerData } from 'node:worker_threads';
import { createProcfsScratch, socketFileId } from './scan-procfs.js';
import { createEngineScanState, scanEngine, type EngineScanOptions } from './rooted-scan.js';
import { readHeadroom, type HeadroomPaths } from './headroom.js';
import type { HeadroomRequest } from '../../engine/headroom.js';
import type { ProcessSnapshot } from '../../engine/process-model.js';
import type { ConfiguredSockets } from '../process-source.js';

export interface ScanWorkerOptions extends EngineScanOptions {
  rootfsPath: string;
  sockets: ConfiguredSockets | null;
}

const options = workerData as ScanWorkerOptions;
const scratch = createProcfsScratch();
const state = createEngineScanState();

/** A scan is asked for by its id alone; the headroom reads of the engine it found, by id and request. */
type WorkerRequest = number | { id: number; headroom: HeadroomRequest };

parentPort?.on('message', (message: WorkerRequest) => {
  const id = typeof message === 'number' ? message : message.id;
  try {
    if (typeof message === 'number') parentPort?.postMessage({ id, snapshot: withSockets(scanEngine(options, scratch, state)) });
    else parentPort?.postMessage({ id, headroom: readHeadroom(headroomPaths(), message.headroom) });
  } catch (err) {
    parentPort?.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});

function headroomPaths(): HeadroomPaths {
  return { procfsPath: options.procfsPath, rootfsPath: options.rootfsPath };
}

function withSockets(snapshot: ProcessSnapshot): ProcessSnapshot {
  const sockets = options.sockets;
  if (sockets === null) return snapshot;
  const id = (path: string | null): string | null => (path === null ? null : socketFileId(path));
  return { ...snapshot, configuredSockets: { containerd: id(sockets.containerd), docker: id(sockets.docker) } };
}
