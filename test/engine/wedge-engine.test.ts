/**
 * The per-container sweep on a real engine (one rig, steps in order): a hung shim (SIGSTOP) is an
 * unresponsive shim and never an orphan, while containerd stays healthy; a wedged container (its shim
 * stopped, then `docker stop` holding the container's lock) is an unresponsive container, named on
 * /status.json and by `check`, while dockerd stays healthy; both clear after SIGCONT. Then what
 * containerd 1.6 does with a shim whose container's process was killed while the shim was stopped.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  fetchText,
  metric,
  repoRoot,
  run,
  scrape,
  skipUnlessEngine,
  startEngineRig,
  startExporter,
  waitFor,
  type EngineRig,
  type ExporterProcess,
} from '../support/engine-rig.js';
import { shimPidOf } from '../support/shim-pid.js';

const POLL_MS = 500;
const PROBE_TIMEOUT_MS = 1000;
const SWEEP_MS = 2000;
/** Two sweeps, each of which may wait one deadline per call on the wedged container, plus a poll and a scrape. */
const TWO_SWEEPS_MS = 2 * (SWEEP_MS + 2 * PROBE_TIMEOUT_MS) + POLL_MS + 1000;

const UNRESPONSIVE_CONTAINERS = 'docker_engine_unresponsive_containers';
const UNRESPONSIVE_SHIMS = 'docker_engine_unresponsive_shims';
const CHILDLESS_SHIMS = 'docker_engine_childless_shims';
const ORPHAN_SHIMS = 'docker_engine_orphan_shims';
const HEALTHY = 'docker_engine_component_healthy';

interface StatusSweep {
  unresponsiveContainers: string[] | null;
  unresponsiveShims: string[] | null;
  childlessShims: string[] | null;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

const skip = skipUnlessEngine();

describe('per-container sweep against a real Docker engine', { skip, timeout: 300_000 }, () => {
  let rig: EngineRig | undefined;
  let exporter: ExporterProcess | undefined;
  /** Shims this suite stopped: continued in after() whatever happened. */
  const stopped = new Set<number>();

  const r = (): EngineRig => {
    assert.ok(rig, 'engine rig not started');
    return rig;
  };
  const url = (): string => {
    assert.ok(exporter, 'exporter not started');
    return exporter.url;
  };
  const flags = (): string[] => [`--docker.pidfile=${r().pidfile}`, `--docker.host=${r().dockerHost}`, `--probe.timeout=${PROBE_TIMEOUT_MS}ms`];
  const stop = (pid: number): void => {
    stopped.add(pid);
    signal(pid, 'SIGSTOP');
  };
  const cont = (pid: number): void => {
    signal(pid, 'SIGCONT');
    stopped.delete(pid);
  };
  const sweepOnPage = async (): Promise<StatusSweep> => {
    const res = await fetchText(`${url()}/status.json`);
    assert.equal(res.status, 200);
    const tree = JSON.parse(res.body) as { sweep?: StatusSweep | null };
    assert.ok(tree.sweep, '/status.json has a sweep section');
    return tree.sweep;
  };
  /** Scrapes until `ok` holds, and returns that scrape. */
  const scrapeWhen = async (what: string, ok: (m: Map<string, number>) => boolean, timeoutMs: number): Promise<Map<string, number>> => {
    let last = new Map<string, number>();
    await waitFor(
      what,
      async () => {
        last = await scrape(url());
        return ok(last);
      },
      timeoutMs,
    );
    return last;
  };
  const idOf = async (name: string): Promise<string> => (await r().docker(['inspect', '-f', '{{.Id}}', name])).stdout.trim();

  before(async () => {
    rig = await startEngineRig();
    await rig.docker(['run', '-d', '--name', 'wedged', 'rig/busybox', 'sleep', '1d']);
    await rig.docker(['run', '-d', '--name', 'calm', 'rig/busybox', 'sleep', '1d']);
    exporter = await startExporter({
      args: [...flags(), `--poll.interval=${POLL_MS}ms`, `--sweep.interval=${SWEEP_MS}ms`, '--log.format=json'],
    });
  });

  after(async () => {
    for (const pid of stopped) signal(pid, 'SIGCONT');
    try {
      await exporter?.stop();
    } finally {
      await rig?.stop();
    }
  });

  it('starts with every sweep count known and 0', async () => {
    await waitFor(
      'the first sweep and the container list',
      async () => {
        const m = await scrape(url());
        return [UNRESPONSIVE_CONTAINERS, UNRESPONSIVE_SHIMS, CHILDLESS_SHIMS, ORPHAN_SHIMS].every((n) => metric(m, n) === 0);
      },
      TWO_SWEEPS_MS + 5000,
    );
    const sweep = await sweepOnPage();
    assert.deepEqual(sweep.unresponsiveContainers, []);
    assert.deepEqual(sweep.unresponsiveShims, []);
  });

  it('a hung shim is unresponsive, not an orphan; containerd stays healthy; CONT clears it', async () => {
    const id = await idOf('wedged');
    const shim = shimPidOf(id);
    assert.ok(shim !== null, 'the shim of the container is found');
    stop(shim);
    try {
      const m = await scrapeWhen('unresponsive_shims to be 1', (m) => metric(m, UNRESPONSIVE_SHIMS) === 1, TWO_SWEEPS_MS);
      assert.equal(metric(m, HEALTHY, { component: 'containerd' }), 1, 'containerd healthy while one shim hangs');
      assert.equal(metric(m, ORPHAN_SHIMS), 0, 'a hung shim is no orphan (and the count is present)');
      assert.deepEqual((await sweepOnPage()).unresponsiveShims, [id]);
      // The orphan count stays present and 0 across further polls while the shim hangs (Tasks/List
      // now waits on the stopped shim: its longer deadline keeps the list, and Containers/List
      // never asks a shim).
      for (let i = 0; i < 4; i++) {
        await new Promise((res) => setTimeout(res, POLL_MS));
        const now = await scrape(url());
        const probes = [...now].filter(([k]) => k.startsWith('docker_engine_probe_success')).map(([k, v]) => `${k} ${v}`);
        assert.equal(metric(now, ORPHAN_SHIMS), 0, `orphan_shims present and 0; probes:\n${probes.join('\n')}`);
      }
    } finally {
      cont(shim);
    }
    await waitFor('unresponsive_shims to be 0 after CONT', async () => metric(await scrape(url()), UNRESPONSIVE_SHIMS) === 0, TWO_SWEEPS_MS);
  });

  it('a wedged container is unresponsive within two sweeps, named by /status.json and check; dockerd stays healthy', async () => {
    const id = await idOf('wedged');
    const calm = await idOf('calm');
    const shim = shimPidOf(id);
    assert.ok(shim !== null, 'the shim of the container is found');
    stop(shim);
    // `docker stop` takes the container's lock and waits on the stopped shim: from now on the
    // container's inspect hangs while /_ping and `docker ps` answer.
    const stopping = r()
      .docker(['stop', '-t', '1', 'wedged'], { timeoutMs: 120_000 })
      .then(
        () => null,
        (err: unknown) => err,
      );
    try {
      const m = await scrapeWhen('unresponsive_containers to be 1', (m) => metric(m, UNRESPONSIVE_CONTAINERS) === 1, TWO_SWEEPS_MS + 2000);
      assert.equal(metric(m, HEALTHY, { component: 'dockerd' }), 1, 'dockerd healthy while one container is wedged');
      const sweep = await sweepOnPage();
      assert.deepEqual(sweep.unresponsiveContainers, [id], 'the wedged container, and only it, on /status.json');
      assert.ok(!sweep.unresponsiveContainers?.includes(calm));
      const ps = await r().docker(['ps', '-q', '--no-trunc']);
      assert.ok(ps.stdout.includes(calm), 'docker ps still answers');

      const check = await run(process.execPath, [join(repoRoot(), 'dist', 'main.js'), 'check', ...flags()], {
        allowFailure: true,
        timeoutMs: 30_000,
      });
      assert.equal(check.code, 1, `check exits WARNING:\n${check.stdout}${check.stderr}`);
      assert.match(check.stdout, /^DOCKER ENGINE WARNING - /);
      assert.match(check.stdout, new RegExp(`unresponsive container .*${id}`), 'check names the wedged container');
    } finally {
      cont(shim);
    }
    await waitFor(
      'unresponsive_containers to be 0 after CONT',
      async () => metric(await scrape(url()), UNRESPONSIVE_CONTAINERS) === 0,
      TWO_SWEEPS_MS + 5000,
    );
    assert.equal(await stopping, null, 'docker stop ends once the shim runs again');
  });

  it("a shim whose container's process died while it was stopped: what containerd 1.6 keeps", async (t) => {
    const id = await idOf('calm');
    const shim = shimPidOf(id);
    assert.ok(shim !== null, 'the shim of the container is found');
    const init = Number(readFileSync(`/proc/${shim}/task/${shim}/children`, 'utf8').trim().split(/\s+/)[0]);
    assert.ok(init > 0, "the container's process is the shim's child");
    stop(shim);
    try {
      signal(init, 'SIGKILL');
      await waitFor('unresponsive_shims to be 1', async () => metric(await scrape(url()), UNRESPONSIVE_SHIMS) === 1, TWO_SWEEPS_MS);
    } finally {
      cont(shim);
    }
    // Running again, the shim reaps its child and reports the exit: containerd 1.6 does not keep the
    // task RUNNING, so the shim is never childless here (and then exits with its task).
    const m = await scrapeWhen('the shim to answer again', (m) => metric(m, UNRESPONSIVE_SHIMS) === 0, TWO_SWEEPS_MS);
    t.diagnostic(`after CONT: childless_shims ${metric(m, CHILDLESS_SHIMS)}, orphan_shims ${metric(m, ORPHAN_SHIMS)}`);
    assert.equal(metric(m, CHILDLESS_SHIMS), 0);
    const state = (await r().docker(['inspect', '-f', '{{.State.Status}}', 'calm'])).stdout.trim();
    t.diagnostic(`container state after CONT: ${state}`);
    assert.equal(state, 'exited', 'the exit reached dockerd once the shim ran again');
  });
});
