/**
 * Is the daemon's socket still there? A daemon keeps answering on connections made before its socket
 * file was removed or renamed (the exporter's kept-alive HTTP connection to dockerd, its gRPC channel
 * to containerd), while every new client (the docker CLI, ctr, dockerd restarting containerd) gets
 * ENOENT. So each health probe first checks the path: without the socket, the daemon is not reachable,
 * whatever the open connection says.
 *
 * The procfs source stats the probes' paths in its scan thread, with the scan that precedes the probes
 * (ProcessSnapshot.socketFiles): a stat from the main thread would be a thread-pool round trip each,
 * two wake-ups of the event loop per probe and poll. Paths the scan did not look at are stat'ed here.
 */
import { statSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { SocketFileState } from '../engine/process-model.js';

function stateOf(st: Stats): SocketFileState {
  return st.isSocket() ? { kind: 'socket' } : { kind: 'not-socket' };
}

function errorState(err: unknown): SocketFileState {
  return { kind: 'error', code: (err as NodeJS.ErrnoException).code ?? 'error' };
}

/** For a thread that may block (the scan worker): one synchronous stat. */
export function socketFileStateSync(path: string): SocketFileState {
  try {
    return stateOf(statSync(path));
  } catch (err) {
    return errorState(err);
  }
}

/** Throws the one-line reason a path is not a usable socket; returns when it is one. */
function assertSocketState(path: string, state: SocketFileState): void {
  if (state.kind === 'socket') return;
  if (state.kind === 'not-socket') throw new Error(`${path} is not a socket`);
  throw new Error(`socket ${path}: ${state.code === 'ENOENT' ? 'no such file (removed or renamed?)' : state.code}`);
}

/** Checks the path now (an asynchronous stat), or by what the scan saw when it looked at it. */
export async function assertSocketPresent(path: string, seen?: SocketFileState): Promise<void> {
  let state = seen;
  if (state === undefined) {
    try {
      state = stateOf(await stat(path));
    } catch (err) {
      state = errorState(err);
    }
  }
  assertSocketState(path, state);
}
