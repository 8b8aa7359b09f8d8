/**
 * A fake containerd for the probe tests: a real grpc-js server on a unix socket, serving whatever
 * services the test added, and containerd's probes pointed at it. A fake, because a real containerd
 * cannot be made to hang one call or drop only its event stream (each test says which fault it needs).
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { createContainerdProbes } from '../../src/sources/probes/containerd.js';

/** Binds `server` to `dir`/containerd.sock and returns containerd's probes for it, watching `moby`. */
export async function probesOfFakeContainerd(
  server: grpc.Server,
  dir: string,
  logger: Logger,
  timeoutMs: number,
): Promise<ReturnType<typeof createContainerdProbes>> {
  const socket = join(dir, 'containerd.sock');
  await new Promise<void>((res, rej) =>
    server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? rej(e) : res())),
  );
  return createContainerdProbes({
    addressFlag: socket,
    rootfsPath: '/',
    namespaces: ['moby'],
    timeoutMs,
    tasksTimeoutMs: timeoutMs,
    containersEveryMs: 5_000,
    logger,
    onEventStreamDrop: () => {},
    onAnswerChanged: () => {},
  });
}
