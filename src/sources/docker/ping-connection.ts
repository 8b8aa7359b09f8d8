/**
 * dockerd's /_ping over one kept-alive connection of its own, without Node's HTTP client. /_ping goes
 * out every poll; through http.request (an Agent, a ClientRequest and an IncomingMessage stream per
 * call) it cost ~1 ms of CPU a call, a fifth of the exporter's budget on an engine-only host; written
 * and read here it costs ~0.2 ms (docs/benchmarks.md, "What a poll costs"). The answer is read by
 * http1-answer.ts and capped: a few hundred bytes are expected.
 *
 * One exchange at a time (the probe runner never overlaps a probe with itself). A deadline, an error or
 * anything unexpected destroys the connection, so a late answer can never be read as the next one's;
 * the next call dials again. A kept-alive connection that dockerd closed meanwhile gets one retry on a
 * fresh one, as Node's agent documents for its own reused sockets.
 */
import * as net from 'node:net';
import { assertHttpAllowed } from '../read-only.js';
import { DeadlineError } from './engine-api-client.js';
import { readHttp1Answer } from './http1-answer.js';

interface PingAnswer {
  status: number;
  body: string;
}

export interface PingConnection {
  ping(timeoutMs: number): Promise<PingAnswer>;
  close(): void;
}

const MAX_ANSWER_BYTES = 16 * 1024;
const REQUEST = 'GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n';

/** The connection closed before any byte of the answer: on a reused connection, worth one retry. */
class ClosedBeforeAnswerError extends Error {}

export function createPingConnection(socketPath: string): PingConnection {
  let conn: net.Socket | null = null;
  let busy = false;

  const drop = (s: net.Socket): void => {
    s.destroy();
    if (conn === s) conn = null;
  };

  const dial = (): net.Socket => {
    const s = net.connect(socketPath);
    s.unref(); // an idle probe connection must not keep the exporter alive
    s.setNoDelay(true);
    // While idle: dockerd restarting or closing the connection just forgets it.
    s.on('close', () => {
      if (conn === s) conn = null;
    });
    s.on('error', () => drop(s));
    conn = s;
    return s;
  };

  const exchange = (s: net.Socket, timeoutMs: number): Promise<PingAnswer> =>
    new Promise<PingAnswer>((resolve, reject) => {
      let received: Buffer = Buffer.alloc(0);
      let ended = false;
      let settled = false;
      const finish = (err: Error | null, answer?: PingAnswer, keep = false): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        s.off('data', onData);
        s.off('end', onEnd);
        s.off('close', onClose);
        s.off('error', onError);
        if (!keep) drop(s);
        if (err) reject(err);
        else resolve(answer!);
      };
      const judge = (): void => {
        const a = readHttp1Answer(received, ended, MAX_ANSWER_BYTES);
        if (a.kind === 'incomplete') return;
        if (a.kind === 'error') return finish(new Error(`GET /_ping: ${a.message}`));
        // Bytes after the answer were not asked for: keep the answer, not the connection.
        finish(null, { status: a.status, body: a.body.toString('utf8') }, a.reusable && a.consumed === received.length && !ended);
      };
      const onData = (chunk: Buffer): void => {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
        judge();
      };
      const closedEarly = (): ClosedBeforeAnswerError =>
        new ClosedBeforeAnswerError(`connection to ${socketPath} closed before an answer to GET /_ping`);
      const onEnd = (): void => {
        ended = true;
        if (received.length === 0) return finish(closedEarly());
        judge();
      };
      const onClose = (): void => {
        if (received.length === 0) finish(closedEarly());
        else finish(new Error(`GET /_ping: connection closed before the answer was whole`));
      };
      const onError = (err: NodeJS.ErrnoException): void => {
        const reset = received.length === 0 && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
        finish(reset ? new ClosedBeforeAnswerError(`GET /_ping: ${err.message}`, { cause: err }) : err);
      };
      const timer = setTimeout(() => finish(new DeadlineError(`no answer to GET /_ping within ${timeoutMs} ms`)), timeoutMs);
      s.on('data', onData);
      s.on('end', onEnd);
      s.on('close', onClose);
      s.on('error', onError);
      s.write(REQUEST);
    });

  return {
    async ping(timeoutMs) {
      assertHttpAllowed('GET', '/_ping');
      if (busy) throw new Error('GET /_ping: the previous one is still out');
      busy = true;
      try {
        const reused = conn;
        try {
          return await exchange(reused ?? dial(), timeoutMs);
        } catch (err) {
          if (reused && err instanceof ClosedBeforeAnswerError) return await exchange(dial(), timeoutMs);
          throw err;
        }
      } finally {
        busy = false;
      }
    },
    close() {
      if (conn) drop(conn);
    },
  };
}
