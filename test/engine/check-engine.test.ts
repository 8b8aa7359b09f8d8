/**
 * `docker-engine-exporter check` on a real engine: the built binary's one-shot check against a private
 * dockerd started by the rig, in a healthy, a hung (SIGSTOP of containerd) and a down (kill -9 of
 * dockerd) state, in text and JSON; and that it ends by itself, with no handle left open, within the
 * probe timeout plus a little, even while containerd hangs.
 *
 * The steps share one engine and run in order; killing dockerd comes last.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { EngineTree } from '../../src/report/tree-nodes.js';
import {
  freePort,
  isAlive,
  realTree,
  repoRoot,
  run,
  skipUnlessEngine,
  startEngineRig,
  waitFor,
  type EngineRig,
} from '../support/engine-rig.js';

const PROBE_TIMEOUT_MS = 1000;
/** Node's start, loading the protos, a scan and the probe rounds: generous for a loaded 2-core machine. */
const SLACK_MS = 4000;

const skip = skipUnlessEngine();

interface CheckRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

describe('docker-engine-exporter check against a real Docker engine', { skip, timeout: 600_000 }, () => {
  let rig: EngineRig | undefined;
  let port = 0;
  const ids: string[] = [];

  const r = (): EngineRig => {
    assert.ok(rig, 'engine rig not started');
    return rig;
  };
  const flags = (): string[] => [`--docker.host=${r().dockerHost}`, `--docker.pidfile=${r().pidfile}`, `--probe.timeout=${PROBE_TIMEOUT_MS}ms`];

  /** `node dist/main.js check …`, as an operator runs it. */
  async function check(extra: string[] = []): Promise<CheckRun> {
    const started = Date.now();
    const res = await run(process.execPath, [join(repoRoot(), 'dist', 'main.js'), 'check', ...flags(), ...extra], {
      allowFailure: true,
      timeoutMs: 30_000,
    });
    return { code: res.code, stdout: res.stdout, stderr: res.stderr, ms: Date.now() - started };
  }

  /**
   * runCheck in a process that never calls process.exit (main.ts does): it only ends once every
   * socket, channel, timer and worker the check opened is closed again.
   */
  async function checkWithoutExit(): Promise<CheckRun> {
    const here = new URL('.', import.meta.url);
    const flagsJs = pathToFileURL(new URL('../../src/config/flags.js', here).pathname).href;
    const checkJs = pathToFileURL(new URL('../../src/check-look.js', here).pathname).href;
    const code = [
      `import { parseFlags } from ${JSON.stringify(flagsJs)};`,
      `import { runCheck } from ${JSON.stringify(checkJs)};`,
      `const parsed = parseFlags(process.argv.slice(2), {});`,
      `if (parsed.kind !== 'check') throw new Error('not a check');`,
      `process.exitCode = await runCheck(parsed.config, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });`,
    ].join('\n');
    // A file, not --eval: the scan worker thread inherits the process's exec arguments.
    const script = join(r().dir, 'check-without-exit.mjs');
    writeFileSync(script, code);
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script, 'check', ...flags()], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(killer);
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      });
    });
  }

  before(async () => {
    rig = await startEngineRig();
    ids.push((await rig.docker(['run', '-d', '--name', 'plain', 'rig/busybox', 'sleep', '1d'])).stdout.trim());
    port = await freePort();
    ids.push(
      (
        await rig.docker(['run', '-d', '--name', 'init-web', '--init', '-p', `127.0.0.1:${port}:80`, 'rig/busybox', 'httpd', '-f', '-p', '80'])
      ).stdout.trim(),
    );
  });

  after(async () => {
    const pid = rig?.containerdPid();
    if (pid) process.kill(pid, 'SIGCONT'); // a failed hung step must not leave it stopped
    await rig?.stop();
  });

  it('healthy: exit 0, the tree shows dockerd, containerd, 2 shims, docker-init and the proxy', async (t) => {
    const real = realTree(r());
    assert.equal(real.shims.length, 2);
    assert.equal(real.inits.length, 1);
    assert.equal(real.proxies.length, 1);
    const res = await check();
    t.diagnostic(`check took ${res.ms} ms:\n${res.stdout}`);
    assert.equal(res.code, 0, `exit status; stdout:\n${res.stdout}\nstderr:\n${res.stderr}`);
    assert.equal(res.stderr, '', 'a healthy check logs nothing');
    const out = res.stdout;
    assert.match(out, /^DOCKER ENGINE OK - dockerd up, containerd up \(managed\), 2 shims, 1 docker-init, 1 docker-proxy \| dockerd_ping=/);
    assert.match(out, new RegExp(`^dockerd  UP  pid ${real.dockerd}  uptime \\S+  restarts 0  dockerd_ping \\S+ms`, 'm'));
    assert.match(out, new RegExp(`^├── docker-proxy 127\\.0\\.0\\.1:${port}/tcp -> [0-9.]+:80  UP  pid ${real.proxies[0]}`, 'm'));
    assert.match(
      out,
      new RegExp(`^└── containerd \\(managed\\)  UP  pid ${real.containerd}  uptime \\S+  restarts 0  containerd_health \\S+ms`, 'm'),
    );
    // Each shim with its container's name and main process: the task's pid (docker-init's with --init)
    // and the program the container runs, as dockerd reports them.
    const names = ['plain', 'init-web'];
    const programs = ['sleep', 'httpd'];
    for (const [i, id] of ids.entries()) {
      const mainPid = (await r().docker(['inspect', '-f', '{{.State.Pid}}', id])).stdout.trim();
      const shimLine = `^    [├└]── shim ${id.slice(0, 12)} ${names[i]} \\[moby\\]  UP  pid \\d+  uptime \\S+  main ${programs[i]} pid ${mainPid}$`;
      assert.match(out, new RegExp(shimLine, 'm'));
    }
    assert.match(out, new RegExp(`^        └── docker-init  UP  pid ${real.inits[0]}  uptime`, 'm'));
    assert.equal((await r().docker(['inspect', '-f', '{{.State.Pid}}', ids[1] ?? ''])).stdout.trim(), String(real.inits[0]));
    // The second probe round ran: the published ports were listed, so missing proxies is 0, not unknown.
    assert.match(out, /^checks: orphan shims 0, stuck runc 0, missing proxies 0, zombies 0$/m);
  });

  it('--output=json: the same tree as JSON, exit 0', async () => {
    const res = await check(['--output=json']);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const tree = JSON.parse(res.stdout) as EngineTree;
    const real = realTree(r());
    assert.equal(tree.status, 'OK');
    assert.equal(tree.exitCode, 0);
    assert.equal(tree.dockerd?.state, 'up');
    assert.equal(tree.dockerd?.pid, real.dockerd);
    assert.equal(tree.dockerd?.probe?.success, true);
    assert.equal(tree.containerd?.pid, real.containerd);
    assert.equal(tree.containerd?.mode, 'managed');
    assert.equal(tree.containerd?.address, r().containerdSocket);
    assert.deepEqual(tree.containerd?.shims.map((s) => s.pid).sort(), [...real.shims].sort());
    assert.deepEqual(tree.containerd?.shims.map((s) => s.containerId).sort(), ids.map((id) => id.slice(0, 12)).sort());
    assert.deepEqual(tree.containerd?.shims.map((s) => s.containerName).sort(), ['init-web', 'plain']);
    const inits = tree.containerd?.shims.flatMap((s) => s.children.filter((c) => c.component === 'docker-init').map((c) => c.pid));
    assert.deepEqual(inits, real.inits);
    assert.deepEqual(
      tree.dockerd?.proxies.map((p) => [p.state, p.pid, p.hostPort]),
      [['up', real.proxies[0], port]],
    );
    assert.equal(tree.checks?.missingProxies, 0);
    assert.equal(tree.checks?.stuckRunc, 0);
    assert.ok(tree.dockerd?.version, 'dockerd /version was read in the second round');
  });

  it('ends by itself without process.exit, well within the probe timeout plus a little', async () => {
    const res = await checkWithoutExit();
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /^DOCKER ENGINE OK/);
    assert.ok(res.ms < PROBE_TIMEOUT_MS + SLACK_MS, `took ${res.ms} ms`);
  });

  it('hung (kill -STOP containerd): exit 2, containerd unresponsive, and it still ends by itself in time', async (t) => {
    const pid = r().containerdPid();
    assert.ok(pid !== null);
    process.kill(pid, 'SIGSTOP');
    try {
      const res = await check();
      t.diagnostic(`check took ${res.ms} ms:\n${res.stdout}`);
      assert.equal(res.code, 2, `exit status; stdout:\n${res.stdout}\nstderr:\n${res.stderr}`);
      assert.match(
        res.stdout,
        /^DOCKER ENGINE CRITICAL - containerd (unresponsive|hung): pid \d+ alive \(state T\) but containerd_health failed/,
      );
      assert.match(
        res.stdout,
        new RegExp(`^└── containerd \\(managed\\)  (UNRESPONSIVE|HUNG)  pid ${pid} .*containerd_health failed after`, 'm'),
      );
      assert.match(res.stdout, /^dockerd  UP  pid/m, 'dockerd itself still answers');
      assert.equal((res.stdout.match(/^ {4}[├└]── shim /gm) ?? []).length, 2, 'the shims are still drawn');
      assert.ok(res.ms < PROBE_TIMEOUT_MS + SLACK_MS, `a hung containerd holds the check for the probe timeout only: took ${res.ms} ms`);

      const json = await check(['--output=json']);
      assert.equal(json.code, 2);
      const tree = JSON.parse(json.stdout) as EngineTree;
      assert.equal(tree.status, 'CRITICAL');
      assert.ok(tree.containerd?.state === 'unresponsive' || tree.containerd?.state === 'hung', tree.containerd?.state);
      assert.equal(tree.containerd?.probe?.success, false);

      const bare = await checkWithoutExit();
      assert.equal(bare.code, 2, bare.stdout + bare.stderr);
      assert.ok(bare.ms < PROBE_TIMEOUT_MS + SLACK_MS, `without process.exit, with containerd stopped: took ${bare.ms} ms`);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor('check to say OK again after SIGCONT', async () => (await check()).code === 0, 20_000);
  });

  it('down (kill -9 dockerd): exit 2, dockerd down', async (t) => {
    const pid = r().dockerdPid();
    assert.ok(pid !== null);
    process.kill(pid, 'SIGKILL');
    await waitFor('dockerd to be gone', () => !isAlive(pid), 10_000);
    const res = await check();
    t.diagnostic(`check took ${res.ms} ms:\n${res.stdout}`);
    assert.equal(res.code, 2, `exit status; stdout:\n${res.stdout}\nstderr:\n${res.stderr}`);
    assert.match(res.stdout, /^DOCKER ENGINE CRITICAL - dockerd down: no live process/);
    assert.match(res.stdout, /^dockerd  DOWN  restarts 0  dockerd_ping failed after \S+  \(no live process\)$/m);
    const json = JSON.parse((await check(['--output=json'])).stdout) as EngineTree;
    assert.equal(json.dockerd?.state, 'down');
    assert.equal(json.exitCode, 2);
  });
});
