/**
 * A Node.js base image made from this machine's own Node runtime, for building the Dockerfile without
 * a registry (docs/architecture.md, "A real engine for tests"): `docker import` of a root filesystem that holds
 * the running node binary and the shared libraries it loaded, npm, /usr/bin/env (npm's shebang), a
 * static busybox as /bin/sh and its applets, and the CA bundle, so that `npm ci` inside
 * `docker build --network host` reaches the registry the way npm on this machine does.
 *
 * The layout follows the official node images: node and npm under /usr/local.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { EngineRig } from './engine-rig.js';
import { run } from './run.js';

const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

/** The shared objects the running node loaded, as absolute paths (its diagnostic report lists them). */
function nodeSharedObjects(): string[] {
  const report = process.report.getReport() as unknown as { sharedObjects?: string[] };
  return (report.sharedObjects ?? []).filter((p) => p.startsWith('/'));
}

/**
 * npm's package directory: where the `npm` on PATH really is (…/npm/bin/npm-cli.js; Debian's own npm
 * lives in /usr/share/nodejs/npm), else <node's prefix>/lib/node_modules/npm.
 */
function npmDir(): string {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir === '') continue;
    try {
      const cli = realpathSync(join(dir, 'npm'));
      const pkg = dirname(dirname(cli));
      if (cli.endsWith('/bin/npm-cli.js') && existsSync(join(pkg, 'package.json'))) return pkg;
    } catch {
      /* not in this directory */
    }
  }
  const beside = join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm');
  if (existsSync(join(beside, 'bin', 'npm-cli.js'))) return beside;
  throw new Error(`npm not found on PATH nor beside ${process.execPath}`);
}

/** Shared libraries of a dynamically linked binary, by `ldd`; [] for a static one or without ldd. */
function libsOf(binary: string): string[] {
  try {
    const out = execFileSync('ldd', [binary], { encoding: 'utf8', timeout: 10_000 });
    return [...out.matchAll(/(\/\S+)\s+\(0x/g)].map((m) => m[1] as string);
  } catch {
    return [];
  }
}

function copyInto(rootfs: string, path: string): void {
  const target = join(rootfs, path);
  if (existsSync(target)) return;
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(realpathSync(path), target);
  chmodSync(target, 0o755);
}

export interface NodeBaseImage {
  tag: string;
  /** Bytes of the root filesystem tarball that was imported. */
  tarBytes: number;
}

/**
 * Builds the root filesystem under <rig.dir>/node-base and imports it into the rig's engine as `tag`.
 * Throws when a piece is missing (a static busybox, the CA bundle, npm).
 */
export async function importNodeBaseImage(rig: EngineRig, tag = 'local/node-base:test'): Promise<NodeBaseImage> {
  const rootfs = join(rig.dir, 'node-base');
  rmSync(rootfs, { recursive: true, force: true });
  for (const d of ['usr/local/bin', 'usr/local/lib/node_modules', 'usr/bin', 'bin', 'etc/ssl/certs', 'root', 'proc', 'sys', 'dev']) {
    mkdirSync(join(rootfs, d), { recursive: true });
  }
  mkdirSync(join(rootfs, 'tmp'), { recursive: true, mode: 0o1777 });
  chmodSync(join(rootfs, 'tmp'), 0o1777);

  // node, and exactly the libraries it loaded; /usr/bin/env and whatever it links.
  copyFileSync(process.execPath, join(rootfs, 'usr/local/bin/node'));
  chmodSync(join(rootfs, 'usr/local/bin/node'), 0o755);
  for (const lib of nodeSharedObjects()) copyInto(rootfs, lib);
  copyInto(rootfs, '/usr/bin/env');
  for (const lib of libsOf('/usr/bin/env')) copyInto(rootfs, lib);

  // npm, linked as the official images link it.
  cpSync(npmDir(), join(rootfs, 'usr/local/lib/node_modules/npm'), { recursive: true, dereference: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/local/bin/npx'));

  // /bin/sh and the usual tools: a static busybox and all its applets.
  const busybox = BUSYBOX_CANDIDATES.find((p) => existsSync(p));
  if (busybox === undefined) throw new Error('no busybox (apt-get install busybox-static)');
  copyFileSync(busybox, join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8', timeout: 10_000 })
    .split('\n')
    .filter((a) => /^[\w.[-]+$/.test(a));
  for (const applet of applets) {
    if (applet === 'busybox' || existsSync(join(rootfs, 'bin', applet))) continue;
    symlinkSync('busybox', join(rootfs, 'bin', applet));
  }

  // TLS to the registry as this machine does it, names, users.
  const ca =
    process.env['NODE_EXTRA_CA_CERTS'] !== undefined && existsSync(process.env['NODE_EXTRA_CA_CERTS'])
      ? process.env['NODE_EXTRA_CA_CERTS']
      : CA_BUNDLE;
  if (!existsSync(ca)) throw new Error(`no CA bundle at ${ca} (apt-get install ca-certificates)`);
  writeFileSync(join(rootfs, CA_BUNDLE), readFileSync(ca));
  writeFileSync(join(rootfs, 'etc/nsswitch.conf'), 'hosts: files dns\n');
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');

  const tarball = join(rig.dir, 'node-base.tar');
  await run('tar', ['-C', rootfs, '-cf', tarball, '.'], { timeoutMs: 120_000 });
  const tarBytes = statSync(tarball).size;
  await rig.docker(
    [
      'import',
      '--change',
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--change',
      `ENV NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`,
      '--change',
      'CMD ["node"]',
      tarball,
      tag,
    ],
    { timeoutMs: 180_000 },
  );
  rmSync(tarball, { force: true });
  rmSync(rootfs, { recursive: true, force: true });
  return { tag, tarBytes };
}
