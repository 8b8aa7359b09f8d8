/**
 * dockerd's daemon.json, read only for the one setting that changes what the chain should look like:
 * `userland-proxy` (no docker-proxy processes when false). Read through /proc/<pid>/root so that a
 * host path resolves from inside a container, else under --path.rootfs; a missing, unreadable or
 * refused file means "not set". Only the attributed dockerd's file is read, and only the careful way
 * (a small regular file of root or dockerd's uid: trusted-file.ts).
 */
import { flagValue } from '../../engine/argv.js';
import { readTrustedFile } from '../procfs/trusted-file.js';
import type { ProcessInfo } from '../../engine/process-model.js';

const DEFAULT_CONFIG_FILE = '/etc/docker/daemon.json';

/** Pure: the `userland-proxy` value from daemon.json text; null when absent or not a boolean. */
export function parseUserlandProxySetting(text: string): boolean | null {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof config !== 'object' || config === null) return null;
  const v = (config as Record<string, unknown>)['userland-proxy'];
  return typeof v === 'boolean' ? v : null;
}

export function readUserlandProxySetting(procfsPath: string, rootfsPath: string, dockerd: ProcessInfo): boolean | null {
  const file = flagValue(dockerd.argv, ['--config-file']) ?? DEFAULT_CONFIG_FILE;
  if (!file.startsWith('/')) return null; // relative to dockerd's cwd: not worth a guess
  const owners = [...(dockerd.uid != null ? [dockerd.uid] : []), process.getuid?.() ?? 0];
  for (const path of [`${procfsPath}/${dockerd.pid}/root${file}`, `${rootfsPath === '/' ? '' : rootfsPath}${file}`]) {
    try {
      const text = readTrustedFile(path, { owners });
      if (text !== null) return parseUserlandProxySetting(text);
    } catch {
      // not readable through this path, or refused
    }
  }
  return null;
}
