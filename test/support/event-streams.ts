/**
 * A client that leaks dockerd event subscriptions, for the leak alerts' real-engine tests: N plain
 * `GET /events` requests on dockerd's unix socket, each on its own connection and left open. dockerd
 * counts each as one listener in /info's NEventsListener and runs goroutines for each until the
 * client hangs up. Read-only: nothing but GET /events is ever sent.
 */
import { request, type ClientRequest } from 'node:http';

export interface EventStreams {
  readonly count: number;
  /** Hangs up every stream (dockerd drops the listener when the connection closes). */
  close(): void;
}

/** Opens `count` event streams on `socketPath`; resolves once dockerd has answered each with 200. */
export async function openEventStreams(socketPath: string, count: number, timeoutMs = 10_000): Promise<EventStreams> {
  const requests: ClientRequest[] = [];
  const close = (): void => {
    for (const req of requests) req.destroy();
  };
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      // agent: false: a connection of its own, as a leaking client would have, not a pooled one.
      const req = request({ socketPath, path: '/events', method: 'GET', agent: false }, (res) => {
        res.on('data', () => undefined); // events (none are expected) are read and dropped
        res.on('error', () => undefined); // close() ends the stream with an abort: expected
        if (res.statusCode === 200) resolve();
        else reject(new Error(`GET /events: HTTP ${res.statusCode}`));
      });
      req.on('error', reject);
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET /events on ${socketPath}: no answer in ${timeoutMs} ms`)));
      requests.push(req);
      req.end();
    });
  try {
    await Promise.all(Array.from({ length: count }, one));
  } catch (e) {
    close();
    throw e;
  }
  // The answer is in: no idle timeout on a stream that is meant to stay open.
  for (const req of requests) req.setTimeout(0);
  return { count, close };
}
