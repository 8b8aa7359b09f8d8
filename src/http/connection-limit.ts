/**
 * How many connections the server keeps, and what happens at the limit.
 *
 * The cap: at most 1,024, and never more than half of the process's file descriptor limit, so that a
 * connection flood cannot take the descriptors the /proc scan and the probes need (running out would
 * make every read fail).
 *
 * At the cap a new connection does not wait and is not refused: the connection that has been idle the
 * longest is closed to make room for it. Idle means no request being answered: a keep-alive connection
 * between requests, or one that has not sent (or finished the TLS handshake for) its first request.
 * So a client that opens a thousand connections and leaves them idle cannot lock scrapes out until
 * its connections time out; only a thousand requests being answered at once fill the server, and then
 * the new connection is the one closed. Node's own maxConnections stays above the cap, as a backstop
 * for a burst that arrives faster than closed sockets are reaped.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export const MAX_CONNECTIONS = 1024;

/** Pure: the soft "Max open files" from /proc/self/limits text; null when absent or unlimited. */
export function parseOpenFilesLimit(text: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const m = line ? /^Max open files\s+(\d+|unlimited)\s/.exec(line) : null;
  return m && m[1] !== 'unlimited' ? Number(m[1]) : null;
}

export function connectionLimit(limitsText: string | null = readOwnLimits()): number {
  const fds = limitsText === null ? null : parseOpenFilesLimit(limitsText);
  return fds === null ? MAX_CONNECTIONS : Math.max(16, Math.min(MAX_CONNECTIONS, Math.floor(fds / 2)));
}

function readOwnLimits(): string | null {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return null;
  }
}

export interface ConnectionGuard {
  readonly cap: number;
  /** Connections open now. */
  readonly open: number;
  /** Idle connections closed to make room, and new ones closed because every connection was busy. */
  readonly evicted: number;
  readonly refused: number;
}

interface Tracked {
  socket: Socket;
  /** Requests on it being answered now (more than one when pipelined). */
  active: number;
}

/**
 * Keeps at most `cap` connections on the server, closing the longest-idle one when a new one arrives
 * at the cap. Works for HTTP and HTTPS: connections are named by their remote address and port, which
 * the TCP socket ('connection') and the TLS socket a request arrives on (req.socket) share.
 */
export function guardConnections(server: Server, cap: number = connectionLimit()): ConnectionGuard {
  const tracked = new Map<string, Tracked>();
  const idle = new Map<string, Tracked>(); // insertion order: idle the longest first
  let evicted = 0;
  let refused = 0;
  server.maxConnections = cap + Math.max(16, Math.floor(cap / 16));

  const nameOf = (s: Socket): string | null =>
    s.remoteAddress === undefined || s.remotePort === undefined ? null : `${s.remoteAddress}|${s.remotePort}`;

  server.on('connection', (socket: Socket) => {
    const name = nameOf(socket);
    if (name === null) {
      socket.destroy(); // already gone: nothing to answer
      return;
    }
    const entry: Tracked = { socket, active: 0 };
    tracked.set(name, entry);
    idle.set(name, entry);
    socket.once('close', () => {
      if (tracked.get(name) === entry) tracked.delete(name);
      if (idle.get(name) === entry) idle.delete(name);
    });
    if (tracked.size <= cap) return;
    for (const [oldName, old] of idle) {
      if (old === entry) continue;
      idle.delete(oldName);
      tracked.delete(oldName);
      evicted++;
      old.socket.destroy();
      return;
    }
    refused++;
    socket.destroy();
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const name = nameOf(req.socket);
    const entry = name === null ? undefined : tracked.get(name);
    if (name === null || entry === undefined) return;
    entry.active++;
    idle.delete(name);
    res.once('close', () => {
      entry.active--;
      if (entry.active > 0 || tracked.get(name) !== entry) return;
      idle.delete(name);
      idle.set(name, entry); // the newest idle
    });
  });

  return {
    cap,
    get open() {
      return tracked.size;
    },
    get evicted() {
      return evicted;
    },
    get refused() {
      return refused;
    },
  };
}
