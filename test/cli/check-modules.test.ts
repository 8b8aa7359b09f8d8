/**
 * What `check` loads. The command has 4 s to answer on a busy host, and before it loaded the whole
 * serving pipeline twice (in the command and again in its look's child): two thirds of a healthy
 * check's 1.5 s. The command now loads only the flags and the tree's renderer, and the child only the
 * watch (docs/architecture.md, "`check` loads only what its look needs"). This asserts which packages
 * each process resolves, through a module resolve hook; the time it saves is measured, not asserted.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { repoRoot } from '../support/engine-rig.js';

const dir = mkdtempSync(join(tmpdir(), 'dee-check-modules-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Node's `--import` module that registers a resolve hook writing "<pid> <package>" for each package import. */
function hookFlag(): string {
  const hook = join(dir, 'hook.mjs');
  writeFileSync(
    hook,
    [
      `import { appendFileSync } from 'node:fs';`,
      `export async function resolve(spec, ctx, next) {`,
      `  if (!/^(\\.|\\/|node:|file:|data:)/.test(spec)) appendFileSync(${JSON.stringify(join(dir, 'loaded'))}, process.pid + ' ' + spec + '\\n');`,
      `  return next(spec, ctx);`,
      `}`,
    ].join('\n'),
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
  return `--import=${pathToFileURL(register).href}`;
}

/** The packages each process of `node dist/main.js <args>` resolved, by pid. */
function packagesLoaded(args: string[]): { pid: number; byPid: Map<number, Set<string>>; status: number | null; stdout: string } {
  rmSync(join(dir, 'loaded'), { force: true });
  const res = spawnSync(process.execPath, [hookFlag(), join(repoRoot(), 'dist', 'main.js'), ...args], { encoding: 'utf8', timeout: 30_000 });
  const byPid = new Map<number, Set<string>>();
  const text = existsSync(join(dir, 'loaded')) ? readFileSync(join(dir, 'loaded'), 'utf8') : '';
  for (const line of text.split('\n').filter(Boolean)) {
    const [pid, spec] = line.split(' ');
    const set = byPid.get(Number(pid)) ?? new Set<string>();
    set.add(String(spec));
    byPid.set(Number(pid), set);
  }
  return { pid: res.pid ?? 0, byPid, status: res.status, stdout: res.stdout };
}

const SERVING = ['fastify', 'prom-client', 'pino', '@grpc/grpc-js'];

test('check: the command loads none of the serving packages; its look loads gRPC but no fastify or prom-client', () => {
  // An engine that is not there: the look scans this host's /proc and its probes fail at once.
  const got = packagesLoaded(['check', `--docker.host=unix://${join(dir, 'no-docker.sock')}`, '--probe.timeout=500ms']);
  assert.equal(got.status, 2, `a missing dockerd is critical: ${got.stdout}`);
  const command = got.byPid.get(got.pid) ?? new Set();
  for (const pkg of SERVING) assert.ok(!command.has(pkg), `the command loaded ${pkg}: ${[...command].join(', ')}`);
  const others = [...got.byPid.entries()].filter(([pid]) => pid !== got.pid);
  assert.equal(others.length, 1, `one look child: ${JSON.stringify(others.map(([pid, s]) => [pid, [...s]]))}`);
  const look = others[0]?.[1] ?? new Set();
  assert.ok(look.has('@grpc/grpc-js'), `the look probes containerd: ${[...look].join(', ')}`);
  for (const pkg of ['fastify', 'prom-client']) assert.ok(!look.has(pkg), `the look loaded ${pkg}`);
});

test('serving still loads the whole pipeline (the hook sees what it is asked to)', () => {
  // --web.listen-address on a port that cannot be bound: the exporter loads everything, then exits 1.
  const got = packagesLoaded(['--web.listen-address=192.0.2.1:9', `--docker.host=unix://${join(dir, 'no-docker.sock')}`]);
  assert.equal(got.status, 1);
  const served = got.byPid.get(got.pid) ?? new Set();
  for (const pkg of SERVING) assert.ok(served.has(pkg), `serving resolved ${pkg}: ${[...served].join(', ')}`);
});
