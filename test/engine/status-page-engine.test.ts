/**
 * The status page on a real engine: the live page on a real engine. The exporter's own pipeline (the same
 * source, probes and poller `check` builds) polls a private dockerd started by the rig; a fastify app
 * serves registerStatusPage from it; the page is read over HTTP and photographed by headless Chromium
 * while the engine is healthy and while containerd is SIGSTOPped (hung).
 *
 * Screenshots go to a temporary directory and are checked there (a PNG of the window's size, the
 * verdict's colour in it); with UPDATE_SCREENSHOTS=1 they are also copied to docs/screenshots/
 * (status-healthy.png, status-hung.png), the ones the README shows.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { createExporter, type Exporter } from '../../src/exporter.js';
import { parseFlags, type Config } from '../../src/config/flags.js';
import type { EngineTree } from '../../src/report/tree-nodes.js';
import { createLogger } from '../../src/log/logger.js';
import { freePort, realTree, repoRoot, skipUnlessEngine, startEngineRig, waitFor, type EngineRig } from '../support/engine-rig.js';
import { screenshot, skipUnlessChromium } from '../cli/chromium.js';
import { countColour, decodePng, isPng } from '../cli/png.js';

const skip = skipUnlessEngine();
/** Evaluated per test, so that only the Chromium part is skipped (or, under CI=true, fails). */
const chromiumSkip = (): string | false => skipUnlessChromium();

/** Colours of the page's CSS (status-page.ts): the OK badge, the CRITICAL badge, the hung stripes. */
const OK_GREEN = '#1a7f37';
const CRITICAL_RED = '#cf222e';
const HUNG_DARK = '#8c1c13';

describe('status page on a real Docker engine', { skip, timeout: 600_000 }, () => {
  let rig: EngineRig | undefined;
  let exporter: Exporter | undefined;
  let url = '';
  let port = 0;
  let shotDir = '';
  const ids: string[] = [];

  const r = (): EngineRig => {
    assert.ok(rig, 'engine rig not started');
    return rig;
  };
  const tree = async (): Promise<EngineTree> =>
    (await fetch(`${url}/status.json`, { signal: AbortSignal.timeout(5000) })).json() as Promise<EngineTree>;
  const page = async (): Promise<string> => (await fetch(`${url}/`, { signal: AbortSignal.timeout(5000) })).text();

  /** Photographs the page, checks the PNG, and keeps it under docs/screenshots/ when asked to. */
  async function photograph(t: TestContext, name: string, expect: { present: string[]; absent: string[] }): Promise<void> {
    const why = chromiumSkip();
    if (why) {
      t.skip(why);
      return;
    }
    const file = join(shotDir, name);
    const res = await screenshot(`${url}/`, file);
    assert.equal(res.code, 0, `chromium exited ${res.code}: ${res.stderr.slice(-2000)}`);
    const bytes = readFileSync(file);
    assert.ok(isPng(bytes), `${file} is not a PNG`);
    const png = decodePng(bytes);
    assert.deepEqual([png.width, png.height], [1200, 900]);
    for (const colour of expect.present)
      assert.ok(countColour(png, colour) > 300, `${name}: ${colour} should be on the page (the verdict and the states)`);
    for (const colour of expect.absent) assert.equal(countColour(png, colour), 0, `${name}: ${colour} should not be on the page`);
    t.diagnostic(`${name}: ${bytes.length} bytes`);
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      const dir = join(repoRoot(), 'docs', 'screenshots');
      mkdirSync(dir, { recursive: true });
      copyFileSync(file, join(dir, name));
      t.diagnostic(`copied to ${join(dir, name)}`);
    }
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
    const parsed = parseFlags(
      [`--docker.host=${rig.dockerHost}`, `--docker.pidfile=${rig.pidfile}`, '--poll.interval=500ms', '--probe.timeout=1s'],
      {},
    );
    assert.equal(parsed.kind, 'run');
    const config: Config = (parsed as { config: Config }).config;
    // What main.ts serves: the composition root's app, whose page shows the poller's latest state.
    exporter = createExporter(config, { logger: createLogger('error', 'json', () => {}), mode: 'serve' });
    exporter.poller.start();
    url = await exporter.app.listen({ host: '127.0.0.1', port: 0 });
    shotDir = mkdtempSync('/tmp/status-shots.');
  });

  after(async () => {
    const pid = rig?.containerdPid();
    if (pid) process.kill(pid, 'SIGCONT');
    try {
      await exporter?.close();
    } finally {
      await rig?.stop();
      if (shotDir) rmSync(shotDir, { recursive: true, force: true });
    }
  });

  it('healthy: the page shows the whole tree, OK, with pids and latencies; screenshot', async (t) => {
    // Published ports are listed once dockerd answered a ping: wait until the proxy check is known.
    const healthy = (await waitFor(
      'the tree to be OK with the proxy check known',
      async () => {
        const tr = await tree();
        const named = tr.containerd?.shims.every((s) => s.containerName !== null) === true;
        return tr.status === 'OK' && tr.checks?.missingProxies === 0 && tr.checks.orphanShims === 0 && named ? tr : null;
      },
      30_000,
    )) as EngineTree;
    const real = realTree(r());
    assert.equal(healthy.dockerd?.pid, real.dockerd);
    assert.equal(healthy.containerd?.pid, real.containerd);
    const html = await page();
    assert.match(html, /<main id="engine" data-status="OK">/);
    assert.match(html, new RegExp(`<span class="name">dockerd</span><span class="kv"><span class="k">pid</span> ${real.dockerd}</span>`));
    assert.match(
      html,
      new RegExp(
        `<span class="name">containerd</span><span class="tag">managed</span><span class="kv"><span class="k">pid</span> ${real.containerd}</span>`,
      ),
    );
    // Beside each shim's id its container's name, and the container's program with its main pid.
    const names = ['plain', 'init-web'];
    const programs = ['sleep', 'httpd'];
    for (const [i, id] of ids.entries()) {
      const mainPid = (await r().docker(['inspect', '-f', '{{.State.Pid}}', id])).stdout.trim();
      assert.match(html, new RegExp(`<code class="cid">${id.slice(0, 12)}</code><span class="ctr">${names[i]}</span>`));
      assert.match(html, new RegExp(`<span class="k">main</span> ${programs[i]} pid ${mainPid}</span>`));
    }
    assert.match(html, new RegExp(`<span class="name">docker-init</span><span class="kv"><span class="k">pid</span> ${real.inits[0]}</span>`));
    assert.match(html, new RegExp(`<code>127\\.0\\.0\\.1:${port}/tcp</code>`));
    assert.match(html, /<span class="k">dockerd_ping<\/span> [0-9.]+ms/);
    assert.match(html, /<span class="k">containerd_health<\/span> [0-9.]+ms/);
    await photograph(t, 'status-healthy.png', { present: [OK_GREEN], absent: [CRITICAL_RED, HUNG_DARK] });
  });

  it('hung (kill -STOP containerd): containerd drawn hung, verdict CRITICAL; screenshot; SIGCONT brings it back', async (t) => {
    const pid = r().containerdPid();
    assert.ok(pid !== null);
    process.kill(pid, 'SIGSTOP');
    try {
      const hung = (await waitFor(
        '/status.json to say containerd is hung',
        async () => ((await tree()).containerd?.state === 'hung' ? tree() : null),
        20_000,
      )) as EngineTree;
      assert.equal(hung.status, 'CRITICAL');
      assert.equal(hung.dockerd?.state, 'up');
      const html = await page();
      assert.match(html, /<main id="engine" data-status="CRITICAL">/);
      assert.match(
        html,
        new RegExp(
          `<div class="row st-hung"><span class="pill p-hung">hung</span><span class="name">containerd</span><span class="tag">managed</span><span class="kv"><span class="k">pid</span> ${pid}</span>`,
        ),
      );
      assert.match(
        html,
        new RegExp(`<div class="summary">containerd hung: pid ${pid} alive \\(state T\\) but containerd_health unanswered on \\d+ polls`),
      );
      assert.match(html, /<span class="kv bad"><span class="k">containerd_health<\/span> failed/);
      for (const id of ids)
        assert.match(html, new RegExp(`<code class="cid">${id.slice(0, 12)}</code>`), 'the shims of a hung containerd are still drawn');
      await photograph(t, 'status-hung.png', { present: [CRITICAL_RED, HUNG_DARK], absent: [] });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor('containerd to be up again after SIGCONT', async () => (await tree()).containerd?.state === 'up', 20_000);
  });
});
