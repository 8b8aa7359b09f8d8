/**
 * The built exporter run as an unprivileged user, as a non-root deployment would run it.
 * startExporter() spawns `node <main> <args>`; here <main> is run-as-user-main.js, which drops
 * to the given uid/gid before it loads dist/main.js. Everything else (free port, readiness, logs,
 * stop, exit-time cleanup) is startExporter()'s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot, startExporter, type ExporterProcess, type StartExporterOptions } from './engine-rig.js';

export const NOBODY = { uid: 65534, gid: 65534 } as const;

export async function startExporterAsUser(
  user: { uid: number; gid: number },
  opts: Omit<StartExporterOptions, 'main'> = {},
): Promise<ExporterProcess> {
  const wrapper = fileURLToPath(new URL('./run-as-user-main.js', import.meta.url));
  return startExporter({
    ...opts,
    main: wrapper,
    env: {
      ...(opts.env ?? process.env),
      RUN_AS_UID: String(user.uid),
      RUN_AS_GID: String(user.gid),
      RUN_AS_MAIN: join(repoRoot(), 'dist', 'main.js'),
    },
  });
}

/** Real, effective, saved and filesystem uids of a process, from /proc/<pid>/status. */
export function processUids(pid: number): number[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Uid:'));
  if (!line) throw new Error(`no Uid line in /proc/${pid}/status`);
  return line
    .split(/\s+/)
    .slice(1)
    .filter((s) => s !== '')
    .map(Number);
}
