/**
 * Runs the engine scan as its own pid namespace's init (`unshare --pid --fork --mount-proc node
 * <this> <dir>`), where the kernel's last pid (/proc/loadavg) is the namespace's own: the default
 * way a rooted pass learns which pids are new. Between two passes it starts one child named
 * containerd that has threads (a symlink to node: a process's comm is the name it was exec'd by, and
 * its threads share it), so a thread taken for a process would show as more than one containerd.
 * Prints one JSON line: the last pass's report, the containerds it found, the child and its threads.
 */
import { spawn } from 'node:child_process';
import { readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createProcfsScratch } from '../../src/sources/procfs/scan-procfs.js';
import { createEngineScanState, scanEngine } from '../../src/sources/procfs/rooted-scan.js';

const dir = process.argv[2] ?? '';
const opts = { procfsPath: '/proc', pidfilePath: null, fullIntervalMs: 60_000 };
const scratch = createProcfsScratch();
const state = createEngineScanState();
const reports = [scanEngine(opts, scratch, state).scan, scanEngine(opts, scratch, state).scan];

const fake = join(dir, 'containerd');
symlinkSync(process.execPath, fake);
const child = spawn(fake, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
const pid = child.pid ?? 0;
let threads = 0;
for (let i = 0; i < 200 && threads < 5; i++) {
  await new Promise((r) => setTimeout(r, 25));
  threads = readdirSync(`/proc/${pid}/task`).length;
}
const last = scanEngine(opts, scratch, state);
child.kill('SIGKILL');
const containerds = last.processes.filter((p) => p.comm === 'containerd').map((p) => p.pid);
process.stdout.write(`${JSON.stringify({ reports: [...reports, last.scan], containerds, child: pid, threads })}\n`);
