/**
 * How much of the machine's CPU time went to other work while the bench ran: all CPUs' busy time
 * (/proc/stat) minus this process's and its reaped children's (/proc/self/stat), both in clock ticks.
 * Children still running when a sample is taken (the idle processes, an exporter not yet stopped)
 * count as "other" until they are reaped, so take the end sample after stopping them.
 */
import { readFileSync } from 'node:fs';

export interface CpuSample {
  total: number;
  busy: number;
  own: number;
}

export function sampleCpu(): CpuSample | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const busy = total - (f[3] ?? 0) - (f[4] ?? 0);
    const self = readFileSync('/proc/self/stat', 'utf8');
    const s = self.slice(self.lastIndexOf(')') + 2).split(' ').map(Number);
    // after ") ": state=0 ... utime=11 stime=12 cutime=13 cstime=14
    const own = (s[11] ?? 0) + (s[12] ?? 0) + (s[13] ?? 0) + (s[14] ?? 0);
    return { total, busy, own };
  } catch {
    return null;
  }
}

/** Share (0..1) of all CPUs' time between two samples that other work used; null when unknown. */
export function othersShare(a: CpuSample | null, b: CpuSample | null): number | null {
  if (a === null || b === null || b.total <= a.total) return null;
  const others = b.busy - a.busy - (b.own - a.own);
  return Math.min(1, Math.max(0, others / (b.total - a.total)));
}
