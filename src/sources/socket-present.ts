/**
 * Is the daemon's socket still there? A daemon keeps answering on connections made before its socket
 * file was removed or renamed (the exporter's kept-alive HTTP connection to dockerd, its gRPC channel
 * to containerd), while every new client (the docker CLI, ctr, dockerd restarting containerd) gets
 * ENOENT. So each health probe first checks the path: without the socket, the daemon is not reachable,
 * whatever the open connection says.
 */
import { stat } from 'node:fs/promises';

export async function assertSocketPresent(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await stat(path)).isSocket();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(`socket ${path}: ${code === 'ENOENT' ? 'no such file (removed or renamed?)' : code}`, { cause: err });
  }
  if (!isSocket) throw new Error(`${path} is not a socket`);
}
