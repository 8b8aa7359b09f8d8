/**
 * Reading the deployment examples (Dockerfile, systemd unit, Kubernetes manifests, docs) for the
 * static tests, and checking command lines against the exporter's own flag parser.
 */
import { spawnSync } from 'node:child_process';
import { parseFlags } from '../../src/config/flags.js';
import { asMapping, parseYamlDocuments as parseAllYaml, type YamlValue } from './yaml.js';

// ---------------------------------------------------------------------------------------------------
// Exporter flags

/**
 * Parses an exporter command line the way the exporter does at start (FlagError on an unknown flag or
 * a bad value). Container paths that do not exist here (the host's /proc mounted at /host/proc) are
 * mapped to this machine's with `pathMap` first, since --path.procfs must exist.
 */
export function checkExporterArgs(args: readonly string[], pathMap: Record<string, string> = {}): void {
  const mapped = args.map((a) => {
    for (const [from, to] of Object.entries(pathMap)) {
      if (a.endsWith(`=${from}`)) return a.slice(0, a.length - from.length) + to;
    }
    return a;
  });
  parseFlags(mapped, {});
}

/** The value of `--flag=value` or `--flag value` in args; undefined when absent. */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  const k = args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (k < 0) return undefined;
  const a = args[k] as string;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[k + 1];
}

/** The filesystem path of a `unix://` address or a plain path. */
export function socketPath(address: string): string {
  return address.startsWith('unix://') ? address.slice('unix://'.length) : address;
}

/** True when path is dir or lies below it. */
export function isUnder(path: string, dir: string): boolean {
  const d = dir.endsWith('/') ? dir.slice(0, -1) : dir;
  return path === d || path.startsWith(`${d}/`);
}

// ---------------------------------------------------------------------------------------------------
// YAML with several documents

/** Each document of a multi-document YAML file (documents of only comments dropped), as a mapping. */
export function parseYamlDocuments(text: string): { [key: string]: YamlValue }[] {
  return parseAllYaml(text).map((doc, k) => asMapping(doc, `document ${k + 1}`));
}

// ---------------------------------------------------------------------------------------------------
// Dockerfile

export interface DockerInstruction {
  /** Upper-case keyword: FROM, RUN, COPY, … */
  keyword: string;
  args: string;
  /** 1-based line of the instruction's first line. */
  line: number;
}

/** Instructions of a Dockerfile, with continuation lines joined and comments dropped. */
export function parseDockerfile(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const first = lines[k] as string;
    if (first.trim() === '' || first.trim().startsWith('#')) continue;
    const start = k;
    let joined = first;
    while (joined.endsWith('\\') && k + 1 < lines.length) {
      k++;
      const next = lines[k] as string;
      if (next.trim().startsWith('#')) continue;
      joined = joined.slice(0, -1) + next;
    }
    const m = /^\s*(\w+)\s+([\s\S]*)$/.exec(joined);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot read "${joined}"`);
    out.push({ keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: start + 1 });
  }
  return out;
}

export interface DockerStage {
  name: string | null;
  from: string;
  instructions: DockerInstruction[];
}

/** The Dockerfile's stages in order; instructions before the first FROM (global ARGs) are not in any. */
export function dockerStages(instructions: readonly DockerInstruction[]): DockerStage[] {
  const stages: DockerStage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`Dockerfile line ${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ name: m[2] ?? null, from: m[1] as string, instructions: [] });
    } else if (stages.length > 0) {
      (stages[stages.length - 1] as DockerStage).instructions.push(ins);
    }
  }
  return stages;
}

/** The argument vector of an exec-form instruction (`["a", "b"]`), or null for the shell form. */
export function execForm(args: string): string[] | null {
  if (!args.startsWith('[')) return null;
  const v: unknown = JSON.parse(args);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return null;
  return v;
}

// ---------------------------------------------------------------------------------------------------
// systemd unit files

export type UnitFile = Map<string, Map<string, string[]>>;

/** Sections → keys → values in order (a key may repeat); continuation lines joined. */
export function parseUnitFile(text: string): UnitFile {
  const unit: UnitFile = new Map();
  let section: Map<string, string[]> | null = null;
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    let line = (lines[k] as string).trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    while (line.endsWith('\\') && k + 1 < lines.length) {
      k++;
      line = `${line.slice(0, -1)} ${(lines[k] as string).trim()}`;
    }
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1] as string, section);
      continue;
    }
    if (section === null) throw new Error(`unit line ${k + 1}: a setting before any [Section]`);
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`unit line ${k + 1}: not KEY=VALUE: ${line}`);
    const key = line.slice(0, eq).trim();
    const values = section.get(key) ?? [];
    values.push(line.slice(eq + 1).trim());
    section.set(key, values);
  }
  return unit;
}

/** The last value of a setting (the one systemd uses for single-valued settings). */
export function unitValue(unit: UnitFile, section: string, key: string): string | undefined {
  const v = unit.get(section)?.get(key);
  return v === undefined ? undefined : v[v.length - 1];
}

/** `systemd-analyze` when present: its path, else null. */
function findSystemdAnalyze(): string | null {
  const r = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.error === undefined && r.status === 0 ? 'systemd-analyze' : null;
}

/** Like promtoolOrSkip: a missing systemd-analyze skips the test, except under CI=true. */
export function systemdAnalyzeOrSkip(t: { skip: (message?: string) => void }): string | null {
  const found = findSystemdAnalyze();
  if (found !== null) return found;
  if (process.env['CI'] === 'true') {
    throw new Error("systemd-analyze not found, and CI=true: install Debian's systemd package (apt-get install -y systemd)");
  }
  t.skip('systemd-analyze not found (apt-get install -y systemd); skipped outside CI');
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Markdown

/** Fenced code blocks of a language (```lang), with the line of their opening fence. */
export function codeBlocks(markdown: string, lang: RegExp): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  const lines = markdown.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const open = /^```(\S*)\s*$/.exec(lines[k] as string);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > k && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`unterminated code block at line ${k + 1}`);
    if (lang.test(open[1] as string)) out.push({ line: k + 1, text: lines.slice(k + 1, end).join('\n') + '\n' });
    k = end;
  }
  return out;
}

/**
 * Splits a shell command (one logical line: continuations joined) into words: quotes, `$(…)`
 * kept as one word, `\` escapes. Enough for the docs' docker run examples.
 */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let cur = '';
  let has = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (c === '\\' && command[i + 1] === '\n') {
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      if (has) words.push(cur);
      cur = '';
      has = false;
      continue;
    }
    has = true;
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      cur += command.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      while (j < command.length && command[j] !== '"') {
        if (command[j] === '\\') j++;
        j++;
      }
      cur += command.slice(i + 1, j);
      i = j;
    } else if (c === '$' && command[i + 1] === '(') {
      let depth = 0;
      let j = i + 1;
      for (; j < command.length; j++) {
        if (command[j] === '(') depth++;
        else if (command[j] === ')' && --depth === 0) break;
      }
      cur += command.slice(i, j + 1);
      i = j;
    } else {
      cur += c;
    }
  }
  if (has) words.push(cur);
  return words;
}

/** The shell commands of a ```sh block: continuation lines joined, comments dropped. */
export function shellCommands(block: string): string[] {
  return block
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l !== '');
}
