/**
 * The kernel log reader against the real /dev/kmsg: it starts at the end, never blocks on an empty
 * log, reads what comes after, takes nothing written from user space for the kernel's word, and says
 * in one line why it cannot read (no device, no CAP_SYSLOG under kernel.dmesg_restrict).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { describe, it } from 'node:test';
import { openKmsg, type KmsgReader } from '../../src/sources/kmsg/kmsg-reader.js';

const KMSG = '/dev/kmsg';
const root = process.getuid?.() === 0;
const skip = !root ? 'needs root (reads and writes /dev/kmsg)' : !existsSync(KMSG) ? 'no /dev/kmsg' : false;

/**
 * Writes one record as user space does; the kernel stamps it facility LOG_USER whatever prefix it
 * carries. With its newline: a record without one stays open for a continuation, and readers get it
 * only once the next record finalizes it (kernel/printk/printk_ringbuffer.c).
 */
function inject(text: string): void {
  const fd = openSync(KMSG, 'w');
  try {
    writeSync(fd, `${text}\n`);
  } finally {
    closeSync(fd);
  }
}

describe('kernel log reader on /dev/kmsg', { skip }, () => {
  const open = (from: 'now' | 'retained'): KmsgReader => {
    const opened = openKmsg({ path: KMSG, procfsPath: '/proc', from });
    assert.ok(opened.ok, opened.ok ? '' : opened.reason);
    return opened.reader;
  };

  it('starts at the end: an empty drain returns at once, later records are read', () => {
    const reader = open('now');
    try {
      // Nothing new: returns (a blocking read would hang this test until its timeout).
      assert.equal(reader.drain().records, 0);
      inject(`kmsg-reader-test ${process.pid}: after the open`);
      const d = reader.drain();
      assert.ok(d.records >= 1, JSON.stringify(d));
      assert.equal(reader.failure(), null);
    } finally {
      reader.close();
    }
  });

  it('an OOM line injected by root, with a kernel prefix, is never a report', () => {
    const reader = open('now');
    try {
      for (const prio of ['<0>', '<3>', '']) {
        inject(`${prio}Memory cgroup out of memory: Killed process ${process.pid} (containerd) total-vm:1kB, anon-rss:1kB`);
        inject(`${prio}INFO: task containerd:${process.pid} blocked for more than 120 seconds.`);
      }
      const d = reader.drain();
      assert.ok(d.records >= 1, JSON.stringify(d));
      assert.deepEqual(d.reports, []);
    } finally {
      reader.close();
    }
  });

  it("'retained' reads what the kernel still holds; 'now' skips it", () => {
    inject(`kmsg-reader-test ${process.pid}: before the open`);
    const retained = open('retained');
    const now = open('now');
    try {
      assert.ok(retained.drain().records >= 1);
      assert.equal(now.drain().records, 0);
    } finally {
      retained.close();
      now.close();
    }
  });

  it('a missing device is one reason, not a throw', () => {
    const opened = openKmsg({ path: '/nonexistent/kmsg', procfsPath: '/proc', from: 'now' });
    assert.equal(opened.ok, false);
    assert.match(opened.ok ? '' : opened.reason, /^\/nonexistent\/kmsg: no such device/);
  });

  it('without CAP_SYSLOG under kernel.dmesg_restrict=1 the reason names it', () => {
    const restricted = readFileSync('/proc/sys/kernel/dmesg_restrict', 'utf8').trim() === '1';
    // As nobody (no capabilities at all), in a child: the same call the exporter makes.
    const script = `import(${JSON.stringify(new URL('../../src/sources/kmsg/kmsg-reader.js', import.meta.url).href)}).then((m) => {
      const o = m.openKmsg({ path: '/dev/kmsg', procfsPath: '/proc', from: 'now' });
      process.stdout.write(JSON.stringify(o.ok ? { ok: true } : o));
      if (o.ok) o.reader.close();
    })`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    const answer = JSON.parse(r.stdout) as { ok: boolean; reason?: string };
    if (restricted) {
      assert.equal(answer.ok, false);
      assert.match(answer.reason ?? '', /EPERM: reading the kernel log needs CAP_SYSLOG while kernel\.dmesg_restrict=1/);
    } else {
      // Unrestricted: the device's own mode decides (crw-r--r-- lets anyone read).
      assert.equal(typeof answer.ok, 'boolean');
    }
  });
});
