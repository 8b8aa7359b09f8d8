/** The status page and /status.json through fastify's inject, on literal engine states. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { buildEngineTree } from '../../src/report/engine-tree.js';
import type { EngineTree } from '../../src/report/tree-nodes.js';
import { registerStatusPage } from '../../src/http/status-page.js';
import { containerd, dockerd, shim } from '../unit/engine-helpers.js';
import { HEALTHY, ID_A, NOW_MS, OPTS, snap, stateAfter, UP } from '../report/tree-fixtures.js';

function appWith(getTree: () => EngineTree | null, telemetryPath = '/metrics') {
  const app = Fastify({ logger: false });
  registerStatusPage(app, { getTree, telemetryPath, version: '9.9.9' });
  return app;
}

test('/ draws the tree with states, pids, restarts, latencies; inline assets only, under a nonce CSP', async () => {
  const tree = buildEngineTree(await stateAfter([snap(HEALTHY)], [UP]), OPTS);
  const app = appWith(() => tree);
  const res = await app.inject({ url: '/' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(res.headers['cache-control'], 'no-store');
  const html = res.body;
  assert.match(html, /<main id="engine" data-status="OK">/);
  assert.match(html, /<div class="badge">OK<\/div>/);
  assert.match(html, /<span class="pill p-up">up<\/span><span class="name">dockerd<\/span>.*<span class="k">pid<\/span> 10</);
  assert.match(html, /<span class="name">containerd<\/span><span class="tag">managed<\/span>/);
  assert.match(html, /<span class="k">dockerd_ping<\/span> 1\.2ms/);
  assert.match(html, /<span class="k">containerd_health<\/span> 0\.8ms/);
  assert.match(html, /<span class="k">restarts<\/span> 0/);
  assert.match(html, /<span class="k">last change<\/span> 13:46:50 UTC \(3m10s ago\)/, 'last change = dockerd start time, with its age');
  assert.match(html, /<code class="cid">aaaaaaaaaaaa<\/code>/);
  assert.match(html, /<code class="cid">bbbbbbbbbbbb<\/code><span class="ctr">db<\/span><span class="tag">moby<\/span>/);
  assert.match(html, /<code class="cid">aaaaaaaaaaaa<\/code><span class="ctr">web-1<\/span>.*<span class="k">main<\/span> nginx pid 100</);
  assert.match(html, /<span class="name">docker-init<\/span><span class="kv"><span class="k">pid<\/span> 71/);
  assert.match(html, /<code>127\.0\.0\.1:18080\/tcp<\/code><span class="arrow">→<\/span><code>10\.213\.0\.3:80<\/code>/);
  assert.match(html, /href="\/metrics">Metrics<\/a>/);
  // No external assets: no src= at all, no absolute URLs, nothing but the inline style and script.
  assert.doesNotMatch(html, /\ssrc=/);
  assert.doesNotMatch(html, /(href|action)="(https?:)?\/\//);
  assert.doesNotMatch(html, /<link[^>]+stylesheet/);
  const csp = String(res.headers['content-security-policy']);
  const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
  assert.ok(nonce, csp);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /connect-src 'self'/);
  assert.equal(html.match(/<script nonce="([^"]+)">/)?.[1], nonce);
  assert.equal(html.match(/<style nonce="([^"]+)">/)?.[1], nonce);
  assert.match(html, /setTimeout\(tick, every\)/, 'the page refreshes itself');
  const again = await app.inject({ url: '/' });
  assert.notEqual(
    /script-src 'nonce-([^']+)'/.exec(String(again.headers['content-security-policy']))?.[1],
    nonce,
    'a fresh nonce per response',
  );
  await app.close();
});

test('a hung containerd is drawn hung, the verdict CRITICAL with its reason', async () => {
  const down = { dockerd: true, containerd: false, tasks: null };
  const tree = buildEngineTree(await stateAfter([snap(HEALTHY), snap(HEALTHY), snap(HEALTHY)], [UP, down, down]), OPTS);
  const app = appWith(() => tree);
  const html = (await app.inject({ url: '/' })).body;
  assert.match(html, /data-status="CRITICAL"/);
  assert.match(html, /<title>CRITICAL · Docker engine<\/title>/);
  assert.match(html, /<div class="row st-hung"><span class="pill p-hung">hung<\/span><span class="name">containerd<\/span>/);
  assert.match(html, /<span class="kv bad"><span class="k">containerd_health<\/span> failed \(1s\)<\/span>/);
  assert.match(html, /<div class="badge">CRITICAL<\/div><div class="summary">containerd hung: pid 20 alive/);
  assert.doesNotMatch(html, /<ul class="reasons">/, 'one problem is the summary, not repeated in a list');
  assert.match(html, /<div class="check c-unknown"><div class="num">\?<\/div><div class="lbl">orphan shims/, 'unknown is not 0');
  await app.close();
});

test('every string is escaped: a hostile container id cannot inject markup', async () => {
  const evil = '<img src=x onerror=alert(1)>"\'&`';
  const tree = buildEngineTree(
    await stateAfter([snap([dockerd(10), containerd(20, 10), shim(50, evil)])], [{ ...UP, tasks: null, published: null }]),
    OPTS,
  );
  const html = (await appWith(() => tree).inject({ url: '/' })).body;
  assert.ok(!html.includes('<img'), 'raw markup from a command line must not reach the page');
  assert.ok(html.includes('&#60;img src=x o'), html.match(/<code class="cid">[^]*?<\/code>/)?.[0]);
  const json = await appWith(() => tree).inject({ url: '/status.json' });
  assert.equal(json.json<EngineTree>().containerd?.shims[0]?.containerId, evil.slice(0, 12));
});

test("a hostile container name or program from dockerd's list is escaped too", async () => {
  const evil = '<img src=x onerror=alert(1)>';
  const state = await stateAfter([snap(HEALTHY)], [{ ...UP, containers: [{ id: ID_A, name: evil, program: `${evil}"` }] }]);
  const html = (await appWith(() => buildEngineTree(state, OPTS)).inject({ url: '/' })).body;
  assert.ok(!html.includes('<img'), 'raw markup from dockerd must not reach the page');
  assert.match(html, /<span class="ctr">&#60;img src=x onerror=alert\(1\)&#62;<\/span>/);
  assert.match(html, /<span class="k">main<\/span> &#60;img src=x onerror=alert\(1\)&#62;&#34; pid 100</);
});

test('/status.json serves the tree; HEAD works; other methods 405 with Allow; nothing known is UNKNOWN', async () => {
  const tree = buildEngineTree(await stateAfter([snap(HEALTHY)], [UP]), { ...OPTS, nowMs: NOW_MS });
  let current: EngineTree | null = null;
  const app = appWith(() => current);
  const empty = await app.inject({ url: '/' });
  assert.equal(empty.statusCode, 200);
  assert.match(empty.body, /data-status="UNKNOWN"/);
  assert.equal((await app.inject({ url: '/status.json' })).body, 'null');
  current = tree;
  const res = await app.inject({ url: '/status.json' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.deepEqual(res.json(), JSON.parse(JSON.stringify(tree)));
  for (const url of ['/', '/status.json']) {
    const head = await app.inject({ method: 'HEAD', url });
    assert.equal(head.statusCode, 200, `HEAD ${url}`);
    assert.equal(head.body, '');
    const post = await app.inject({ method: 'POST', url, payload: 'x' });
    assert.equal(post.statusCode, 405, `POST ${url}`);
    assert.equal(post.headers.allow, 'GET, HEAD');
  }
  await app.close();

  const unknown = buildEngineTree(null, { ...OPTS, pollError: 'procfs scan did not finish within 10000 ms' });
  const page = (await appWith(() => unknown).inject({ url: '/' })).body;
  assert.match(
    page,
    /<div class="badge">UNKNOWN<\/div><div class="summary">cannot scan processes: procfs scan did not finish within 10000 ms<\/div>/,
  );
});

test('a path the telemetry path takes is left to it', async () => {
  const app = appWith(() => null, '/');
  app.get('/', () => 'metrics');
  assert.equal((await app.inject({ url: '/' })).body, 'metrics');
  assert.equal((await app.inject({ url: '/status.json' })).statusCode, 200);
  await app.close();
  const other = appWith(() => null, '/status.json');
  other.get('/status.json', () => 'metrics');
  assert.equal((await other.inject({ url: '/status.json' })).body, 'metrics');
  assert.match((await other.inject({ url: '/' })).body, /data-status="UNKNOWN"/);
  await other.close();
});

test('several problems: a count in the summary and the list of them', async () => {
  const procs = [dockerd(10), containerd(20, 10), shim(50, 'gone')];
  const tree = buildEngineTree(
    await stateAfter([snap(procs), snap([dockerd(10), containerd(25, 10), shim(50, 'gone')])], [UP, { ...UP, tasks: [], published: null }]),
    OPTS,
  );
  assert.equal(tree.reasons.length, 2, tree.reasons.join('; '));
  const html = (await appWith(() => tree).inject({ url: '/' })).body;
  assert.match(
    html,
    /<div class="badge">WARNING<\/div><div class="summary">2 problems<\/div><ul class="reasons"><li>containerd restarted 1 time since the exporter started<\/li><li>1 orphan shim \(no containerd task\)<\/li><\/ul>/,
  );
  assert.match(html, /<span class="flag warn">orphan: no containerd task<\/span>/);
  assert.match(html, /<span class="kv warn"><span class="k">restarts<\/span> 1<\/span>/);
});

test('headroom: each limit worst first, critical and warning rows marked, threads in D by component', async () => {
  const state = await stateAfter([snap(HEALTHY)], [UP]);
  const headroom = {
    maxFds: { containerd: 1000 },
    worstFdRatio: { containerd: 0.85 },
    worstFd: { containerd: { open: 850, limit: 1000 } },
    uninterruptibleThreads: { dockerd: 2, containerd: 0 },
    limits: [],
    storage: [{ volume: 'exec_root' as const, availBytes: 2, sizeBytes: 100, availInodes: null, inodes: null }],
  };
  const app = appWith(() => buildEngineTree({ ...state, headroom }, OPTS));
  const html = (await app.inject({ url: '/' })).body;
  assert.match(
    html,
    /<tr class="h-critical"><td>exec_root space<\/td><td class="num">98%<\/td><td class="num">98 of 100<\/td><\/tr><tr class="h-warning"><td>fds containerd<\/td><td class="num">85%<\/td><td class="num">850 of 1,000<\/td><\/tr>/,
  );
  assert.match(html, /Threads in D \(waiting in the kernel\): <span class="kv warn"><span class="k">dockerd<\/span> 2<\/span>/);
  const none = (await appWith(() => buildEngineTree(state, OPTS)).inject({ url: '/' })).body;
  assert.doesNotMatch(none, /<h2>Headroom<\/h2>/, 'no headroom section where the source reads none (ps-list)');
  await app.close();
});
