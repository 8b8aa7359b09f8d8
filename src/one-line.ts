/**
 * The one sanitizer of untrusted text: command lines, /proc files, daemon answers, flag values and
 * configuration files may hold newlines, terminal escapes (ESC, and the C1 CSI 0x9b) or JavaScript's
 * line separators. Whatever reaches a person or a log goes through `oneLine`, so it stays one line and
 * cannot drive a terminal.
 *
 * Why here, at the root and importing nothing: untrusted text enters at the bottom of the pipeline
 * (sources and config build error messages that quote it) and leaves at the top (log lines, `check`'s
 * terminal output, the web config's errors on stderr). Every layer needs the same rule, and a module
 * below them all is the one place each of them may import. HTML escaping is not sanitizing: it stays
 * with the status page, the one renderer of HTML, and JSON output needs neither (JSON.stringify
 * escapes control characters itself).
 */

/** C0 controls (newline, tab, ESC …), DEL, C1 controls (CSI, NEL …), U+2028 and U+2029. */
const UNSAFE = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029';
const UNSAFE_CHAR = new RegExp(`[${UNSAFE}]`);
const UNSAFE_CHARS = new RegExp(`[${UNSAFE}]`, 'g');
const UNSAFE_RUNS = new RegExp(`\\s*[${UNSAFE}]+\\s*`, 'g');

/**
 * How a character that cannot be shown is shown:
 * - escaped (the default): `\n`, `\r`, `\t`, `\u001b`: says which character it was, for error
 *   messages and logs;
 * - question-mark: one `?` per character: short, for `check`'s monitoring-plugin lines;
 * - space: a run of them, with the whitespace around it, is one space and the ends are trimmed: for
 *   prose that was wrapped over lines (a YAML parser's message with its code frame).
 */
export type UnsafeShownAs = 'escaped' | 'question-mark' | 'space';

export function oneLine(text: string, shownAs: UnsafeShownAs = 'escaped'): string {
  switch (shownAs) {
    case 'question-mark':
      return text.replace(UNSAFE_CHARS, '?');
    case 'space':
      return text.replace(UNSAFE_RUNS, ' ').trim();
    case 'escaped':
      return text.replace(UNSAFE_CHARS, escape);
  }
}

/** True when the text holds nothing `oneLine` would change. */
export function isOneLine(text: string): boolean {
  return !UNSAFE_CHAR.test(text);
}

function escape(c: string): string {
  switch (c) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }
}
