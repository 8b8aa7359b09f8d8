/**
 * The status page in a real browser (headless Chromium), on literal engine states: it refreshes
 * itself (the inline script fetches the page again and swaps the tree in), says when the exporter
 * stops answering, runs under its own CSP, and nothing taken from a command line runs as markup.
 * Skipped without Chromium, except under CI=true (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { buildEngineTree } from '../../src/report/engine-tree.js';
import type { EngineTree } from '../../src/report/tree-nodes.js';
import { registerStatusPage } from '../../src/http/status-page.js';
import { containerd, dockerd, shim } from '../unit/engine-helpers.js';
import { dumpDom, skipUnlessChromium } from '../cli/chromium.js';
import { HEALTHY, OPTS, snap, stateAfter, UP } from '../report/tree-fixtures.js';

const skip = skipUnlessChromium();
const EVIL = `<img src=x onerror="document.body.setAttribute('data-pwned','1')">`;

describe('status page in headless Chromium', { skip, timeout: 120_000 }, () => {
  it('refreshes itself: a later state replaces the first; an exporter that stops answering is flagged', async () => {
    const ok = buildEngineTree(await stateAfter([snap(HEALTHY)], [UP]), OPTS);
    const down = { dockerd: true, containerd: false, tasks: null };
    const hung = buildEngineTree(await stateAfter([snap(HEALTHY), snap(HEALTHY), snap(HEALTHY)], [UP, down, down]), OPTS);
    let calls = 0;
    const app = Fastify({ logger: false });
    registerStatusPage(app, {
      getTree: () => {
        calls++;
        if (calls === 1) return ok;
        if (calls === 2) return hung;
        throw new Error('exporter going away');
      },
      telemetryPath: '/metrics',
      version: 'test',
      refreshMs: 1000,
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const dom = await dumpDom(`${url}/`, 6000);
      assert.ok(calls >= 3, `the page fetched itself again (${calls} requests)`);
      assert.match(dom, /<main id="engine" data-status="CRITICAL">/, 'the second answer replaced the first');
      assert.match(dom, /<title>CRITICAL · Docker engine<\/title>/);
      assert.match(dom, /<span class="pill p-hung">hung<\/span><span class="name">containerd<\/span>/);
      assert.match(dom, /<span id="live" class="live lost">exporter not answering since [^<]+\(HTTP 500\)<\/span>/);
      assert.equal((dom.match(/<main id="engine"/g) ?? []).length, 1, 'swapped, not appended');
    } finally {
      await app.close();
    }
  });

  it('strings from command lines stay text, also after a refresh', async () => {
    const evilShim = shim(50, 'e'.repeat(64), undefined, {
      argv: ['/usr/bin/containerd-shim-runc-v2', '-namespace', EVIL, '-id', 'e'.repeat(64), '-address', '/r/exec/containerd/containerd.sock'],
    });
    const tree: EngineTree = buildEngineTree(
      await stateAfter([snap([dockerd(10), containerd(20, 10), evilShim])], [{ ...UP, tasks: null, published: null }]),
      OPTS,
    );
    const app = Fastify({ logger: false });
    registerStatusPage(app, { getTree: () => tree, telemetryPath: '/metrics', version: 'test', refreshMs: 1000 });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const dom = await dumpDom(`${url}/`, 3500);
      assert.doesNotMatch(dom, /<body[^>]*data-pwned/, 'the onerror handler must never run');
      assert.doesNotMatch(dom, /<img/);
      assert.ok(dom.includes('&lt;img src=x onerror='), 'shown as text');
      assert.match(dom, /class="live">live · /, 'the refresh ran (and was allowed by the CSP)');
    } finally {
      await app.close();
    }
  });
});
