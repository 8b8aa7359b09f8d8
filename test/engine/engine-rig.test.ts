/**
 * The harness itself: the rig starts a working engine, restarts dockerd on the same pidfile, and its
 * stop() leaves nothing behind even after a test that broke things half-way.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { freePort, readProcStatState, realTree, skipUnlessEngine, startEngineRig, type EngineRig } from '../support/engine-rig.js';
import { readCmdline, listPids } from '../support/proc.js';

const skip = skipUnlessEngine();

describe('engine rig', { skip, timeout: 300_000 }, () => {
  let rig: EngineRig | undefined;
  after(async () => {
    await rig?.stop();
  });

  it('starts an engine with the whole tree: dockerd → containerd, proxy; shims → docker-init → httpd', async () => {
    rig = await startEngineRig();
    assert.ok(rig.dir.length < 30, `short dir: ${rig.dir}`);
    await rig.docker(['run', '-d', 'rig/busybox', 'sleep', '1d']);
    const port = await freePort();
    await rig.docker(['run', '-d', '--init', '-p', `127.0.0.1:${port}:80`, 'rig/busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);
    const t = realTree(rig);
    assert.ok(t.dockerd !== null && t.containerd !== null);
    assert.equal(t.shims.length, 2);
    assert.equal(t.proxies.length, 1);
    assert.equal(t.inits.length, 1);
    assert.equal(t.runc.length, 0);
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'rig\n');
  });

  it('bounds docker client calls with a timeout', async () => {
    assert.ok(rig);
    await assert.rejects(rig.docker(['run', '--rm', 'rig/busybox', 'sleep', '30'], { timeoutMs: 1000 }), /timed out/);
  });

  it('restarts dockerd on the same pidfile after kill -9', async () => {
    assert.ok(rig);
    const oldD = rig.dockerdPid();
    const oldC = rig.containerdPid();
    assert.ok(oldD !== null && oldC !== null);
    process.kill(oldD, 'SIGKILL');
    await rig.waitFor('dockerd to die', () => rig?.dockerdPid() === null, 10_000);
    await rig.startDockerd();
    const newD = rig.dockerdPid();
    const newC = rig.containerdPid();
    assert.ok(newD !== null && newD !== oldD);
    assert.ok(newC !== null && newC !== oldC);
    assert.equal(readProcStatState(oldC), null, 'the old containerd is gone from /proc');
    await rig.docker(['ps']);
  });

  it('stop() cleans up after a half-failed test: orphaned container, stopped daemons', async () => {
    assert.ok(rig);
    const id = (await rig.docker(['run', '-d', '--init', 'rig/busybox', 'sleep', '2d'])).stdout.trim();
    const t = realTree(rig);
    const shim = t.shims.find((pid) => readCmdline(pid).includes(id));
    assert.ok(shim !== undefined);
    const init = t.inits[t.inits.length - 1];
    assert.ok(init !== undefined);
    // kill -9 the shim: the container's processes are reparented to PID 1, where no tree walk finds them.
    process.kill(shim, 'SIGKILL');
    const d = rig.dockerdPid();
    const c = rig.containerdPid();
    assert.ok(d !== null && c !== null);
    process.kill(c, 'SIGSTOP');
    process.kill(d, 'SIGSTOP');

    const { dir, bridge, containerdSocket } = rig;
    const started = Date.now();
    await rig.stop();
    const took = Date.now() - started;
    assert.ok(took < 60_000, `stop took ${took} ms`);

    assert.equal(existsSync(dir), false, 'rig dir removed');
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    assert.equal(mounts.includes(`${dir}/`), false, 'nothing mounted under the rig dir');
    const leftovers = listPids().filter((pid) => readCmdline(pid).some((a) => a.includes(`${dir}/`)));
    assert.deepEqual(leftovers, [], 'no process names the rig dir');
    for (const pid of [d, c, init]) {
      const s = readProcStatState(pid);
      assert.ok(s === null || s === 'Z', `pid ${pid} still running (${s})`);
    }
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    assert.equal(links.includes(`${bridge}:`), false, 'bridge deleted');
    const sock = createHash('sha256').update(`${containerdSocket}/moby/${id}`).digest('hex');
    assert.equal(existsSync(`/run/containerd/s/${sock}`), false, 'shim socket removed');
  });
});
