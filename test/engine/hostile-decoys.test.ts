/**
 * Hostile decoys, black-box: the built exporter (dist/main.js, run as root like in production) watches a
 * real engine while an attacker on the same host starts processes named like the engine's binaries.
 * Each decoy set (test/engine/fixtures/decoy.c, test/support/decoys.ts) is:
 * - four `containerd --config X` with X a FIFO the attacker owns, /dev/zero, a symlink to /etc/shadow
 *   and a 1 GiB sparse file (the exporter reads containerd's config to learn its socket);
 * - a `dockerd` and a plain `containerd`;
 * - a `containerd-shim-runc-v2 -namespace moby -id <fake> -address <the engine's real containerd socket>`
 *   with a sleeping child `runc`, a child `docker-init`, a zombie under each and one of its own.
 * The set runs for 40 s, first as nobody on the host, then as root inside a container of the engine
 * (the decoy directory bind-mounted at its own path, so its paths mean the same thing there).
 *
 * Two exporters watch at once: one given dockerd's pidfile, one told there is none (`--docker.pidfile=`),
 * which must pick the real dockerd among decoys by other evidence. For each, throughout each phase:
 * every poll succeeds, its threads do not grow, its peak RSS stays under 150 MiB, every engine series
 * equals the baseline taken just before, and a fanotify watcher never sees it open /etc/shadow or
 * read any of the decoys' files.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import {
  delay,
  freePort,
  metric,
  realComponentCounts,
  realTree,
  scrape,
  skipUnlessEngine,
  startEngineRig,
  startExporter,
  waitFor,
  COMPONENTS,
  type EngineRig,
  type ExporterProcess,
} from '../support/engine-rig.js';
import {
  COMPLETE_SHAPE,
  decoyShape,
  dockerExecArgs,
  findContainerLauncher,
  killAllDecoysSync,
  killTree,
  makeDecoyDir,
  removeDecoyDir,
  startDecoysAsNobody,
  threadsAndPeak,
  watchFiles,
  type DecoyDir,
  type FileWatch,
} from '../support/decoys.js';
import { readExe } from '../support/proc.js';

const PHASE_MS = 40_000;
const SAMPLE_EVERY_MS = 2000;
const PEAK_RSS_LIMIT = 150 * 1024 * 1024;
const ENGINE_SERIES = new Set(
  [
    'component_up',
    'component_processes',
    'component_healthy',
    'component_restarts_total',
    'component_start_time_seconds',
    'orphan_shims',
    'stuck_runc_processes',
    'zombie_processes',
    'missing_proxies',
    'info',
  ].map((s) => `docker_engine_${s}`),
);
const POLL_ERRORS = 'docker_engine_exporter_poll_errors_total';
const LAST_POLL = 'docker_engine_exporter_last_poll_timestamp_seconds';

const skip = skipUnlessEngine();

interface Watched {
  name: string;
  ex: ExporterProcess;
}

interface Sample {
  atMs: number;
  series: Map<string, number> | null;
  error: string | null;
  healthz: number | null;
  threads: number | null;
  peakBytes: number | null;
}

interface Baseline {
  engine: Map<string, number>;
  pollErrors: number;
  threads: number;
}

function engineSeries(m: Map<string, number>): Map<string, number> {
  return new Map([...m].filter(([k]) => ENGINE_SERIES.has(k.split('{')[0] as string)));
}

function sumOf(m: Map<string, number>, name: string): number {
  let total = 0;
  for (const [k, v] of m) if (k === name || k.startsWith(`${name}{`)) total += v;
  return total;
}

/** Each series that differed from the baseline: the values seen instead, how often, and when first. */
function groupedDiffs(base: Map<string, number>, seen: { at: string; series: Map<string, number> }[]): string[] {
  const byKey = new Map<string, Map<string, { n: number; first: string }>>();
  for (const { at, series } of seen) {
    const keys = new Set([...base.keys(), ...series.keys()]);
    for (const k of keys) {
      if (base.get(k) === series.get(k)) continue;
      const values = byKey.get(k) ?? new Map<string, { n: number; first: string }>();
      const v = String(series.get(k) ?? 'absent');
      const entry = values.get(v) ?? { n: 0, first: at };
      entry.n++;
      values.set(v, entry);
      byKey.set(k, values);
    }
  }
  return [...byKey].map(
    ([k, values]) =>
      `${k} (baseline ${base.get(k) ?? 'absent'}): ${[...values].map(([v, e]) => `${v} in ${e.n} samples from ${e.first}`).join(', ')}`,
  );
}

function diffSeries(base: Map<string, number>, now: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [k, v] of base) if (now.get(k) !== v) out.push(`${k}: ${now.get(k) ?? 'absent'} (baseline ${v})`);
  for (const [k, v] of now) if (!base.has(k)) out.push(`${k}: ${v} (not in baseline)`);
  return out;
}

async function sampleOnce(w: Watched): Promise<Sample> {
  const atMs = Date.now();
  const proc = threadsAndPeak(w.ex.pid);
  const [series, healthz] = await Promise.all([
    scrape(w.ex.url, 1500).then(
      (m) => ({ m, error: null }),
      (e: unknown) => ({ m: null, error: e instanceof Error ? e.message : String(e) }),
    ),
    fetch(`${w.ex.url}/healthz`, { signal: AbortSignal.timeout(1500) }).then(
      async (r) => (await r.arrayBuffer(), r.status),
      () => null,
    ),
  ]);
  return { atMs, series: series.m, error: series.error, healthz, threads: proc?.threads ?? null, peakBytes: proc?.peakBytes ?? null };
}

describe('hostile decoys: the exporter is neither blinded nor fooled', { skip, timeout: 300_000 }, () => {
  let rig: EngineRig | undefined;
  let decoys: DecoyDir | undefined;
  let watch: FileWatch | undefined;
  const watched: Watched[] = [];

  const r = (): EngineRig => {
    assert.ok(rig, 'engine rig not started');
    return rig;
  };
  const d = (): DecoyDir => {
    assert.ok(decoys, 'decoy directory not made');
    return decoys;
  };

  /** Waits until w agrees with /proc, has every probe's answer and says the same twice in a row: its baseline. */
  async function settle(w: Watched): Promise<Baseline> {
    let previous: Map<string, number> | null = null;
    let last = '';
    const found = await waitFor<Baseline | null>(
      `${w.name}: engine up, counts equal to /proc, the same series in two scrapes`,
      async () => {
        const m = await scrape(w.ex.url, 1500);
        const real = realComponentCounts(r());
        const counts = COMPONENTS.map((c) => metric(m, 'docker_engine_component_processes', { component: c }));
        const engine = engineSeries(m);
        const same = previous !== null && diffSeries(previous, engine).length === 0;
        previous = engine;
        last = `processes ${JSON.stringify(counts)} vs /proc ${JSON.stringify(COMPONENTS.map((c) => real[c]))}, up dockerd ${metric(m, 'docker_engine_component_up', { component: 'dockerd' })} containerd ${metric(m, 'docker_engine_component_up', { component: 'containerd' })}`;
        // Every probe has answered once: the chain checks are present and info carries every version.
        const complete =
          ['orphan_shims', 'stuck_runc_processes', 'missing_proxies'].every((n) => engine.has(`docker_engine_${n}`)) &&
          [...engine.keys()].some((k) => k.startsWith('docker_engine_info{') && !k.includes('=""'));
        const ok =
          same &&
          complete &&
          metric(m, 'docker_engine_component_up', { component: 'dockerd' }) === 1 &&
          metric(m, 'docker_engine_component_up', { component: 'containerd' }) === 1 &&
          metric(m, 'docker_engine_component_healthy', { component: 'dockerd' }) === 1 &&
          metric(m, 'docker_engine_component_healthy', { component: 'containerd' }) === 1 &&
          COMPONENTS.every((c, i) => counts[i] === real[c]);
        if (!ok) {
          await delay(600);
          return null;
        }
        const threads = Math.max(...[0, 1, 2].map(() => threadsAndPeak(w.ex.pid)?.threads ?? 0));
        return { engine, pollErrors: sumOf(m, POLL_ERRORS), threads };
      },
      30_000,
    ).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; last: ${last}`);
    });
    assert.ok(found);
    return found;
  }

  before(async () => {
    decoys = await makeDecoyDir();
    process.once('exit', () => decoys && killAllDecoysSync(decoys));
    rig = await startEngineRig();
    const port = await freePort();
    await rig.docker(['run', '-d', '--name', 'plain', 'rig/busybox', 'sleep', '1d']);
    await rig.docker(['run', '-d', '--name', 'init-web', '--init', '-p', `127.0.0.1:${port}:80`, 'rig/busybox', 'httpd', '-f', '-p', '80']);
    // Where the container decoys run: the decoy directory at its own path, read-only.
    await rig.docker(['run', '-d', '--name', 'decoybox', '-v', `${decoys.dir}:${decoys.dir}:ro`, 'rig/busybox', 'sleep', '1d']);
    const boxPid = (await rig.docker(['inspect', '-f', '{{.State.Pid}}', 'decoybox'])).stdout.trim();
    watch = await watchFiles(decoys, ['/etc/shadow', '/dev/zero', decoys.fifo, decoys.sparse, `/proc/${boxPid}/root/dev/zero`]);
    const common = [
      `--docker.host=${rig.dockerHost}`,
      '--poll.interval=1s',
      '--probe.timeout=5s',
      '--runc.stuck-after=2s', // a decoy runc sleeping for 40 s would be stuck
      '--log.format=json',
    ];
    watched.push({ name: 'with pidfile', ex: await startExporter({ args: [`--docker.pidfile=${rig.pidfile}`, ...common] }) });
    watched.push({ name: 'no pidfile', ex: await startExporter({ args: ['--docker.pidfile=', ...common] }) });
  });

  after(async () => {
    try {
      await watch?.stop();
      if (decoys) killAllDecoysSync(decoys);
      // An exporter may be blocked in the kernel (open() of a FIFO): SIGKILL, not a polite SIGTERM.
      for (const w of watched) {
        try {
          if (!w.ex.exited()) process.kill(w.ex.pid, 'SIGKILL');
        } catch {
          /* exited meanwhile */
        }
        await w.ex.stop();
      }
    } finally {
      try {
        await rig?.stop();
      } finally {
        if (decoys) removeDecoyDir(decoys);
      }
    }
  });

  /** Runs one decoy set for PHASE_MS while sampling every exporter, then judges each in its own subtest. */
  async function phase(t: TestContext, startDecoys: () => Promise<{ pid: number; startTicks: number }>): Promise<void> {
    const baselines = new Map<Watched, Baseline>();
    for (const w of watched) baselines.set(w, await settle(w));
    const eventsFrom = watch?.events().length ?? 0;
    const samples = new Map<Watched, Sample[]>(watched.map((w) => [w, []]));
    let launcher: { pid: number; startTicks: number } | undefined;
    let shapeAtEnd: string | undefined;
    let began = Date.now();
    try {
      launcher = await startDecoys();
      // docker exec runs a real, short-lived runc: wait until it is gone and one more poll has passed.
      // (realTree counts the decoys too: they claim the engine's socket; leave out their copies.)
      const engineRuncs = () => realTree(r()).runc.filter((pid) => !readExe(pid)?.startsWith(`${d().dir}/`));
      await waitFor("the engine's own runc to exit", () => engineRuncs().length === 0, 10_000);
      await delay(2000);
      began = Date.now();
      while (Date.now() - began < PHASE_MS) {
        const tick = Date.now();
        const got = await Promise.all(watched.map((w) => sampleOnce(w)));
        watched.forEach((w, i) => samples.get(w)?.push(got[i] as Sample));
        await delay(Math.max(0, SAMPLE_EVERY_MS - (Date.now() - tick)));
      }
      shapeAtEnd = JSON.stringify(decoyShape(launcher.pid));
    } finally {
      if (launcher) await killTree(launcher);
    }
    // A thread blocked in the kernel by a decoy stays after the decoy is gone: count once more.
    await delay(SAMPLE_EVERY_MS);
    const threadsAfter = watched.map((w) => threadsAndPeak(w.ex.pid)?.threads ?? null);
    // The decoys were all there for the whole phase (else the phase proved nothing).
    assert.equal(shapeAtEnd, JSON.stringify(COMPLETE_SHAPE), 'the decoy set at the end of the phase');

    for (const [i, w] of watched.entries()) {
      const base = baselines.get(w) as Baseline;
      const ss = samples.get(w) as Sample[];
      const at = (s: Sample) => `+${((s.atMs - began) / 1000).toFixed(0)} s`;
      const ok = ss.filter((s): s is Sample & { series: Map<string, number> } => s.series !== null);
      const peak = Math.max(...ss.map((s) => s.peakBytes ?? 0));
      const maxThreads = Math.max(...ss.map((s) => s.threads ?? 0));
      t.diagnostic(
        `${w.name}: ${ss.length} samples, ${ok.length} scraped; threads baseline ${base.threads} max ${maxThreads} after ${threadsAfter[i] ?? '?'}; ` +
          `peak RSS ${(peak / 1048576).toFixed(0)} MiB; poll errors ${base.pollErrors} → ${ok.length ? sumOf(ok[ok.length - 1]!.series, POLL_ERRORS) : '?'}`,
      );

      await t.test(`${w.name}: every poll succeeds and /healthz stays 200`, () => {
        const bad: string[] = [];
        let lastPoll = 0;
        for (const s of ss) {
          if (s.series === null) {
            bad.push(`${at(s)}: scrape failed: ${s.error}`);
            continue;
          }
          const errors = sumOf(s.series, POLL_ERRORS);
          if (errors !== base.pollErrors) bad.push(`${at(s)}: ${POLL_ERRORS} ${errors} (baseline ${base.pollErrors})`);
          const poll = metric(s.series, LAST_POLL) ?? 0;
          if (poll <= lastPoll) bad.push(`${at(s)}: ${LAST_POLL} did not advance (${poll})`);
          lastPoll = Math.max(lastPoll, poll);
          if (s.healthz !== 200) bad.push(`${at(s)}: /healthz ${s.healthz ?? 'no answer'}`);
        }
        assert.equal(w.ex.exited(), false, 'the exporter exited');
        assert.ok(ss.length >= PHASE_MS / SAMPLE_EVERY_MS / 2, `only ${ss.length} samples`);
        assert.deepEqual(bad.slice(0, 16), [], `${bad.length} problems in ${ss.length} samples`);
      });

      await t.test(`${w.name}: threads do not grow, peak RSS under 150 MiB`, () => {
        const grown = ss.filter((s) => (s.threads ?? 0) > base.threads).map((s) => `${at(s)}: ${s.threads} threads`);
        const after = threadsAfter[i] ?? 0;
        if (after > base.threads) grown.push(`after the decoys were killed: ${after} threads`);
        assert.deepEqual(grown.slice(-8), [], `threads above the baseline ${base.threads}`);
        assert.ok(peak < PEAK_RSS_LIMIT, `peak RSS (VmHWM) ${(peak / 1048576).toFixed(0)} MiB`);
      });

      await t.test(`${w.name}: every engine series equals the baseline`, () => {
        const bad = groupedDiffs(
          base.engine,
          ok.map((s) => ({ at: at(s), series: engineSeries(s.series) })),
        );
        assert.deepEqual(bad, [], `engine series that differed from the baseline in ${ok.length} samples`);
      });

      await t.test(`${w.name}: never opens /etc/shadow nor reads a decoy's file`, () => {
        const bad = (watch?.events() ?? [])
          .slice(eventsFrom)
          .filter((e) => e.pid === w.ex.pid && (e.kind === 'access' || e.path === '/etc/shadow'))
          .map((e) => `${e.kind} ${e.path}`);
        assert.deepEqual([...new Set(bad)], [], 'fanotify events of the exporter');
      });
    }
  }

  it('decoys run by nobody on the host', async (t) => {
    await phase(t, () => startDecoysAsNobody(d(), { address: r().containerdSocket, id: 'decoy-on-host' }));
  });

  it('decoys run by root inside a container of the engine', async (t) => {
    const tag = 'decoys-in-container';
    await phase(t, async () => {
      await r().docker(dockerExecArgs(d(), { address: r().containerdSocket, id: 'decoy-in-container' }, 'decoybox', tag));
      return findContainerLauncher(d(), tag);
    });
  });
});
