/**
 * containerd's Health/Check over an HTTP/2 session of its own, without grpc-js. The check goes out every
 * poll; through grpc-js (a client call, its interceptors, a resolving, a load-balancing and a subchannel
 * call, a deadline timer, a metadata object each time) it cost ~2.4 ms of CPU a poll on an engine-only
 * host, a quarter of the exporter's budget; one bare stream costs about a third less (docs/benchmarks.md,
 * "What a poll costs"). Every other call stays on grpc-js (containerd-client.ts).
 *
 * The exchange is gRPC's unary call as its wire spec has it (grpc/doc/PROTOCOL-HTTP2.md): a POST of one
 * length-prefixed message (an empty HealthCheckRequest: 5 bytes), an answer of one message and the
 * grpc-status trailer. Errors read like grpc-js's (its status names) ("4 DEADLINE_EXCEEDED: Deadline exceeded"), which
 * the status page, the logs and the runbook quote.
 *
 * Like grpc-js, the session is kept across a deadline: the late stream is cancelled, not the connection,
 * so a hung (SIGSTOPped) containerd gets one connection from us, not one per poll piling up in its
 * listen backlog. A closed or failed session is forgotten, and the next check dials again.
 */
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { status as grpcCodes } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { oneLine } from '../../one-line.js';
import { assertGrpcAllowed } from '../read-only.js';

const PATH = '/grpc.health.v1.Health/Check';
/** An empty HealthCheckRequest (service ""), framed: not compressed, length 0. */
const REQUEST = Buffer.from([0, 0, 0, 0, 0]);
/** A HealthCheckResponse is a few bytes; anything much larger is not one. */
const MAX_ANSWER_BYTES = 4096;

const HealthCheckResponse = new protobuf.Type('HealthCheckResponse').add(new protobuf.Field('status', 1, 'int32'));
/** grpc.health.v1.HealthCheckResponse.ServingStatus. */
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

export class GrpcCallError extends Error {
  constructor(
    readonly code: number,
    details: string,
  ) {
    super(`${code} ${grpcCodes[code] ?? 'UNKNOWN'}: ${details}`);
    this.name = 'GrpcCallError';
  }
}

export interface HealthSession {
  /** The serving status containerd answered ("SERVING", ...); throws a GrpcCallError otherwise. */
  check(timeoutMs: number): Promise<string>;
  close(): void;
}

/** Text a peer chose, as one line of at most 200 characters. */
const peerText = (text: string): string => oneLine(text.slice(0, 200));

export function createHealthSession(socketPath: string): HealthSession {
  let session: http2.ClientHttp2Session | null = null;
  let sessionError: Error | null = null;

  const forget = (s: http2.ClientHttp2Session): void => {
    if (session === s) session = null;
  };

  const dial = (): http2.ClientHttp2Session => {
    sessionError = null;
    const s = http2.connect('http://localhost', { createConnection: () => net.connect(socketPath), maxSessionMemory: 1 });
    s.on('error', (err: Error) => {
      sessionError = err;
      forget(s);
      s.destroy(); // its socket too: a server that broke the protocol keeps no connection of ours
    });
    s.on('goaway', () => {
      forget(s);
      s.close(); // containerd shutting down: let a stream in flight end, open no new one here
    });
    s.on('close', () => forget(s));
    s.unref(); // an idle probe session must not keep the exporter alive
    session = s;
    return s;
  };

  return {
    check(timeoutMs) {
      assertGrpcAllowed(PATH);
      return new Promise<string>((resolve, reject) => {
        const s = session !== null && !session.closed && !session.destroyed ? session : dial();
        let settled = false;
        let request: http2.ClientHttp2Stream | null = null;
        const timer = setTimeout(() => {
          request?.close(http2.constants.NGHTTP2_CANCEL);
          finish(new GrpcCallError(4, 'Deadline exceeded'));
        }, timeoutMs);
        const finish = (err: Error | null, status?: string): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (err) reject(err);
          else resolve(status!);
        };
        try {
          request = s.request({
            ':method': 'POST',
            ':path': PATH,
            'content-type': 'application/grpc',
            te: 'trailers',
            'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
          });
        } catch (err) {
          forget(s);
          finish(new GrpcCallError(14, err instanceof Error ? err.message : String(err)));
          return;
        }
        const stream = request;
        let httpStatus: number | null = null;
        let grpcStatus: string | null = null;
        let grpcMessage = '';
        const chunks: Buffer[] = [];
        let size = 0;
        const noteStatus = (headers: http2.IncomingHttpHeaders): void => {
          const st = headers['grpc-status'];
          if (typeof st === 'string') grpcStatus = st;
          const msg = headers['grpc-message'];
          if (typeof msg === 'string') {
            try {
              grpcMessage = decodeURIComponent(msg);
            } catch {
              grpcMessage = msg;
            }
          }
        };
        stream.on('response', (headers) => {
          httpStatus = Number(headers[':status']);
          noteStatus(headers); // a trailers-only answer carries its status in the headers
        });
        stream.on('trailers', noteStatus);
        stream.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            stream.close(http2.constants.NGHTTP2_CANCEL);
            finish(new GrpcCallError(8, `Health/Check answer larger than ${MAX_ANSWER_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        stream.on('error', (err: Error) => {
          const cause = sessionError ?? err;
          finish(new GrpcCallError(14, peerText(cause.message)));
        });
        stream.on('close', () => {
          if (settled) return;
          if (httpStatus === null) {
            // No answer at all: the session is not to be trusted with the next check.
            forget(s);
            s.destroy();
            finish(new GrpcCallError(14, peerText((sessionError ?? new Error('connection closed before an answer')).message)));
          } else if (httpStatus !== 200) {
            finish(new GrpcCallError(httpStatus === 404 ? 12 : 14, `HTTP status ${httpStatus}`));
          } else if (grpcStatus === null) {
            finish(new GrpcCallError(13, 'answer without a grpc-status'));
          } else if (grpcStatus !== '0') {
            const code = /^\d{1,2}$/.test(grpcStatus) ? Number(grpcStatus) : 2;
            finish(new GrpcCallError(code, peerText(grpcMessage || 'no message')));
          } else {
            const body = Buffer.concat(chunks);
            const length = body.length >= 5 ? body.readUInt32BE(1) : -1;
            if (body.length < 5 || body[0] !== 0 || length !== body.length - 5) {
              finish(new GrpcCallError(13, `not one uncompressed message (${body.length} bytes)`));
              return;
            }
            try {
              const decoded = HealthCheckResponse.decode(body.subarray(5)) as unknown as { status: number };
              finish(null, SERVING_STATUS[decoded.status] ?? String(decoded.status));
            } catch (err) {
              finish(new GrpcCallError(13, `undecodable HealthCheckResponse: ${peerText(err instanceof Error ? err.message : String(err))}`));
            }
          }
        });
        stream.end(REQUEST);
      });
    },
    close() {
      if (session) {
        session.destroy();
        session = null;
      }
    },
  };
}
