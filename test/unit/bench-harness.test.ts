/**
 * The bench's harness without measuring anything: its options (a bad value is a one-line error
 * naming the option, never a run with a silently different size), the marked blocks it rewrites in
 * docs/benchmarks.md (text outside them is never touched), and rendering a saved results file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseOptions, type RunRecord } from '../../bench/harness.js';
import { beginMarker, endMarker, mdTable, writeBlocks } from '../../bench/lib/markdown.js';
import { renderBlock, SECTIONS } from '../../bench/main.js';

const KNOWN = SECTIONS.map((s) => s.name);

describe('bench options', () => {
  it('a full run by default, every section; --quick shrinks sizes and durations; a given value wins', () => {
    const full = parseOptions([], KNOWN);
    assert.deepEqual(full.sections, KNOWN);
    assert.deepEqual(full.sizes, ['host', 1000, 10000, 20000]);
    assert.equal(full.num.polls, 100_000);
    assert.equal(full.write, false);
    const quick = parseOptions(['--quick', '--sections=poll-cost,probes', '--rounds=4'], KNOWN);
    assert.deepEqual(quick.sections, ['poll-cost', 'probes']);
    assert.ok(quick.num.polls < full.num.polls && quick.num['process-duration-s'] < full.num['process-duration-s']);
    assert.ok(!quick.sizes.includes(10000));
    assert.equal(quick.num.rounds, 4);
    assert.deepEqual(full.containers, [0, 10, 100, 500]);
    assert.deepEqual(parseOptions(['--containers=0,10'], KNOWN).containers, [0, 10]);
  });

  it('bad values are one-line errors naming the option', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--rounds=0'], /^--rounds: expected an integer in 1\.\.100, got "0"$/],
      [['--rounds='], /^--rounds: expected an integer/],
      [['--polls=1e5'], /^--polls: expected an integer/],
      [['--requests=0x10'], /^--requests: expected an integer/],
      [['--clients= 5'], /^--clients: expected an integer/],
      [['--kills=2.5'], /^--kills: expected an integer/],
      [['--sizes=host,-3'], /^--sizes: expected an integer/],
      [['--sections=poll-cost,nope'], /^--sections: unknown section "nope"/],
      [['--sections=,'], /^--sections: name at least one section$/],
      [['--containers=10,0'], /^--containers: expected ascending counts, got "10,0"$/],
      [['--containers=5000'], /^--containers: expected an integer in 0\.\.1000/],
      [['--polls=1000', '--warmup=1000'], /^--warmup: must be below --polls/],
    ];
    for (const [argv, message] of cases) {
      assert.throws(
        () => parseOptions(argv, KNOWN),
        (err: Error) => message.test(err.message) && !err.message.includes('\n'),
        argv.join(' '),
      );
    }
    assert.throws(() => parseOptions(['--no-such-option'], KNOWN), /Unknown option '--no-such-option'/);
    assert.throws(() => parseOptions(['positional'], KNOWN));
  });
});

describe('docs/benchmarks.md blocks', () => {
  const withDoc = (text: string, fn: (file: string) => void): void => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-doc-'));
    try {
      const file = join(dir, 'benchmarks.md');
      writeFileSync(file, text);
      fn(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('replaces only the named block, appends a missing one, and leaves the rest alone', () => {
    const doc = `# Title\n\nintro\n\n${beginMarker('a')}\nold a\n${endMarker('a')}\n\nprose about a\n\n${beginMarker('b')}\nold b\n${endMarker('b')}\n`;
    withDoc(doc, (file) => {
      writeBlocks(
        file,
        new Map([
          ['a', 'new a'],
          ['c', 'new c'],
        ]),
      );
      const once = readFileSync(file, 'utf8');
      assert.ok(once.includes(`${beginMarker('a')}\nnew a\n${endMarker('a')}\n\nprose about a`));
      assert.ok(!once.includes('old a') && once.includes('old b') && once.startsWith('# Title\n\nintro\n'));
      assert.ok(once.trimEnd().endsWith(`${beginMarker('c')}\nnew c\n${endMarker('c')}`));
      writeBlocks(
        file,
        new Map([
          ['a', 'new a'],
          ['c', 'new c'],
        ]),
      );
      assert.equal(readFileSync(file, 'utf8'), once, 'writing the same blocks again changes nothing');
    });
  });

  it('half a pair of markers is an error, and the file is left as it was', () => {
    for (const doc of [`${beginMarker('a')}\nx\n`, `${endMarker('a')}\nx\n${beginMarker('a')}\n`]) {
      withDoc(doc, (file) => {
        assert.throws(() => writeBlocks(file, new Map([['a', 'y']])), /markers of section a are not a begin … end pair/);
        assert.equal(readFileSync(file, 'utf8'), doc);
      });
    }
  });

  it('a table leaves out the columns a run did not measure, never the first', () => {
    const t = mdTable(
      ['what', 'x', 'y'],
      [
        ['–', '–', '1'],
        ['b', '–', '2'],
      ],
    );
    assert.equal(t, '| what | y |\n| --- | --- |\n| – | 1 |\n| b | 2 |');
  });
});

describe('rendering a saved results file', () => {
  const summary = (median: number, p90: number) => ({ n: 30, median, p90, p99: p90, min: median, max: p90, mean: median });
  const record: RunRecord = {
    startedAt: '2026-12-01T10:00:00.000Z',
    command: 'npm run bench -- --sections=poll-cost,probes',
    commit: 'abc1234',
    machine: { nproc: 2, cpu: 'CPU', memGiB: 8, kernel: 'Linux 6', node: 'v20', distro: 'Debian' },
    quick: false,
    sections: {
      'poll-cost': {
        startedAt: '2026-12-01T10:00:01.000Z',
        durationS: 12,
        othersBefore: 0.01,
        othersDuring: null,
        result: {
          rounds: 10,
          perRound: 3,
          psListPolls: 0,
          windowS: 60,
          perMille: 0,
          versions: {},
          stopped: null,
          rows: [
            {
              size: 'host',
              processes: 77,
              candidates: 2,
              floor: { wall: summary(0.5, 0.6), cpu: summary(0.4, 0.5) },
              full: { wall: summary(1, 1.5), cpu: summary(0.9, 1) },
              rooted: { wall: summary(0.25, 0.3), cpu: summary(0.2, 0.3) },
              audit: { wall: summary(1.45, 2), cpu: summary(1.4, 2) },
              worker: { wall: summary(0.5, 3), cpu: summary(0.6, 1) },
              psList: null,
              neighbours: [],
              peFirstMs: null,
              surprises: 0,
              exporter: {
                seconds: 60,
                polls: 60,
                cpuMs: 300,
                cpuMsPerPoll: 5,
                coreShare: 0.005,
                pollMs: 2,
                scrapes: 5,
                scans: { rooted: 59, 'full/audit': 1 },
                split: { main: 200, reader: 60, others: 40 },
                neighbours: [],
              },
              notes: [],
            },
          ],
        },
      },
      probes: { startedAt: '2026-12-01T10:01:00.000Z', durationS: 3, othersBefore: 0, othersDuring: 0, failed: 'no engine' },
    },
  };

  it('a block states when, where and from which commit; unmeasured columns are left out', () => {
    const block = renderBlock(record, 'poll-cost') ?? '';
    assert.match(block, /^## Cost of one poll against the process count\n\nMeasured 2026-12-01 10:00 UTC \(12\.0 s\) on 2 CPUs/);
    assert.match(
      block,
      /commit abc1234, `npm run bench -- --sections=poll-cost,probes`\. Other work on the machine used 1% .* and \? during it\./,
    );
    assert.match(
      block,
      /\| 77 \(host\) \| 2 \| 0\.50 \(0\.60\) \| 1\.00 \(1\.50\) \| 0\.25 \(0\.30\) \| 1\.45 \(2\.00\) \| 0\.50 \(3\.00\) \| 0\.27 \| 2\.00x \| 0\.54x \|/,
    );
    // CPU: the audit once in 60 polls, (59 × 0.2 + 1.4) / 60 = 0.22 ms, against the C floor's 0.4.
    assert.ok(
      block.includes(
        '| 77 (host) | 0.40 | 0.90 | 0.20 | 1.40 | 0.60 | 0.22 | 0.55x | 5.00 (0.50 %) | 1.00x | 2.00 | 59 rooted, 1 full/audit |',
      ),
      block,
    );
    assert.ok(!block.includes('| ps-list') && !block.includes('| process-exporter'), block);
  });

  it('a failed section says so; an unknown one renders nothing', () => {
    assert.match(renderBlock(record, 'probes') ?? '', /^## probes\n[\s\S]*\*\*Failed\*\*: no engine$/);
    assert.equal(renderBlock(record, 'detection'), null);
  });
});
