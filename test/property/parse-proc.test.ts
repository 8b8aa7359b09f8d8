/**
 * Property tests of the /proc parsers (src/sources/procfs/parse-proc.ts): any text or bytes give a
 * result or a MalformedProcFileError with a one-line reason, never anything else; and the files the
 * kernel writes parse back to the fields they were written from.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as fc from 'fast-check';
import {
  MalformedProcFileError,
  cleanExeLink,
  parseCmdline,
  parseContainerdConfigAddress,
  parsePidfile,
  parseProcStat,
  parseProcStatus,
  parseUptime,
} from '../../src/sources/procfs/parse-proc.js';
import { containerdAddressFromArgv, flagValue } from '../../src/engine/argv.js';
import { anyBytesAsUtf8, anyString, assertOneLineError, onlyThrows, params } from '../support/property.js';

/** Arbitrary text: any code points, any bytes decoded as the scan decodes them, or near-valid lines. */
function junk(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const mutated = fc.tuple(valid, fc.nat(), fc.nat({ max: 8 }), anyString(8)).map(([text, at, drop, insert]) => {
    const i = at % (text.length + 1);
    return text.slice(0, i) + insert + text.slice(i + drop);
  });
  return fc.oneof(anyString(), anyBytesAsUtf8(), mutated);
}

// --- /proc/<pid>/stat -------------------------------------------------------------------------------

const STATES = 'RSDZTtXxKWPI';
const u64Max = '18446744073709551615';

interface StatFields {
  pid: number;
  commBytes: Uint8Array;
  state: string;
  ppid: number;
  middle: number[]; // fields 5..13: pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
  utime: number;
  stime: number;
  cutimeCstime: [number, number];
  priorityNice: [number, number];
  numThreads: number;
  startTicks: number;
  tail: string[]; // fields 23..52 (38: exit_signal)
}

const statFields: fc.Arbitrary<StatFields> = fc.record({
  pid: fc.integer({ min: 1, max: 4_194_304 }),
  // The kernel's comm: up to 15 bytes, any byte but NUL (prctl(PR_SET_NAME) and exec of any file name),
  // so spaces, "(", ")" and newlines included; may be empty.
  commBytes: fc.uint8Array({ min: 1, max: 255, maxLength: 15 }),
  state: fc.constantFrom(...STATES),
  ppid: fc.integer({ min: 0, max: 4_194_304 }),
  middle: fc.array(fc.integer({ min: -1, max: 2 ** 31 }), { minLength: 9, maxLength: 9 }),
  utime: fc.integer({ min: 0, max: 2 ** 40 }),
  stime: fc.integer({ min: 0, max: 2 ** 40 }),
  cutimeCstime: fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 40 })),
  priorityNice: fc.tuple(fc.integer({ min: -100, max: 39 }), fc.integer({ min: -20, max: 19 })),
  numThreads: fc.integer({ min: 1, max: 100_000 }),
  startTicks: fc.integer({ min: 0, max: 2 ** 50 }),
  // Kernels differ in how many fields follow starttime (44 in 2.6, 52 today): any count from 0 up.
  // Field 38 (exit_signal) is -1 for a thread read by its id.
  tail: fc.array(fc.oneof(fc.nat().map(String), fc.constant(u64Max), fc.constant('-1')), { maxLength: 30 }),
});

function statBytes(f: StatFields): Buffer {
  const after = [
    f.state,
    f.ppid,
    ...f.middle,
    f.utime,
    f.stime,
    ...f.cutimeCstime,
    ...f.priorityNice,
    f.numThreads,
    0, // itrealvalue
    f.startTicks,
    ...f.tail,
  ].join(' ');
  return Buffer.concat([Buffer.from(`${f.pid} (`), Buffer.from(f.commBytes), Buffer.from(`) ${after}\n`)]);
}

const validStatLine = statFields.map((f) => statBytes(f).toString('utf8'));

describe('parseProcStat', () => {
  it('a line as the kernel writes it, with any comm, parses back to its fields', () => {
    fc.assert(
      fc.property(statFields, (f) => {
        const s = parseProcStat(statBytes(f).toString('utf8'));
        assert.deepEqual(s, {
          pid: f.pid,
          comm: Buffer.from(f.commBytes).toString('utf8'),
          state: f.state,
          ppid: f.ppid,
          cpuTicks: f.utime + f.stime,
          numThreads: f.numThreads,
          startTicks: f.startTicks,
          exitSignal: f.tail.length > 15 ? Number(f.tail[15]) : null,
        });
      }),
      params(2000),
    );
  });

  it('a comm made only of the awkward bytes (space, parentheses, newline) still parses', () => {
    const awkward = fc.array(fc.constantFrom(0x20, 0x28, 0x29, 0x0a, 0x0d, 0x09), { maxLength: 15 }).map((a) => Uint8Array.from(a));
    fc.assert(
      fc.property(statFields, awkward, (f, commBytes) => {
        const s = parseProcStat(statBytes({ ...f, commBytes }).toString('utf8'));
        assert.equal(s.comm, Buffer.from(commBytes).toString('utf8'));
        assert.equal(s.startTicks, f.startTicks);
        assert.equal(s.ppid, f.ppid);
      }),
      params(1000),
    );
  });

  it('any other text gives a result or a MalformedProcFileError', () => {
    fc.assert(
      fc.property(junk(validStatLine), (text) => {
        const s = onlyThrows(MalformedProcFileError, () => parseProcStat(text));
        if (s) {
          assert.ok(Number.isInteger(s.pid) && Number.isInteger(s.ppid) && Number.isInteger(s.startTicks));
          assert.match(s.state, /^[A-Za-z]$/);
        }
      }),
      params(3000),
    );
  });
});

// --- /proc/<pid>/status -----------------------------------------------------------------------------

interface StatusFields {
  name: string;
  rssKb: number | null;
  threads: number;
  extra: string[];
}

const statusFields: fc.Arbitrary<StatusFields> = fc.record({
  // status escapes the name (\n as "\\n"), so it stays on its line.
  name: anyString(15).map((n) => n.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')),
  rssKb: fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: null }), // none for kernel threads, zombies
  threads: fc.integer({ min: 1, max: 100_000 }),
  extra: fc.array(
    fc.constantFrom('Umask:\t0022', 'VmPeak:\t  123 kB', 'SigQ:\t0/63413', 'Cpus_allowed_list:\t0-1', 'voluntary_ctxt_switches:\t5'),
    {
      maxLength: 5,
    },
  ),
});

function statusText(f: StatusFields): string {
  const lines = [`Name:\t${f.name}`, 'State:\tS (sleeping)', ...f.extra];
  if (f.rssKb !== null) lines.push(`VmRSS:\t${String(f.rssKb).padStart(8)} kB`);
  lines.push(`Threads:\t${f.threads}`, 'NoNewPrivs:\t0');
  return lines.join('\n') + '\n';
}

describe('parseProcStatus', () => {
  it('VmRSS and Threads as the kernel writes them parse back', () => {
    fc.assert(
      fc.property(statusFields, (f) => {
        assert.deepEqual(parseProcStatus(statusText(f)), {
          residentBytes: f.rssKb === null ? null : f.rssKb * 1024,
          threads: f.threads,
        });
      }),
      params(1000),
    );
  });

  it('any other text gives a result or a MalformedProcFileError', () => {
    fc.assert(
      fc.property(junk(statusFields.map(statusText)), (text) => {
        onlyThrows(MalformedProcFileError, () => parseProcStatus(text));
      }),
      params(2000),
    );
  });
});

// --- /proc/<pid>/cmdline ----------------------------------------------------------------------------

/** argv strings: any code points but NUL (execve takes C strings); empty arguments allowed. */
const argString = anyString(40).map((s) => s.replace(/\0/g, ''));

describe('parseCmdline', () => {
  it('any argv written as the kernel does (each argument NUL-terminated) round-trips', () => {
    fc.assert(
      fc.property(fc.array(argString, { maxLength: 20 }), (argv) => {
        const text = argv.map((a) => `${a}\0`).join('');
        assert.deepEqual(parseCmdline(text), argv);
      }),
      params(2000),
    );
  });

  it('never throws; without a trailing NUL (setproctitle) the text is kept whole', () => {
    fc.assert(
      fc.property(anyString(), (text) => {
        const argv = parseCmdline(text);
        const rejoined = argv.join('\0');
        assert.ok(rejoined === text || `${rejoined}\0` === text, `${JSON.stringify(text)} -> ${JSON.stringify(argv)}`);
      }),
      params(2000),
    );
  });
});

// --- /proc/uptime, pidfiles, exe links ----------------------------------------------------------------

describe('parseUptime, parsePidfile, cleanExeLink', () => {
  it('an uptime line parses back to its first number (centiseconds)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 40 }), (up, idle) => {
        const text = `${(up / 100).toFixed(2)} ${(idle / 100).toFixed(2)}\n`;
        assert.equal(parseUptime(text), Number((up / 100).toFixed(2)));
      }),
      params(1000),
    );
  });

  it('a pidfile with a pid and any surrounding whitespace parses back; an empty one is null', () => {
    const ws = fc.constantFrom('', '\n', ' ', '\t', '\r\n', ' \n\n');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4_194_304 }), ws, ws, (pid, before, after) => {
        assert.equal(parsePidfile(`${before}${pid}${after}`), pid);
        assert.equal(parsePidfile(`${before}${after}`), null);
      }),
      params(500),
    );
  });

  it('any other text gives an uptime/pid or a MalformedProcFileError', () => {
    fc.assert(
      fc.property(junk(fc.integer({ min: 1, max: 99999 }).map((n) => `${n}\n`)), (text) => {
        const up = onlyThrows(MalformedProcFileError, () => parseUptime(text));
        if (up !== undefined) assert.ok(Number.isFinite(up) && up >= 0);
        const pid = onlyThrows(MalformedProcFileError, () => parsePidfile(text));
        if (pid !== undefined && pid !== null) assert.ok(Number.isSafeInteger(pid) && pid > 0);
      }),
      params(2000),
    );
  });

  it('cleanExeLink removes exactly one " (deleted)" suffix', () => {
    fc.assert(
      fc.property(anyString(60), (path) => {
        assert.equal(cleanExeLink(`${path} (deleted)`), path);
        if (!path.endsWith(' (deleted)')) assert.equal(cleanExeLink(path), path);
      }),
      params(500),
    );
  });
});

describe('MalformedProcFileError messages', () => {
  // parse-proc.ts promises "a one-line reason": the reason quotes a slice of the bad input, which may
  // hold newlines (a pidfile "1\n\0", a stat line whose pid field is cut by a newline).
  it('are one line for any input, whatever the input holds', () => {
    const statJunk = junk(validStatLine);
    fc.assert(
      fc.property(fc.oneof(statJunk, junk(fc.constant('10000\n')), junk(statusFields.map(statusText))), (text) => {
        assertOneLineError(MalformedProcFileError, () => parseProcStat(text));
        assertOneLineError(MalformedProcFileError, () => parseProcStatus(text));
        assertOneLineError(MalformedProcFileError, () => parseUptime(text));
        assertOneLineError(MalformedProcFileError, () => parsePidfile(text));
      }),
      params(3000),
    );
  });
});

// --- containerd's config.toml and command line --------------------------------------------------------

/** A socket path as containerd's TOML writer quotes it: no quote, backslash or newline inside. */
const socketPath = anyString(60).map((s) => s.replace(/["\\\n\r]/g, ''));
const indent = fc.constantFrom('', '  ', '\t', '    ');
const otherSection = fc.constantFrom(
  ['[ttrpc]', 'address = "/run/other/ttrpc.sock"'],
  ['[debug]', 'address = "/run/other/debug.sock"', 'level = ""'],
  ['[metrics]', 'address = ""'],
  ['[plugins."io.containerd.grpc.v1.cri"]', 'sandbox_image = "x"'],
  ['[plugins]', '  [plugins.linux]', '    shim = "containerd-shim"'],
  ['version = 2'],
  ['root = "/var/lib/containerd"', 'state = "/run/containerd"'],
);

describe('containerd address from config.toml and argv', () => {
  it('the [grpc] address parses back, whatever other sections (with their own address keys) surround it', () => {
    fc.assert(
      fc.property(
        fc.array(otherSection, { maxLength: 4 }),
        fc.array(otherSection, { maxLength: 4 }),
        socketPath,
        indent,
        fc.constantFrom('"', "'"),
        fc.array(fc.constantFrom('uid = 0', 'gid = 0', 'max_recv_message_size = 16777216', 'tcp_address = ""'), { maxLength: 3 }),
        (before, after, address, ind, quote, grpcKeys) => {
          const text = [
            ...before.flat(),
            '[grpc]',
            ...grpcKeys.map((k) => ind + k),
            `${ind}address = ${quote}${quote === "'" ? address.replace(/'/g, '') : address}${quote}`,
            ...after.flat().filter((l) => !l.startsWith('address') && !l.startsWith('root')),
            '',
          ].join('\n');
          const expected = quote === "'" ? address.replace(/'/g, '') : address;
          assert.equal(parseContainerdConfigAddress(text), expected === '' ? null : expected);
        },
      ),
      params(1000),
    );
  });

  it('any text gives an address or null, never a throw', () => {
    fc.assert(
      fc.property(junk(socketPath.map((a) => `[grpc]\n  address = "${a}"\n`)), (text) => {
        const a = parseContainerdConfigAddress(text);
        assert.ok(a === null || typeof a === 'string');
      }),
      params(2000),
    );
  });

  it('--address X, --address=X, -a X and -a=X are found among any other arguments', () => {
    const other = argString.filter((a) => !/^(--address|-address|-a)(=|$)/.test(a));
    fc.assert(
      fc.property(
        fc.array(other, { maxLength: 8 }),
        fc.array(other, { maxLength: 8 }),
        fc.constantFrom('--address', '-address', '-a'),
        fc.boolean(),
        socketPath,
        (before, after, name, joined, address) => {
          // The flag's value must not itself look like a flag for `--flag value` to be unambiguous.
          const argv = ['containerd', ...before, ...(joined ? [`${name}=${address}`] : [name, address]), ...after];
          assert.equal(containerdAddressFromArgv(argv), address);
          assert.equal(flagValue(argv, [name]), address);
        },
      ),
      params(1000),
    );
  });

  it('flagValue never throws and never reads argv[0]', () => {
    fc.assert(
      fc.property(fc.array(argString, { maxLength: 10 }), fc.array(argString, { minLength: 1, maxLength: 3 }), (argv, names) => {
        const v = flagValue(argv, names);
        assert.ok(v === null || typeof v === 'string');
        assert.equal(flagValue(argv.slice(0, 1), names), null);
      }),
      params(1000),
    );
  });
});
