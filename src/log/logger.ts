/**
 * pino to stderr, as Prometheus exporters log: JSON lines, or logfmt (the ecosystem's default) by
 * re-encoding each JSON line before it is written.
 */
import { pino, type Logger } from 'pino';
import type { LogFormat, LogLevel } from '../config/flags.js';

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
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, ...rest } = record;
  const pairs: string[] = [];
  if (time !== undefined) pairs.push(`ts=${logfmtValue(time)}`);
  if (level !== undefined) pairs.push(`level=${logfmtValue(level)}`);
  if (msg !== undefined) pairs.push(`msg=${logfmtValue(msg)}`);
  for (const [k, v] of Object.entries(rest)) pairs.push(`${k}=${logfmtValue(v)}`);
  return pairs.join(' ') + '\n';
}

function logfmtValue(v: unknown): string {
  const s = typeof v === 'string' ? v : v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s === '' || /[\s"=\\]/.test(s) ? JSON.stringify(s) : s;
}
