/**
 * How the tree's numbers and addresses are written, the same on the status page and in `check`'s
 * text. The renderers only place these strings and make them safe for their medium.
 */
import type { ChildNode, ProxyNode, ShimNode } from './tree-nodes.js';

/** 0.4s, 42s, 3m07s, 2h03m, 4d05h. */
export function formatAge(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 10) return `${Math.round(seconds * 10) / 10}s`;
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor((s % 86_400) / 3600))}h`;
}

/** How long ago `thenMs` was at `nowMs`; a time in the future (clocks apart) is "0s" ago. */
export function formatAgo(thenMs: number, nowMs: number): string {
  return formatAge(Math.max(0, (nowMs - thenMs) / 1000));
}

/** 0.8ms, 12ms, 1.04s. */
export function formatLatency(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 0.01) return `${Math.round(seconds * 10_000) / 10}ms`;
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  return `${Math.round(seconds * 100) / 100}s`;
}

/** `18:10:00 UTC` on the day of `nowMs`, `2026-11-27 18:10:00 UTC` on another (or without `nowMs`). */
export function formatTime(ms: number, nowMs?: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '?';
  const iso = d.toISOString();
  const sameDay = nowMs !== undefined && new Date(nowMs).toISOString().slice(0, 10) === iso.slice(0, 10);
  return `${sameDay ? iso.slice(11, 19) : iso.slice(0, 19).replace('T', ' ')} UTC`;
}

/** Where a proxy listens: `127.0.0.1:8080/tcp`, `[::1]:53/udp`, `8080/tcp` without a host address. */
export function proxyListenAddress(p: ProxyNode): string {
  const host = p.hostIp === null ? '' : p.hostIp.includes(':') ? `[${p.hostIp}]:` : `${p.hostIp}:`;
  return `${host}${p.hostPort ?? '?'}/${p.proto}`;
}

/** Where it listens and, when its arguments say, where it forwards to: `127.0.0.1:8080/tcp -> 172.17.0.2:80`. */
export function proxyAddress(p: ProxyNode): string {
  return `${proxyListenAddress(p)}${p.target !== null ? ` -> ${p.target}` : ''}`;
}

/** The kernel state of a child worth showing: anything but the usual S (sleeping) and R (running). */
export function unusualProcessState(c: ChildNode): string | null {
  return c.processState !== null && c.processState !== 'S' && c.processState !== 'R' ? c.processState : null;
}

/** `nginx pid 4242`, `pid 4242` or `nginx`: the container's main process as far as it is known. */
export function mainProcessText(shim: ShimNode): string | null {
  const m = shim.mainProcess;
  if (m === null) return null;
  const words = [m.program, m.pid === null ? null : `pid ${m.pid}`].filter((w) => w !== null && w !== '');
  return words.length === 0 ? null : words.join(' ');
}
