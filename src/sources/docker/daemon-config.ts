/**
 * dockerd's daemon.json, read only for the one setting that changes what the chain should look like:
 * `userland-proxy` (no docker-proxy processes when false). Read through /proc/<pid>/root so that a
 * host path resolves from inside a container; a missing or unreadable file means "not set".
 */
import { readFileSync } from 'node:fs';
import { flagValue } from '../procfs/parse-proc.js';

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

export function readUserlandProxySetting(procfsPath: string, dockerdPid: number, argv: readonly string[]): boolean | null {
  const file = flagValue(argv, ['--config-file']) ?? DEFAULT_CONFIG_FILE;
  for (const path of [`${procfsPath}/${dockerdPid}/root${file}`, file]) {
    try {
      return parseUserlandProxySetting(readFileSync(path, 'utf8'));
    } catch {
      // not there through this path
    }
  }
  return null;
}
