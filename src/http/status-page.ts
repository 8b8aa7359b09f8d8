/**
 * The status page at `/`: the engine tree of `check` (src/report), live. Rendering only: what the
 * page says and how numbers are written come from the report; here it becomes markup, rendered on the
 * server (so it reads without JavaScript and every string is escaped in one place). A small inline
 * script fetches the page again every few seconds and swaps the tree in, and `/status.json` serves the
 * same tree as JSON. No external assets: one document with inline CSS and JS, allowed by a
 * per-response CSP nonce.
 */
import { formatPercent, type HeadroomReport } from '../report/headroom-report.js';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { formatAge, formatAgo, formatLatency, formatTime, mainProcessText, proxyListenAddress, unusualProcessState } from '../report/format.js';
import type { ChildNode, DaemonNode, EngineTree, LinkState, ProxyNode, ShimNode, SweepNode } from '../report/tree-nodes.js';

export interface StatusPageOptions {
  /** The tree as of now; null before anything is known. Called once per request. */
  getTree: () => EngineTree | null;
  /** Linked from the page (`/metrics`). */
  telemetryPath: string;
  version: string;
  /** How often the page fetches itself again (default 2 s). */
  refreshMs?: number;
}

const ALLOWED = 'GET, HEAD';
const OTHER_METHODS = ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
const STATUS_JSON_PATH = '/status.json';

/**
 * Registers GET (and HEAD) `/` and `/status.json`, each with 405 and an Allow header for other
 * methods; a path the telemetry path already takes is left to it.
 */
export function registerStatusPage(app: FastifyInstance, opts: StatusPageOptions): void {
  const paths: string[] = [];
  if (opts.telemetryPath !== STATUS_JSON_PATH) {
    paths.push(STATUS_JSON_PATH);
    app.get(STATUS_JSON_PATH, async (_req, reply) =>
      reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(JSON.stringify(opts.getTree())),
    );
  }
  if (opts.telemetryPath !== '/') {
    paths.push('/');
    app.get('/', async (_req, reply) => {
      const nonce = randomBytes(16).toString('base64');
      return reply
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header(
          'content-security-policy',
          `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
        )
        .type('text/html; charset=utf-8')
        .send(renderStatusPage(opts.getTree(), { ...opts, nonce }));
    });
  }
  for (const url of paths) {
    app.route({
      method: [...OTHER_METHODS],
      url,
      onRequest: async (_req, reply) => reply.code(405).header('allow', ALLOWED).send({ error: 'Method Not Allowed', allow: ALLOWED }),
      handler: async (_req, reply) => reply,
    });
  }
}

interface RenderOptions {
  telemetryPath: string;
  version: string;
  refreshMs?: number;
  /** CSP nonce of the inline style and script. */
  nonce: string;
}

function renderStatusPage(tree: EngineTree | null, opts: RenderOptions): string {
  const refreshMs = Math.max(500, Math.round(opts.refreshMs ?? 2000));
  const status = tree?.status ?? 'UNKNOWN';
  const nonce = escapeHtml(opts.nonce);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(status)} · Docker engine</title>
<link rel="icon" href="data:,">
<noscript><meta http-equiv="refresh" content="${Math.ceil(refreshMs / 1000) + 3}"></noscript>
<style nonce="${nonce}">${CSS}</style>
</head>
<body>
<header class="top">
<h1>Docker engine <span class="sub">dockerd · containerd · shims · runc · docker-proxy · docker-init</span></h1>
<span id="live" class="live">live</span>
</header>
${renderEngine(tree)}
<footer class="foot">
<a href="${escapeHtml(opts.telemetryPath)}">Metrics</a> · <a href="/healthz">Health</a> · <a href="${STATUS_JSON_PATH}">status.json</a>
· docker-engine-exporter ${escapeHtml(opts.version)}
</footer>
<script nonce="${nonce}">${script(refreshMs)}</script>
</body>
</html>
`;
}

/** The part of the page the script replaces on every refresh. */
function renderEngine(tree: EngineTree | null): string {
  if (tree === null) {
    return `<main id="engine" data-status="UNKNOWN"><section class="verdict s-unknown"><div class="badge">UNKNOWN</div><div class="summary">Nothing known yet: no poll has finished.</div></section></main>`;
  }
  const status = tree.status.toLowerCase();
  const reasons = tree.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('');
  const body: string[] = [];
  if (tree.containerd !== null) {
    const containerd = tree.containerd;
    const shims = containerd.shims.length > 0 ? `<ul>${containerd.shims.map(shimItem).join('')}</ul>` : '';
    const containerdItem = `<li>${daemonRow(containerd, 'containerd', `${containerd.mode}`, tree.nowMs)}${shims}</li>`;
    if (tree.dockerd !== null) {
      const proxies = tree.dockerd.proxies.map(proxyItem).join('');
      body.push(`<ul class="tree"><li>${daemonRow(tree.dockerd, 'dockerd', null, tree.nowMs)}<ul>${proxies}${containerdItem}</ul></li></ul>`);
    } else {
      body.push(`<ul class="tree">${containerdItem}</ul>`);
    }
  }
  if (tree.zombies.length > 0) {
    body.push(
      `<h2>Zombies</h2><ul class="flat">${tree.zombies
        .map(
          (z) =>
            `<li>${pill('down', 'zombie')} <span class="name">${escapeHtml(z.component)}</span>${kv('pid', String(z.pid))}${kv('parent', String(z.ppid))}</li>`,
        )
        .join('')}</ul>`,
    );
  }
  const checks = tree.checks;
  const checkCell = (label: string, value: number | null, hint: string): string =>
    `<div class="check ${value === null ? 'c-unknown' : value > 0 ? 'c-bad' : 'c-ok'}"><div class="num">${value === null ? '?' : value}</div><div class="lbl">${escapeHtml(label)}</div><div class="hint">${escapeHtml(hint)}</div></div>`;
  const checksHtml = checks
    ? `<section class="checks">${checkCell('orphan shims', checks.orphanShims, 'shims without a containerd task')}${checkCell('stuck runc', checks.stuckRunc, 'runc alive too long or in D state')}${checkCell('missing proxies', checks.missingProxies, 'published ports without docker-proxy')}${checkCell('zombies', checks.zombies, 'dead engine processes not reaped')}</section>`
    : '';
  const headroomHtml = tree.headroom === null ? '' : renderHeadroom(tree.headroom);
  const taken = tree.takenAtMs === null ? 'never' : `${formatTime(tree.takenAtMs)} (${formatAgo(tree.takenAtMs, tree.nowMs)} ago)`;
  // One problem is the summary itself; several are listed under a count.
  const summary = tree.reasons.length > 1 ? `${tree.reasons.length} problems` : tree.summary;
  return `<main id="engine" data-status="${escapeHtml(tree.status)}">
<section class="verdict s-${escapeHtml(status)}"><div class="badge">${escapeHtml(tree.status)}</div><div class="summary">${escapeHtml(summary)}</div>${
    tree.reasons.length > 1 ? `<ul class="reasons">${reasons}</ul>` : ''
  }</section>
<section class="treebox">${body.join('\n')}</section>
${checksHtml}${sweepHtml(tree.sweep ?? null)}
${headroomHtml}
<p class="meta">Snapshot ${escapeHtml(taken)}. Restarts count what this exporter has seen since it started. Last change: when the current process started, or, while down, when it was last seen alive.</p>
</main>`;
}

/** Each limit with how much of it is used, worst first, and the threads in D by component. */
function renderHeadroom(h: HeadroomReport): string {
  const rows = [...h.rows]
    .sort((a, b) => b.ratio - a.ratio)
    .map(
      (r) =>
        `<tr class="h-${r.level}"><td>${escapeHtml(r.what)}</td><td class="num">${escapeHtml(formatPercent(r.ratio))}</td><td class="num">${r.used.toLocaleString('en-US')} of ${r.limit.toLocaleString('en-US')}</td></tr>`,
    )
    .join('');
  const stuck = Object.entries(h.uninterruptibleThreads)
    .map(([c, n]) => kv(c, String(n), n > 0 ? 'warn' : undefined))
    .join('');
  return `<section class="headroom"><h2>Headroom</h2><table><thead><tr><th>limit</th><th>used</th><th></th></tr></thead><tbody>${rows}</tbody></table><p>Threads in D (waiting in the kernel): ${stuck}</p></section>`;
}

function daemonRow(node: DaemonNode, name: string, mode: string | null, nowMs: number): string {
  const parts = [pill(node.state), `<span class="name">${escapeHtml(name)}</span>`];
  if (mode !== null) parts.push(`<span class="tag">${escapeHtml(mode)}</span>`);
  if (node.pid !== null) parts.push(kv('pid', String(node.pid)));
  if (node.uptimeSeconds !== null) parts.push(kv('uptime', formatAge(node.uptimeSeconds)));
  parts.push(kv('restarts', String(node.restarts), node.restarts > 0 ? 'warn' : undefined));
  if (node.probe !== null) {
    parts.push(
      kv(
        node.probe.probe,
        node.probe.success ? formatLatency(node.probe.latencySeconds) : `failed (${formatLatency(node.probe.latencySeconds)})`,
        node.probe.success ? undefined : 'bad',
      ),
    );
  }
  if (node.sinceMs !== null) parts.push(kv('last change', `${formatTime(node.sinceMs, nowMs)} (${formatAgo(node.sinceMs, nowMs)} ago)`));
  if (node.version !== null) parts.push(kv('version', node.version));
  if (node.kernelCause) {
    const c = node.kernelCause;
    parts.push(kv('kernel', `${c.cause === 'oom' ? 'OOM kill' : 'hung task'} of ${c.current ? '' : 'previous '}pid ${c.pid}`, 'warn'));
  }
  const detail = node.detail !== null ? `<div class="detail">${escapeHtml(node.detail)}</div>` : '';
  return `<div class="row st-${node.state}">${parts.join('')}${detail}</div>`;
}

function shimItem(shim: ShimNode): string {
  const parts = [pill(shim.state), `<span class="name">shim</span>`, `<code class="cid">${escapeHtml(shim.containerId ?? '?')}</code>`];
  if (shim.containerName !== null) parts.push(`<span class="ctr">${escapeHtml(shim.containerName)}</span>`);
  if (shim.namespace !== null) parts.push(`<span class="tag">${escapeHtml(shim.namespace)}</span>`);
  parts.push(kv('pid', String(shim.pid)));
  if (shim.uptimeSeconds !== null) parts.push(kv('uptime', formatAge(shim.uptimeSeconds)));
  const main = mainProcessText(shim);
  if (main !== null) parts.push(kv('main', main));
  if (shim.orphan === true) parts.push(`<span class="flag warn">orphan: no containerd task</span>`);
  const children = shim.children.length > 0 ? `<ul>${shim.children.map(childItem).join('')}</ul>` : '';
  return `<li><div class="row st-${shim.state}">${parts.join('')}</div>${children}</li>`;
}

function childItem(c: ChildNode): string {
  const parts = [pill(c.state), `<span class="name">${escapeHtml(c.component)}</span>`, kv('pid', String(c.pid))];
  if (c.uptimeSeconds !== null) parts.push(kv('uptime', formatAge(c.uptimeSeconds)));
  const processState = unusualProcessState(c);
  if (processState !== null) parts.push(kv('state', processState));
  if (c.stuck) parts.push(`<span class="flag warn">stuck</span>`);
  return `<li><div class="row st-${c.state}">${parts.join('')}</div></li>`;
}

function proxyItem(p: ProxyNode): string {
  const parts = [
    p.state === 'down' ? pill('down', 'missing') : pill('up'),
    `<span class="name">docker-proxy</span>`,
    `<code>${escapeHtml(proxyListenAddress(p))}</code>`,
  ];
  if (p.target !== null) parts.push(`<span class="arrow">→</span><code>${escapeHtml(p.target)}</code>`);
  if (p.pid !== null) parts.push(kv('pid', String(p.pid)));
  if (p.uptimeSeconds !== null) parts.push(kv('uptime', formatAge(p.uptimeSeconds)));
  if (p.state === 'down') parts.push(`<span class="flag bad">published, but no proxy runs</span>`);
  return `<li><div class="row st-${p.state}">${parts.join('')}</div></li>`;
}

function pill(state: LinkState, text: string = state): string {
  return `<span class="pill p-${escapeHtml(state)}">${escapeHtml(text)}</span>`;
}

function kv(key: string, value: string, tone?: 'warn' | 'bad'): string {
  return `<span class="kv${tone ? ` ${tone}` : ''}"><span class="k">${escapeHtml(key)}</span> ${escapeHtml(value)}</span>`;
}

/** HTML encoding (not sanitizing, src/one-line.ts): every string on the page goes through it. */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Fetches the page again and swaps in its #engine (parsed with DOMParser: nothing in it runs, and it
 * was escaped by the server); says when the exporter stops answering.
 */
function script(refreshMs: number): string {
  return `(function () {
  var every = ${refreshMs};
  var live = document.getElementById('live');
  var lostSince = null;
  function say(text, bad) { live.textContent = text; live.className = bad ? 'live lost' : 'live'; }
  function tick() {
    fetch(location.pathname, { cache: 'no-store', headers: { accept: 'text/html' } })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var next = doc.getElementById('engine');
        var cur = document.getElementById('engine');
        if (!next || !cur) throw new Error('unexpected page');
        cur.replaceWith(document.importNode(next, true));
        document.title = doc.title;
        lostSince = null;
        say('live · ' + new Date().toLocaleTimeString(), false);
      })
      .catch(function (e) {
        if (lostSince === null) lostSince = new Date();
        say('exporter not answering since ' + lostSince.toLocaleTimeString() + ' (' + (e && e.message ? e.message : e) + ')', true);
      })
      .then(function () { setTimeout(tick, every); });
  }
  setTimeout(tick, every);
})();`;
}

const CSS = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#f6f8fa;--card:#fff;--ok:#1a7f37;--okbg:#dafbe1;--warn:#9a6700;--warnbg:#fff8c5;--bad:#cf222e;--badbg:#ffebe9;--hung:#8c1c13;--unk:#57606a;--unkbg:#eaeef2}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
.top{display:flex;align-items:baseline;justify-content:space-between;gap:1em;padding:14px 24px;background:#24292f;color:#fff}
.top h1{margin:0;font-size:18px;font-weight:600}
.top .sub{font-weight:400;font-size:13px;color:#afb8c1;margin-left:.6em}
.live{font-size:12px;color:#afb8c1}
.live.lost{color:#fff;background:var(--bad);padding:2px 8px;border-radius:10px}
main{padding:16px 24px;max-width:1200px}
.verdict{display:flex;flex-wrap:wrap;align-items:center;gap:6px 14px;padding:12px 16px;border-radius:8px;border:1px solid var(--line);background:var(--card)}
.verdict .badge{font-weight:700;font-size:15px;letter-spacing:.04em;padding:4px 12px;border-radius:6px;color:#fff}
.verdict .summary{font-size:15px;flex:1 1 400px}
.verdict .reasons{flex-basis:100%;margin:2px 0 0;padding-left:20px}
.s-ok{border-color:#4ac26b;background:var(--okbg)}.s-ok .badge{background:var(--ok)}
.s-warning{border-color:#d4a72c;background:var(--warnbg)}.s-warning .badge{background:var(--warn)}
.s-critical{border-color:#ff8182;background:var(--badbg)}.s-critical .badge{background:var(--bad)}
.s-unknown{background:var(--unkbg)}.s-unknown .badge{background:var(--unk)}
.treebox{margin-top:14px;padding:12px 16px;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow-x:auto}
ul.tree,ul.tree ul{list-style:none;margin:0;padding:0}
ul.tree ul{margin-left:14px;padding-left:18px}
ul.tree li{position:relative;padding:3px 0}
ul.tree ul>li::before{content:"";position:absolute;left:-18px;top:0;height:19px;width:14px;border-left:2px solid var(--line);border-bottom:2px solid var(--line);border-bottom-left-radius:4px}
ul.tree ul>li::after{content:"";position:absolute;left:-18px;top:19px;bottom:0;border-left:2px solid var(--line)}
ul.tree ul>li:last-child::after{display:none}
.row{display:flex;flex-wrap:wrap;align-items:center;gap:4px 12px;padding:5px 8px;margin:0;border-radius:6px}
.row.st-down{background:var(--badbg)}.row.st-hung,.row.st-unresponsive{background:var(--badbg);outline:1px solid #ff8182}
.name{font-weight:600}
.ctr{font-weight:600;color:var(--fg)}
.tag{font-size:12px;color:var(--muted);border:1px solid var(--line);border-radius:10px;padding:0 7px}
code{font:12.5px ui-monospace,SFMono-Regular,"DejaVu Sans Mono",Menlo,monospace;background:var(--bg);padding:1px 5px;border-radius:4px}
.arrow{color:var(--muted)}
.kv{color:var(--fg);font-variant-numeric:tabular-nums}.kv .k{color:var(--muted)}
.kv.warn{color:var(--warn);font-weight:600}.kv.bad{color:var(--bad);font-weight:600}
.pill{display:inline-block;min-width:84px;text-align:center;font-size:12px;font-weight:700;text-transform:uppercase;letter-spacing:.03em;padding:2px 8px;border-radius:10px;color:#fff}
.p-up{background:var(--ok)}.p-down{background:var(--bad)}.p-unresponsive{background:#bc4c00}.p-none{background:var(--unk)}
.p-hung{background:repeating-linear-gradient(135deg,var(--hung) 0 6px,#b3261e 6px 12px)}
.detail{flex-basis:100%;color:var(--bad);font-size:13px;padding-left:96px}
.flag{font-size:12px;font-weight:600;padding:1px 8px;border-radius:10px}
.flag.warn{color:var(--warn);background:var(--warnbg);border:1px solid #d4a72c}.flag.bad{color:var(--bad);background:var(--badbg);border:1px solid #ff8182}
.headroom table{border-collapse:collapse;margin-top:6px}.headroom td,.headroom th{padding:2px 10px;text-align:left}.headroom td.num{text-align:right}.headroom .h-warning td{color:#a15c00}.headroom .h-critical td{color:#b00020;font-weight:600}
.checks{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-top:14px}
.check{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px;border-top-width:4px}
.check .num{font-size:24px;font-weight:700}.check .lbl{font-weight:600}.check .hint{font-size:12px;color:var(--muted)}
.c-ok{border-top-color:var(--ok)}.c-bad{border-top-color:var(--warn)}.c-bad .num{color:var(--warn)}.c-unknown{border-top-color:var(--unk)}
h2{font-size:15px;margin:16px 0 6px}
ul.flat{list-style:none;padding:0;margin:0}
.meta{color:var(--muted);font-size:12px;margin-top:14px}
.foot{padding:0 24px 20px;color:var(--muted);font-size:12px}
.foot a{color:#0969da}
`;

/** The containers and shims the last sweep found not answering, by id (ids never go into metric labels). */
function sweepHtml(sweep: SweepNode | null): string {
  if (!sweep || sweep.atMs === null) return '';
  const rows: string[] = [];
  const list = (label: string, ids: readonly string[] | null): void => {
    for (const id of ids ?? []) rows.push(`<li><span class="flag warn">${escapeHtml(label)}</span> <code>${escapeHtml(id)}</code></li>`);
  };
  list('unresponsive container', sweep.unresponsiveContainers);
  list('unresponsive shim', sweep.unresponsiveShims);
  list('childless shim', sweep.childlessShims);
  return rows.length === 0
    ? ''
    : `<section class="sweep"><h2>Containers that do not answer</h2><ul class="flat">${rows.join('')}</ul></section>`;
}
