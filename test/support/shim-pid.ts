import { readdirSync, readFileSync } from 'node:fs';

/** The pid of the long-lived shim serving container `id` (`-id <id>` on its command line, not `start`). */
export function shimPidOf(id: string): number | null {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('containerd-shim-runc-v2') && argv.includes(id) && !argv.includes('start')) return Number(name);
    } catch {
      /* gone */
    }
  }
  return null;
}
