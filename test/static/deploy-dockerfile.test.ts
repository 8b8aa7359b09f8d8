/**
 * The Dockerfile, read without building it (test/engine/image.test.ts builds and runs it): a
 * multi-stage build whose runtime stage holds only node, dist/, proto/, package.json and the
 * production node_modules; a numeric non-root USER; an exec-form HEALTHCHECK whose `node -e` program
 * is run here against a stand-in /healthz; a .dockerignore that lets exactly the copied files through.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { DEFAULT_PORT } from '../../src/config/flags.js';
import { dockerStages, execForm, parseDockerfile, type DockerInstruction, type DockerStage } from '../support-static/deploy.js';
import { repoPath } from '../support-static/repo.js';

const instructions = parseDockerfile(readFileSync(repoPath('Dockerfile'), 'utf8'));
const stages = dockerStages(instructions);
const runtime = stages[stages.length - 1] as DockerStage;

function only(stage: DockerStage, keyword: string): DockerInstruction {
  const found = stage.instructions.filter((i) => i.keyword === keyword);
  assert.equal(found.length, 1, `one ${keyword} in the runtime stage`);
  return found[0] as DockerInstruction;
}

function stage(name: string): DockerStage {
  const s = stages.find((x) => x.name === name);
  assert.ok(s, `a stage named ${name}`);
  return s;
}

/** The HEALTHCHECK's command vector. */
function healthcheckCommand(): string[] {
  const hc = only(runtime, 'HEALTHCHECK');
  const cmd = /\bCMD\s+(\[.*\])\s*$/.exec(hc.args);
  assert.ok(cmd, 'HEALTHCHECK … CMD ["…"] (exec form: the runtime image has no shell)');
  const argv = execForm(cmd[1] as string);
  assert.ok(argv, 'the HEALTHCHECK command is a JSON array of strings');
  return argv;
}

/** Runs the HEALTHCHECK's node program with this environment; resolves with its exit status. */
function runHealthcheck(env: Record<string, string>, timeoutMs = 10_000): Promise<number | null> {
  const argv = healthcheckCommand();
  const evalIndex = argv.indexOf('-e');
  assert.ok(evalIndex > 0, 'node -e');
  const program = argv[evalIndex + 1] as string;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', program], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: 'ignore' });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the health check ran longer than ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** A stand-in exporter: /healthz answers `status` (or never, for 'hang'). */
async function healthServer(status: number | 'hang', host = '127.0.0.1', port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (status === 'hang') return;
    res.statusCode = req.url === '/healthz' ? status : 404;
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

describe('Dockerfile', () => {
  it('takes its base image as the build argument BASE, with a public default', () => {
    const arg = instructions.find((i) => i.keyword === 'ARG' && i.args.startsWith('BASE'));
    assert.ok(arg, 'ARG BASE=…');
    assert.ok(instructions.indexOf(arg) < instructions.findIndex((i) => i.keyword === 'FROM'), 'ARG BASE comes before the first FROM');
    assert.match(arg.args, /^BASE=node:\d+[\w.-]*$/, 'a node image by default');
    assert.equal(stage('build').from, '${BASE}');
  });

  it('builds in a build stage: npm ci, the TypeScript build, then only the production dependencies', () => {
    const runs = stage('build')
      .instructions.filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join('\n');
    assert.match(runs, /npm ci\b/);
    assert.match(runs, /npm run build\b/);
    assert.match(runs, /npm prune --omit=dev\b/);
  });

  it('has a runtime stage with nothing but node, dist/, proto/, package.json and node_modules', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    assert.equal(runtime.from, 'scratch', 'the runtime stage starts empty and gets node from the rootfs stage');
    assert.deepEqual(
      runtime.instructions.filter((i) => i.keyword === 'RUN'),
      [],
      'no RUN in the runtime stage (it has no shell)',
    );
    const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    const expected = [
      /^--from=rootfs \/rootfs\/ \/$/,
      /^--from=build \/src\/package\.json \.\/$/,
      /^--from=build \/src\/node_modules \.\/node_modules$/,
      /^--from=build \/src\/dist \.\/dist$/,
      /^proto \.\/proto$/,
    ];
    assert.equal(copies.length, expected.length, `COPY lines: ${copies.join(' | ')}`);
    for (const re of expected)
      assert.ok(
        copies.some((c) => re.test(c)),
        `a COPY matching ${re}: ${copies.join(' | ')}`,
      );
    assert.equal(only(runtime, 'WORKDIR').args, '/app');
  });

  it('runs node on dist/main.js as a numeric non-root user and exposes the default port', () => {
    assert.deepEqual(execForm(only(runtime, 'ENTRYPOINT').args), ['/usr/local/bin/node', '--max-semi-space-size=2', '/app/dist/main.js']);
    const user = only(runtime, 'USER').args;
    assert.match(user, /^\d+(:\d+)?$/, 'numeric: no /etc/passwd lookup needed, and Kubernetes runAsNonRoot can verify it');
    assert.notEqual(Number(user.split(':')[0]), 0, 'not root');
    assert.equal(only(runtime, 'EXPOSE').args, String(DEFAULT_PORT));
  });

  it('has a HEALTHCHECK that runs node on /healthz in exec form, with a timeout', () => {
    const hc = only(runtime, 'HEALTHCHECK').args;
    assert.match(hc, /--timeout=\d+s/);
    assert.match(hc, /--interval=\d+s/);
    const argv = healthcheckCommand();
    assert.equal(argv[0], '/usr/local/bin/node');
    assert.ok((argv[2] ?? '').includes('/healthz'));
  });

  it('HEALTHCHECK program: 0 for 200, 1 for 503, 1 when nothing listens, 1 when /healthz hangs', async () => {
    for (const [status, expected] of [
      [200, 0],
      [503, 1],
    ] as const) {
      const { server, port } = await healthServer(status);
      try {
        for (const address of [`:${port}`, `0.0.0.0:${port}`, `127.0.0.1:${port}`, `[::]:${port}`]) {
          assert.equal(
            await runHealthcheck({ DOCKER_ENGINE_EXPORTER_WEB_LISTEN_ADDRESS: address }),
            expected,
            `${address} answering ${status}`,
          );
        }
      } finally {
        await close(server);
      }
    }
    const { server, port } = await healthServer(200);
    await close(server);
    assert.equal(await runHealthcheck({ DOCKER_ENGINE_EXPORTER_WEB_LISTEN_ADDRESS: `127.0.0.1:${port}` }), 1, 'nothing listens');

    const hung = await healthServer('hang');
    try {
      assert.equal(await runHealthcheck({ DOCKER_ENGINE_EXPORTER_WEB_LISTEN_ADDRESS: `127.0.0.1:${hung.port}` }), 1, '/healthz never answers');
    } finally {
      await close(hung.server);
    }
  });

  it('HEALTHCHECK program: without the variable it asks 127.0.0.1 on the default port', async (t) => {
    let s: { server: Server; port: number };
    try {
      s = await healthServer(200, '127.0.0.1', DEFAULT_PORT);
    } catch {
      t.skip(`port ${DEFAULT_PORT} is in use here`);
      return;
    }
    try {
      assert.equal(await runHealthcheck({}), 0);
    } finally {
      await close(s.server);
    }
  });

  it('HEALTHCHECK program: an IPv6 listen address is asked on that address', async (t) => {
    let s: { server: Server; port: number };
    try {
      s = await healthServer(200, '::1');
    } catch {
      t.skip('no IPv6 loopback here');
      return;
    }
    try {
      assert.equal(await runHealthcheck({ DOCKER_ENGINE_EXPORTER_WEB_LISTEN_ADDRESS: `[::1]:${s.port}` }), 0);
    } finally {
      await close(s.server);
    }
  });
});

describe('.dockerignore', () => {
  const lines = readFileSync(repoPath('.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));

  it('is an allowlist: everything is ignored except what is named', () => {
    assert.equal(lines[0], '*');
    assert.ok(
      lines.slice(1).every((l) => l.startsWith('!')),
      lines.join(', '),
    );
  });

  it('lets through every file the Dockerfile copies from the build context, and nothing else', () => {
    const fromContext = instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1))
      .map((p) => p.replace(/^\.\//, '').replace(/\/$/, ''));
    for (const p of fromContext) assert.ok(allowed.includes(p), `${p} is copied but ignored by .dockerignore`);
    assert.deepEqual([...allowed].sort(), [...new Set(fromContext)].sort(), 'the allowlist names exactly what is copied');
  });

  it('lets through the file tsconfig.json extends', () => {
    const tsconfig = JSON.parse(readFileSync(repoPath('tsconfig.json'), 'utf8')) as { extends?: string };
    if (tsconfig.extends !== undefined) assert.ok(allowed.includes(tsconfig.extends.replace(/^\.\//, '')));
  });
});
