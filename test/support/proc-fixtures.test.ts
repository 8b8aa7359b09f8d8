/**
 * The recorded /proc fixtures are complete and agree with their own meta.json, so unit tests can rely
 * on both. (Classification itself is tested against them elsewhere.)
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './engine-rig.js';
import { argValue, parseStatLine } from './proc.js';

const ROOT = join(repoRoot(), 'test', 'fixtures', 'proc');
const FIXTURES = ['docker-rig', 'two-engines', 'containerd-down'];

interface Meta {
  engine: {
    dockerd: { pid: number | null; pidfile: string };
    containerd: { pid: number | null; address: string; config: string };
    containers: { id: string; pid: number; init: boolean; initPid: number | null; shimPid: number | null }[];
    shims: { pid: number; id: string; address: string }[];
    proxies: { pid: number }[];
    expectedProcesses: Record<string, number>;
  };
  otherEngines: { containerd: { pid: number; address: string }; shims: { pid: number }[]; tasks: { pid: number }[] }[];
  killed: Record<string, number>;
  decoys: { pid: number; comm: string; exe: string }[];
  recordedPids: number[];
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    const st = lstatSync(p);
    out.push(p);
    if (st.isDirectory()) walk(p, out);
  }
  return out;
}

for (const name of FIXTURES) {
  const dir = join(ROOT, name);
  describe(`proc fixture ${name}`, () => {
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
    const exeBase = (pid: number) => {
      try {
        return basename(readlinkSync(join(dir, String(pid), 'exe')));
      } catch {
        return null;
      }
    };
    const argv = (pid: number) =>
      readFileSync(join(dir, String(pid), 'cmdline'), 'utf8')
        .split('\0')
        .filter((a) => a !== '');
    const stat = (pid: number) => {
      const s = parseStatLine(readFileSync(join(dir, String(pid), 'stat'), 'utf8'));
      assert.ok(s, `${name}/${pid}/stat parses`);
      return s;
    };

    it('holds only regular files, directories and symlinks', () => {
      for (const p of walk(dir)) {
        const st = lstatSync(p);
        assert.ok(st.isFile() || st.isDirectory() || st.isSymbolicLink(), `${p} is a special file`);
      }
    });

    it('has every recorded pid with stat, status, comm and cmdline, and the top-level stat and uptime', () => {
      assert.ok(existsSync(join(dir, 'stat')) && existsSync(join(dir, 'uptime')));
      const dirs = readdirSync(dir)
        .filter((e) => /^\d+$/.test(e))
        .map(Number)
        .sort((a, b) => a - b);
      assert.deepEqual(
        dirs,
        [...meta.recordedPids].sort((a, b) => a - b),
      );
      for (const pid of meta.recordedPids) {
        for (const f of ['stat', 'status', 'comm', 'cmdline']) assert.ok(existsSync(join(dir, String(pid), f)), `${pid}/${f}`);
        assert.equal(stat(pid).pid, pid);
      }
    });

    it("records every process of meta's ground truth", () => {
      const e = meta.engine;
      const want = [
        e.dockerd.pid,
        e.containerd.pid,
        ...e.shims.map((s) => s.pid),
        ...e.proxies.map((p) => p.pid),
        ...e.containers.map((c) => c.pid),
        ...meta.otherEngines.flatMap((o) => [o.containerd.pid, ...o.shims.map((s) => s.pid), ...o.tasks.map((t) => t.pid)]),
        ...meta.decoys.map((d) => d.pid),
      ].filter((p): p is number => p !== null);
      for (const pid of want) assert.ok(meta.recordedPids.includes(pid), `pid ${pid} recorded`);
      if (e.dockerd.pid !== null) assert.equal(Number(readFileSync(join(dir, 'docker.pid'), 'utf8').trim()), e.dockerd.pid);
      for (const pid of Object.values(meta.killed)) assert.ok(!meta.recordedPids.includes(pid), `killed pid ${pid} absent`);
    });

    it('keeps each containerd --config file under <pid>/root/', () => {
      for (const pid of meta.recordedPids) {
        if (exeBase(pid) !== 'containerd') continue;
        const config = argValue(argv(pid), '--config');
        assert.ok(config, `containerd ${pid} has --config`);
        assert.ok(existsSync(join(dir, String(pid), 'root', config)), `${pid}/root${config}`);
      }
    });

    it('agrees with expectedProcesses when counted naively from exe, -address and the tree', () => {
      const e = meta.engine;
      const pids = meta.recordedPids;
      const shims = pids.filter((p) => exeBase(p) === 'containerd-shim-runc-v2' && argValue(argv(p), '-address') === e.containerd.address);
      const count = {
        dockerd: pids.filter((p) => p === e.dockerd.pid && exeBase(p) === 'dockerd').length,
        containerd: pids.filter((p) => exeBase(p) === 'containerd' && stat(p).ppid === e.dockerd.pid).length,
        'containerd-shim': shims.length,
        runc: pids.filter((p) => exeBase(p) === 'runc').length,
        'docker-proxy': pids.filter((p) => exeBase(p) === 'docker-proxy' && stat(p).ppid === e.dockerd.pid).length,
        'docker-init': pids.filter((p) => exeBase(p) === 'docker-init' && shims.includes(stat(p).ppid)).length,
      };
      assert.deepEqual(count, e.expectedProcesses);
    });
  });
}
