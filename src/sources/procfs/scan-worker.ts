/** Worker thread body: runs the synchronous procfs scan so the scrape's event loop never waits on it. */
import { parentPort, workerData } from 'node:worker_threads';
import { createProcfsScratch } from './scan-procfs.js';
import { createEngineScanState, scanEngine, type EngineScanOptions } from './rooted-scan.js';

const options = workerData as EngineScanOptions;
const scratch = createProcfsScratch();
const state = createEngineScanState();

parentPort?.on('message', (id: number) => {
  try {
    parentPort?.postMessage({ id, snapshot: scanEngine(options, scratch, state) });
  } catch (err) {
    parentPort?.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
