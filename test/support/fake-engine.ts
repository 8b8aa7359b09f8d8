/**
 * A stand-in engine made of idle processes, for tests that need a stable engine to watch but no real
 * one (the machine lacks Docker's packages): a `containerd` (test/engine/fixtures/idle.c copied to a
 * file named containerd, run with `--address <dir>/containerd.sock`) and two long-lived
 * `containerd-shim-runc-v2` with a shim's argv pointing at it. Nothing listens on the socket, so the
 * exporter's probes find containerd up but not answering; its process-level view (up, restarts,
 * processes) is what such tests look at. Watch it with `--docker.host= --docker.pidfile=
 * --containerd.address=<socket>`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compileFixture } from './c-fixture.js';
import { settlesWithin } from './run.js';

export interface FakeEngine {
  dir: string;
  containerdSocket: string;
  containerdPid: number;
  shimPids: number[];
  stop(): Promise<void>;
}

export async function startFakeEngine(): Promise<FakeEngine> {
  const dir = mkdtempSync('/tmp/fake-engine.');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) await settlesWithin(new Promise((r) => c.once('exit', r)), 5000);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const idle = await compileFixture('idle', join(dir, 'idle'));
    for (const name of ['containerd', 'containerd-shim-runc-v2']) copyFileSync(idle, join(bin, name));
    const containerdSocket = join(dir, 'containerd.sock');
    const start = (args: string[], argv0: string): number => {
      const c = spawn(join(bin, args[0] as string), args.slice(1), { argv0, stdio: 'ignore' });
      c.on('error', () => undefined);
      children.push(c);
      if (c.pid === undefined) throw new Error(`cannot start ${args[0]}`);
      return c.pid;
    };
    const containerdPid = start(['containerd', '--address', containerdSocket], 'containerd');
    const shimPids = ['a', 'b'].map((n) =>
      start(
        ['containerd-shim-runc-v2', '-namespace', 'moby', '-id', n.repeat(64), '-address', containerdSocket],
        join(bin, 'containerd-shim-runc-v2'),
      ),
    );
    return { dir, containerdSocket, containerdPid, shimPids, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
