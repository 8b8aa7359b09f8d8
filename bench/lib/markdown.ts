/** Number formats and tables for docs/benchmarks.md, and the marked blocks the bench rewrites there. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const missing = (v: number | null | undefined): v is null | undefined => v === null || v === undefined || Number.isNaN(v);

/** Milliseconds to three significant digits or so. JSON has no NaN: a NaN of the run arrives as null, both print "–". */
export const fmtMs = (v: number | null | undefined): string =>
  missing(v) ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
export const fmtRatio = (a: number | null | undefined, b: number | null | undefined): string =>
  missing(a) || missing(b) || !(b > 0) ? '–' : `${(a / b).toFixed(2)}x`;
export const fmtMiB = (v: number | null | undefined): string => (missing(v) ? '–' : v.toFixed(1));
export const pct = (v: number | null | undefined): string => (missing(v) ? '?' : `${Math.round(v * 100)}%`);
/** A share of one core, 0..1, as a percentage with two decimals. */
export const corePct = (v: number | null | undefined): string => (missing(v) ? '–' : `${(v * 100).toFixed(2)} %`);
export const signedPct = (v: number | null | undefined): string => (missing(v) ? '–' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`);
export const signedNum = (v: number | null | undefined): string => (missing(v) ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`);
export const count = (v: number | null | undefined): string => (missing(v) ? '–' : v.toLocaleString('en-US'));
export const medP90 = (s: { median: number; p90: number } | null | undefined): string => (s ? `${fmtMs(s.median)} (${fmtMs(s.p90)})` : '–');

/** A markdown table; columns whose every cell is "–" are left out (a run that did not measure them). */
export function mdTable(headers: readonly string[], body: readonly (readonly string[])[]): string {
  const keep = headers.map((_, i) => i === 0 || body.some((r) => (r[i] ?? '–') !== '–'));
  const line = (r: readonly string[]): string => `| ${r.filter((_, i) => keep[i]).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...body.map(line)].join('\n');
}

export const beginMarker = (name: string): string =>
  `<!-- bench:${name}:begin (written by npm run bench -- --write; edits up to the end marker are lost) -->`;
export const endMarker = (name: string): string => `<!-- bench:${name}:end -->`;

/**
 * Replaces the marked block of each named section in the document; a section without markers is
 * appended at the end. Text outside the markers is never touched. Half a pair is an error.
 */
export function writeBlocks(docsPath: string, blocks: ReadonlyMap<string, string>): void {
  let text = existsSync(docsPath) ? readFileSync(docsPath, 'utf8') : '';
  for (const [name, markdown] of blocks) {
    const [begin, end] = [beginMarker(name), endMarker(name)];
    const b = text.indexOf(begin);
    const e = text.indexOf(end);
    if (b >= 0 && e > b) text = `${text.slice(0, b + begin.length)}\n${markdown}\n${text.slice(e)}`;
    else if (b >= 0 || e >= 0) throw new Error(`${docsPath}: the markers of section ${name} are not a begin … end pair`);
    else text = `${text.replace(/\n*$/, '\n')}\n${begin}\n${markdown}\n${end}\n`;
  }
  writeFileSync(docsPath, text);
}
