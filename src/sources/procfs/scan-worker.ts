/** Worker thread body: runs the synchronous procfs scan so the scrape's event loop never waits on it. */
import { parentPort, workerData } from 'node:worker_threads';
import { createProcfsScratch, scanProcfs, type ProcfsScanOptions } from './scan-procfs.js';

const options = workerData as ProcfsScanOptions;
const scratch = createProcfsScratch();

parentPort?.on('message', (id: number) => {
  try {
    parentPort?.postMessage({ id, snapshot: scanProcfs(options, scratch) });
  } catch (err) {
    parentPort?.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
