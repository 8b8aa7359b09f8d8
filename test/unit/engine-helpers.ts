/** Builders of literal process snapshots for engine-stage tests. */
import type { ProcessInfo, ProcessSnapshot } from '../../src/engine/process-model.js';

export function p(over: Partial<ProcessInfo> & Pick<ProcessInfo, 'pid'>): ProcessInfo {
  return {
    ppid: 1,
    comm: 'x',
    state: 'S',
    startTicks: over.pid * 10,
    startTimeSeconds: 1_000_000 + over.pid,
    exe: null,
    argv: [],
    cpuSeconds: 1,
    residentBytes: 1000,
    threads: 1,
    openFds: 5,
    ...over,
  };
}

const ROOT = '/r';
export const SOCK = `${ROOT}/exec/containerd/containerd.sock`;

export function dockerd(pid: number, over: Partial<ProcessInfo> = {}): ProcessInfo {
  return p({
    pid,
    comm: 'dockerd',
    exe: '/usr/sbin/dockerd',
    argv: ['dockerd', '--exec-root', `${ROOT}/exec`, '--pidfile', `${ROOT}/docker.pid`],
    ...over,
  });
}

export function containerd(pid: number, ppid: number, over: Partial<ProcessInfo> = {}): ProcessInfo {
  return p({
    pid,
    ppid,
    comm: 'containerd',
    exe: '/usr/bin/containerd',
    argv: ['containerd', '--config', `${ROOT}/exec/containerd/containerd.toml`],
    containerdAddress: SOCK,
    ...over,
  });
}

export function shim(pid: number, id: string, address = SOCK, over: Partial<ProcessInfo> = {}): ProcessInfo {
  return p({
    pid,
    comm: 'containerd-shim',
    exe: '/usr/bin/containerd-shim-runc-v2',
    argv: ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'moby', '-id', id, '-address', address],
    ...over,
  });
}

export function child(pid: number, ppid: number, name: 'runc' | 'docker-init' | 'docker-proxy'): ProcessInfo {
  const exe = { runc: '/usr/sbin/runc', 'docker-init': '/sbin/docker-init', 'docker-proxy': '/usr/sbin/docker-proxy' }[name];
  return p({ pid, ppid, comm: name, exe, argv: [exe] });
}

export function snapshot(processes: ProcessInfo[], dockerdPidfilePid: number | null, takenAtMs = 0): ProcessSnapshot {
  return {
    takenAtMs,
    bootTimeSeconds: 1_000_000,
    ticksPerSecond: 100,
    processes,
    scannedPids: processes.length,
    vanished: 0,
    errors: [],
    dockerdPidfilePid,
  };
}
