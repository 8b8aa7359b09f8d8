/**
 * pino to stderr, as Prometheus exporters log: JSON lines, or logfmt (the ecosystem's default) by
 * re-encoding each JSON line before it is written.
 */
import { pino, type Logger } from 'pino';
import { isOneLine, oneLine } from '../one-line.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'logfmt' | 'json';

export function createLogger(level: LogLevel, format: LogFormat, write?: (line: string) => void): Logger {
  const out = write ?? ((line: string) => process.stderr.write(line));
  const options = {
    level,
    base: undefined, // no pid/hostname on every line
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const stream = { write: format === 'json' ? out : (line: string) => out(jsonLineToLogfmt(line)) };
  return pino(options, stream);
}

/** `{"level":"info","time":"…","msg":"x y","a":1}` → `ts=… level=info msg="x y" a=1`. */
export function jsonLineToLogfmt(line: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line;
  const record = parsed as Record<string, unknown>;
  const { time, level, msg, ...rest } = record;
  const pairs: string[] = [];
  if (time !== undefined) pairs.push(`ts=${logfmtValue(time)}`);
  if (level !== undefined) pairs.push(`level=${logfmtValue(level)}`);
  if (msg !== undefined) pairs.push(`msg=${logfmtValue(msg)}`);
  for (const [k, v] of Object.entries(rest)) pairs.push(`${logfmtKey(k)}=${logfmtValue(v)}`);
  return pairs.join(' ') + '\n';
}

function logfmtValue(v: unknown): string {
  // v comes from JSON.parse: a string, number, boolean, null, object or array.
  const s =
    typeof v === 'string'
      ? v
      : v === null || v === undefined
        ? ''
        : typeof v === 'number' || typeof v === 'boolean'
          ? String(v)
          : JSON.stringify(v);
  if (s !== '' && !/[\s"=\\]/.test(s) && isOneLine(s)) return s;
  // JSON string quoting escapes newlines and the C0 controls but leaves DEL, the C1 controls (0x80-0x9f,
  // e.g. CSI) and U+2028/2029 raw: oneLine escapes those the same way, so a value never breaks the line.
  return oneLine(JSON.stringify(s));
}

/** logfmt keys cannot be quoted: anything but a plain identifier character becomes "_". */
function logfmtKey(k: string): string {
  const clean = k.replace(/[^A-Za-z0-9_.-]/g, '_');
  return clean === '' ? '_' : clean;
}
