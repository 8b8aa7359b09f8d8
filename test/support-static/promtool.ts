/** Finding and running promtool (Debian's prometheus package) for the static tests. */
import { spawnSync } from 'node:child_process';

export interface PromtoolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The promtool to run: $PROMTOOL, else the first on PATH; null when there is none. */
function findPromtool(): string | null {
  const candidate = process.env['PROMTOOL'] ?? 'promtool';
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return probe.error === undefined && probe.status === 0 ? candidate : null;
}

export function runPromtool(promtool: string, args: string[], cwd?: string): PromtoolResult {
  const r = spawnSync(promtool, args, { encoding: 'utf8', timeout: 60_000, cwd });
  if (r.error !== undefined) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * How a test without promtool goes: in CI (CI=true) it must fail, since .ci/run installs the
 * prometheus package; on a developer's machine it is skipped with a note.
 */
export function promtoolOrSkip(t: { skip: (message?: string) => void }): string | null {
  const promtool = findPromtool();
  if (promtool !== null) return promtool;
  if (process.env['CI'] === 'true') {
    throw new Error("promtool not found, and CI=true: install Debian's prometheus package (apt-get install -y prometheus)");
  }
  t.skip('promtool not found (apt-get install -y prometheus); skipped outside CI');
  return null;
}
