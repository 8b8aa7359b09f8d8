/**
 * The kernel log's reports and their attribution to the engine's processes, from recorded records
 * (test/fixtures/kmsg/README.md: the OOM records are real, read from Linux 6.18; the hung-task ones
 * follow kernel/hung_task.c's format, since the test machine cannot cause one). The real OOM kill of a
 * real containerd is test/engine/kernel-causes-engine.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kernelReportOf, parseKernelReport, parseKmsgRecord } from '../../src/sources/kmsg/kmsg-record.js';
import {
  advanceKernelCauses,
  attributeReport,
  causeOfEnd,
  engineProcesses,
  initialKernelCauses,
  type KernelReport,
} from '../../src/engine/kernel-causes.js';
import { perComponent } from '../../src/engine/components.js';
import { containerd, dockerd, p, shim } from './engine-helpers.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/kmsg/', import.meta.url));
const records = (name: string): string[] =>
  readFileSync(FIXTURES + name, 'utf8')
    .split('\n')
    .filter((l) => l !== '');

test('recorded OOM kill: one report per killed process, not one per line about it', () => {
  const reports = records('oom-memcg-6.18.txt').flatMap((r) => kernelReportOf(r) ?? []);
  assert.deepEqual(
    reports.map((r) => [r.report.cause, r.report.taskPid, r.report.comm, r.record.usec]),
    [
      ['oom', 25158, 'sleep', 10858901034],
      ['oom', 25160, 'tail', 10858907898],
    ],
  );
});

test('hung-task reports: the pid is the last :N before the fixed ending, whatever the comm holds', () => {
  const reports = records('hung-task.txt').flatMap((r) => kernelReportOf(r) ?? []);
  assert.deepEqual(
    reports.map((r) => [r.report.cause, r.report.taskPid, r.report.comm]),
    [
      ['hung_task', 4242, 'containerd'],
      ['hung_task', 4343, 'x:1 blocked'],
    ],
  );
});

test('a comm cannot move the pid of an OOM line (it comes after it, and ends at the last ") total-vm:")', () => {
  const r = parseKernelReport('Out of memory: Killed process 77 (a) total-vm:1k) total-vm:2920kB, anon-rss:0kB');
  assert.deepEqual(r, { cause: 'oom', taskPid: 77, comm: 'a) total-vm:1k' });
  // Older kernels' sentence without the prefix still counts; the oom_reaper's line and other text do not.
  assert.equal(parseKernelReport('Killed process 9 (containerd) total-vm:100kB, anon-rss:1kB')?.taskPid, 9);
  assert.equal(parseKernelReport('oom_reaper: reaped process 9 (containerd), now anon-rss:0kB'), null);
  assert.equal(parseKernelReport('Killed process 9 (containerd)'), null);
  assert.equal(parseKernelReport('xINFO: task containerd:9 blocked for more than 120 seconds.'), null);
});

test('records written from user space (facility forced to LOG_USER by the kernel) are not the kernel', () => {
  // What root writing "<3>Memory cgroup out of memory: …" to /dev/kmsg produces: prio 11 = facility 1.
  const injected = '11,9000,10900000000,-;Memory cgroup out of memory: Killed process 20 (containerd) total-vm:1kB, anon-rss:1kB';
  assert.equal(parseKmsgRecord(injected)?.facility, 1);
  assert.equal(kernelReportOf(injected), null);
  assert.equal(kernelReportOf(injected.replace(/^11,/, '3,'))?.report.taskPid, 20);
});

test('malformed records are ignored, not guessed at', () => {
  for (const bad of [
    '',
    'no header',
    '3,1;short',
    'x,1,2,-;Killed process 1 (a) total-vm:1',
    '3,1,99999999999999999999999,-;m',
    '-3,1,2,-;m',
  ]) {
    assert.equal(kernelReportOf(bad), null, bad);
  }
  const withDict = '3,5,6,-;INFO: task containerd:20 blocked for more than 120 seconds.\n SUBSYSTEM=x\n DEVICE=y\n';
  assert.equal(kernelReportOf(withDict)?.report.taskPid, 20);
});

// Attribution. engine-helpers start pid N at N*10 ticks (100 per second); the report is at 1000 s.
const TPS = 100;
const engine = engineProcesses({
  ...perComponent(() => []),
  dockerd: [dockerd(10)],
  containerd: [containerd(20, 10)],
  'containerd-shim': [shim(50, 'a'.repeat(64))],
});
const oom = (pid: number, comm: string, atBootSeconds = 1000): KernelReport => ({
  cause: 'oom',
  pid,
  taskPid: pid,
  comm,
  atBootSeconds,
  taskStartTicks: null,
});

test('an OOM kill counts for the process the model attributed, by pid, start and comm', () => {
  assert.equal(attributeReport(oom(20, 'containerd'), engine, TPS)?.component, 'containerd');
  assert.equal(attributeReport(oom(50, 'containerd-shim'), engine, TPS)?.component, 'containerd-shim');
});

test('a decoy named containerd (another pid), a reused pid and another comm do not count', () => {
  // A container's process called containerd: not among the attributed processes.
  assert.equal(attributeReport(oom(666, 'containerd'), engine, TPS), null);
  // The kernel wrote the line before the process with this pid started: it was about an older one.
  assert.equal(attributeReport(oom(20, 'containerd', 0.1), engine, TPS), null);
  // Same pid, another comm: not the process tracked under it.
  assert.equal(attributeReport(oom(20, 'sleep'), engine, TPS), null);
});

test('a hung task counts through its thread group and only for a thread of that process', () => {
  const hung = (pid: number | null, taskStartTicks: number | null): KernelReport => ({
    cause: 'hung_task',
    pid,
    taskPid: 4242,
    comm: 'containerd',
    atBootSeconds: 1000,
    taskStartTicks,
  });
  assert.equal(attributeReport(hung(20, 250), engine, TPS)?.component, 'containerd');
  // Tgid unknown (the thread was gone when /proc was read), or a thread older than the process: no.
  assert.equal(attributeReport(hung(null, 250), engine, TPS), null);
  assert.equal(attributeReport(hung(20, 100), engine, TPS), null);
  assert.equal(attributeReport(hung(20, null), engine, TPS), null);
});

test('counters, the last cause per daemon, and the cause of an end', () => {
  const { state, attributed } = advanceKernelCauses(initialKernelCauses(), [oom(20, 'containerd'), oom(666, 'containerd')], engine, TPS);
  assert.equal(state.oomKills.containerd, 1);
  assert.equal(state.oomKills.dockerd, 0);
  assert.equal(state.unattributed, 1);
  assert.deepEqual(
    attributed.map((a) => [a.component, a.pid, a.cause]),
    [['containerd', 20, 'oom']],
  );
  assert.equal(causeOfEnd(state, 'containerd', 20, 200), 'oom');
  // Another process that had pid 20 (another start) ended: not this cause.
  assert.equal(causeOfEnd(state, 'containerd', 20, 999), null);
  assert.equal(causeOfEnd(state, 'dockerd', 10, 100), null);
  // No reports: the same state, unchanged.
  assert.equal(advanceKernelCauses(state, [], engine, TPS).state, state);
});

test('a process whose start is unknown (ps-list) is never matched', () => {
  const unknownStart = engineProcesses({ ...perComponent(() => []), containerd: [p({ pid: 20, comm: 'containerd', startTicks: null })] });
  assert.equal(attributeReport(oom(20, 'containerd'), unknownStart, TPS), null);
});
