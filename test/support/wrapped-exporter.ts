/**
 * The built exporter started through a wrapper command that exec's it, for the conditions a plain
 * `node dist/main.js` child cannot have:
 * - FD_LIMIT(n): `sh -c 'ulimit -n n; exec node …'`, as under a systemd unit with LimitNOFILE=n (Node
 *   raises its soft limit to the hard one; `ulimit -n` sets both);
 * - NO_DAC_OVERRIDE: root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (`setpriv`), as a hardened
 *   unit runs it, so that file modes apply to it (a chmod 000 file is unreadable), while it keeps
 *   CAP_SYS_PTRACE for /proc/<pid>/exe and fd.
 * The wrapper exec's node, so the child's pid is the exporter's; it is stopped by that pid.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { settlesWithin } from './run.js';
import { freePort, repoRoot, waitFor, type ExporterProcess } from './engine-rig.js';

export const FD_LIMIT = (n: number): string[] => ['/bin/sh', '-c', `ulimit -n ${n} && exec "$0" "$@"`];
export const NO_DAC_OVERRIDE: string[] = [
  'setpriv',
  '--bounding-set=-dac_override,-dac_read_search',
  '--inh-caps=-dac_override,-dac_read_search',
];

/** A JSON log line's top level: an object, not an array or a scalar. */
function isJsonObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export async function startWrappedExporter(wrapper: readonly string[], args: readonly string[]): Promise<ExporterProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const main = join(repoRoot(), 'dist', 'main.js');
  const [cmd, ...pre] = wrapper;
  if (cmd === undefined) throw new Error('empty wrapper');
  const child = spawn(cmd, [...pre, process.execPath, main, ...args, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: repoRoot(),
  });
  let out = '';
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      partial += c;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
    });
  }
  const exitPromise = new Promise<void>((r) => child.once('exit', () => r()));
  child.on('error', () => undefined);
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const stop = async (): Promise<void> => {
    if (exited()) return;
    child.kill('SIGTERM');
    if (!(await settlesWithin(exitPromise, 5000))) {
      child.kill('SIGKILL');
      await settlesWithin(exitPromise, 5000);
    }
  };
  try {
    await waitFor(
      'the exporter to answer /healthz',
      async () => {
        if (exited()) throw new Error(`the exporter exited: ${out.slice(-2000)}`);
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        return true;
      },
      20_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    port,
    pid: child.pid as number,
    logs: () => out,
    jsonLogs: () =>
      lines
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            const v: unknown = JSON.parse(l);
            return isJsonObject(v) ? [v] : [];
          } catch {
            return [];
          }
        }),
    exited,
    stop,
  };
}
