/**
 * Restart memory (--state.file): the exporter is stopped, containerd is killed and restarted by dockerd
 * while no exporter watches, and the exporter started again on the same --state.file counts that
 * restart once; counters continue. A corrupt state file is a log line and a metric, never fatal.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  metric,
  scrape,
  skipUnlessEngine,
  startEngineRig,
  startExporter,
  waitFor,
  type EngineRig,
  type ExporterProcess,
} from '../support/engine-rig.js';

const RESTARTS = 'docker_engine_component_restarts_total';
const UP = 'docker_engine_component_up';
const skip = skipUnlessEngine();

describe('restart memory across exporter restarts', { skip, timeout: 300_000 }, () => {
  let rig: EngineRig | undefined;
  let exporter: ExporterProcess | undefined;
  const r = (): EngineRig => {
    assert.ok(rig);
    return rig;
  };
  const args = (stateFile: string): string[] => [
    `--docker.pidfile=${r().pidfile}`,
    `--docker.host=${r().dockerHost}`,
    '--poll.interval=500ms',
    '--log.format=json',
    `--state.file=${stateFile}`,
  ];
  /** A fresh exporter on this state file; the one before is stopped first, even after a failed step. */
  const launch = async (stateFile: string): Promise<ExporterProcess> => {
    await exporter?.stop();
    exporter = await startExporter({ args: args(stateFile) });
    return exporter;
  };

  before(async () => {
    rig = await startEngineRig();
    await r().docker(['run', '-d', 'rig/busybox', 'sleep', '1d']);
  });
  after(async () => {
    await exporter?.stop();
    await rig?.stop();
  });

  it('counts a containerd restart that happened while the exporter was down, once', async () => {
    const stateFile = join(r().dir, 'exporter-state.json');
    const ex1 = await launch(stateFile);
    await waitFor('containerd up', async () => metric(await scrape(ex1.url), UP, { component: 'containerd' }) === 1, 15_000);
    await ex1.stop(); // SIGTERM: the state is flushed on the way out
    exporter = undefined;

    const oldContainerd = r().containerdPid();
    assert.ok(oldContainerd);
    process.kill(oldContainerd, 'SIGKILL');
    const newContainerd = await waitFor(
      'dockerd to restart containerd',
      () => {
        const pid = r().containerdPid();
        return pid !== null && pid !== oldContainerd ? pid : null;
      },
      40_000,
    );
    assert.notEqual(newContainerd, oldContainerd);

    const ex2 = await launch(stateFile);
    const m: Map<string, number> = (await waitFor<Map<string, number> | undefined>(
      'first poll after restart',
      async () => {
        const s = await scrape(ex2.url);
        return metric(s, UP, { component: 'containerd' }) === 1 ? s : undefined;
      },
      15_000,
    )) as Map<string, number>;
    assert.equal(metric(m, RESTARTS, { component: 'containerd' }), 1);
    assert.equal(metric(m, RESTARTS, { component: 'dockerd' }), 0);
    assert.ok(ex2.jsonLogs().some((l) => l.msg === 'restart memory restored'));
    // The log line is written in the same poll the scrape saw, but it reaches this process over a pipe
    // while the scrape came over TCP: the two can arrive in either order, so wait for the line.
    await waitFor(
      'the restart log line',
      () =>
        ex2
          .jsonLogs()
          .some(
            (l) => l.msg === 'component restarted' && l.component === 'containerd' && l.oldPid === oldContainerd && l.newPid === newContainerd,
          ),
      5_000,
    );

    // And again without a restart in between: the counter continues at 1, no new restart.
    await ex2.stop();
    const ex3 = await launch(stateFile);
    const m3: Map<string, number> = (await waitFor<Map<string, number> | undefined>(
      'poll',
      async () => {
        const s = await scrape(ex3.url);
        return metric(s, UP, { component: 'containerd' }) === 1 ? s : undefined;
      },
      15_000,
    )) as Map<string, number>;
    assert.equal(metric(m3, RESTARTS, { component: 'containerd' }), 1);
    await ex3.stop();
    exporter = undefined;
  });

  it('a corrupt state file is a log line and a metric; the exporter starts fresh and rewrites it', async () => {
    const stateFile = join(r().dir, 'corrupt-state.json');
    writeFileSync(stateFile, '{"version":1, "singletons": tru');
    const ex = await launch(stateFile);
    const m: Map<string, number> = (await waitFor<Map<string, number> | undefined>(
      'poll',
      async () => {
        const s = await scrape(ex.url);
        return metric(s, UP, { component: 'containerd' }) === 1 ? s : undefined;
      },
      15_000,
    )) as Map<string, number>;
    assert.equal(metric(m, 'docker_engine_exporter_state_file_errors_total', { operation: 'read' }), 1);
    assert.equal(metric(m, RESTARTS, { component: 'containerd' }), 0);
    await waitFor(
      'the state-file error line',
      () => ex.jsonLogs().some((l) => l.msg === 'state file ignored: starting without restart memory' && l.level === 'error'),
      5_000,
    );
    await ex.stop();
    exporter = undefined;
  });
});
