/**
 * Raw TCP conversations with an HTTP server, for requests no HTTP client would send: garbage bytes,
 * broken framing, oversized heads and bodies, and Slowloris-style drips. Every call is bounded.
 */
import { connect, type Socket } from 'node:net';

export interface RawResult {
  /** The first line of the answer ("HTTP/1.1 400 Bad Request"), or null when none came. */
  statusLine: string | null;
  /** The status code of the first answer, or null. */
  status: number | null;
  /** Every status code answered on this connection, in order (pipelined requests). */
  statuses: number[];
  /** The server closed (or reset) the connection. */
  closed: boolean;
  /** Neither an answer nor a close before the deadline. */
  timedOut: boolean;
  /** A write failed (EPIPE, ECONNRESET): the server closed while we were still sending. */
  writeError: string | null;
  bytesReceived: number;
  /** Milliseconds from connect to close (or to the deadline). */
  elapsedMs: number;
}

export interface RawOptions {
  host?: string;
  port: number;
  /** What to send, all at once or in the given pieces (each written after the previous one drained). */
  send: Buffer | string | (Buffer | string)[];
  /** Pause between pieces. */
  pieceDelayMs?: number;
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Keep reading after the first answer until the server closes or the deadline (default: stop at the first answer). */
  untilClose?: boolean;
}

/** Sends `send` and waits for an answer, a close, or the deadline. Never rejects. */
export function rawRequest(opts: RawOptions): Promise<RawResult> {
  const started = Date.now();
  const pieces = Array.isArray(opts.send) ? opts.send : [opts.send];
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: opts.host ?? '127.0.0.1', port: opts.port });
    let received = Buffer.alloc(0);
    let closed = false;
    let writeError: string | null = null;
    let done = false;
    const finish = (timedOut: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = received.toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
      const first = /^HTTP\/1\.[01] \d{3}[^\r\n]*/.exec(text);
      resolve({
        statusLine: first ? first[0] : null,
        status: statuses[0] ?? null,
        statuses,
        closed,
        timedOut,
        writeError,
        bytesReceived: received.length,
        elapsedMs: Date.now() - started,
      });
    };
    const timer = setTimeout(() => finish(!closed && received.length === 0), opts.timeoutMs ?? 10_000);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // Stop at the end of the first answer's head unless asked to read on.
      if (!opts.untilClose && received.includes('\r\n\r\n')) finish(false);
    });
    socket.on('error', (err) => {
      if (!writeError) writeError = (err as NodeJS.ErrnoException).code ?? err.message;
      closed = true;
      finish(false);
    });
    socket.on('close', () => {
      closed = true;
      finish(false);
    });
    const sendPieces = async (): Promise<void> => {
      for (let i = 0; i < pieces.length && !done; i++) {
        const piece = pieces[i] as Buffer | string;
        const ok = socket.write(piece, (err) => {
          if (err && !writeError) writeError = (err as NodeJS.ErrnoException).code ?? err.message;
        });
        if (!ok) await new Promise<void>((r) => socket.once('drain', () => r()).once('close', () => r()));
        if (opts.pieceDelayMs && i < pieces.length - 1) await new Promise((r) => setTimeout(r, opts.pieceDelayMs));
      }
    };
    // An emitter ignores a listener's promise: a failure while sending ends the exchange here instead.
    socket.on('connect', () => {
      sendPieces().catch((err: unknown) => {
        if (!writeError) writeError = err instanceof Error ? err.message : String(err);
        finish(false);
      });
    });
  });
}

/** A request head (request line and headers, CRLF-terminated, with the blank line). */
export function head(requestLine: string, headers: [string, string][] = [['Host', 'localhost']]): string {
  return `${requestLine}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

/** Splits a string into one-character pieces (a Slowloris drip). */
export function bytewise(s: string): string[] {
  return [...s];
}
