/**
 * A small YAML reader for the project's own config files (rules, rule tests, compose, Grafana
 * provisioning), because the project takes no YAML dependency. It reads the subset those files use
 * and throws, naming the line, on anything else, so a file that drifts outside the subset fails its
 * test instead of being misread:
 * - block mappings and sequences (a sequence may sit at its parent key's indent), `- key: value`;
 * - plain, 'single' and "double" quoted scalars; null, booleans and numbers in plain scalars;
 * - one-line flow collections: `[a, "b"]`, `{k: v}`, nested;
 * - block scalars `|`, `|-`, `|+`, `>`, `>-`, `>+`;
 * - comments, and one leading `---`.
 * Not supported (throws): anchors, aliases, tags, multi-line plain or quoted scalars, multi-line
 * flow collections, several documents, tabs in indentation, duplicate keys.
 */

export type YamlValue = null | boolean | number | string | YamlValue[] | { [key: string]: YamlValue };

export class YamlSubsetError extends Error {
  constructor(message: string, line: number) {
    super(`line ${line}: ${message}`);
    this.name = 'YamlSubsetError';
  }
}

interface Line {
  /** 1-based line number in the source. */
  no: number;
  /** The line without its newline; may be rewritten when `- ` opens an inline mapping. */
  text: string;
}

function indentOf(text: string): number {
  let i = 0;
  while (i < text.length && text[i] === ' ') i++;
  return i;
}

/** The line without a trailing comment (a `#` at the start or after a space, outside quotes). */
function stripComment(text: string, no: number): string {
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === '"') {
      if (c === '\\') i++;
      else if (c === '"') quote = null;
    } else if (quote === "'") {
      if (c === "'") {
        if (text[i + 1] === "'") i++;
        else quote = null;
      }
    } else if (c === '"' || c === "'") {
      // A quote opens a quoted scalar only where a scalar starts.
      const before = text.slice(0, i).trimEnd();
      if (before === '' || /[:\-\[{,]$/.test(before)) quote = c;
    } else if (c === '#' && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\t')) {
      return text.slice(0, i).trimEnd();
    }
  }
  if (quote !== null) throw new YamlSubsetError('unterminated quoted scalar (multi-line scalars are not supported)', no);
  return text.trimEnd();
}

function isBlank(text: string): boolean {
  const t = text.trim();
  return t === '' || t.startsWith('#');
}

/** Index of the `:` that separates a key from its value, or -1: `: `, or `:` at the end. */
function keySeparator(text: string): number {
  let quote: '"' | "'" | null = null;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === '"') {
      if (c === '\\') i++;
      else if (c === '"') quote = null;
      continue;
    }
    if (quote === "'") {
      if (c === "'") quote = null;
      continue;
    }
    if ((c === '"' || c === "'") && i === 0) quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ':' && depth === 0 && (i === text.length - 1 || text[i + 1] === ' ')) return i;
  }
  return -1;
}

function parseDoubleQuoted(body: string, no: number): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '0': out += '\0'; break;
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case ' ': out += ' '; break;
      case 'u': {
        const hex = body.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new YamlSubsetError(`bad \\u escape "\\u${hex}"`, no);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      default:
        throw new YamlSubsetError(`unsupported escape "\\${e ?? ''}" in a double-quoted scalar`, no);
    }
  }
  return out;
}

function resolvePlain(text: string, no: number): YamlValue {
  if (text === '' || text === '~' || text === 'null' || text === 'Null' || text === 'NULL') return null;
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  if (/^[&*!]/.test(text)) throw new YamlSubsetError(`anchors, aliases and tags are not supported: "${text}"`, no);
  if (/^[|>]/.test(text)) throw new YamlSubsetError(`a block scalar indicator here is not supported: "${text}"`, no);
  if (/^[@`%]/.test(text)) throw new YamlSubsetError(`a plain scalar cannot start with "${text[0]}"`, no);
  if (text.startsWith('- ') || text === '-') throw new YamlSubsetError('a sequence cannot start after a key on the same line', no);
  return text;
}

/** A one-line scalar or flow collection, already stripped of comments. */
function parseInline(text: string, no: number): YamlValue {
  const p = new FlowParser(text, no);
  const value = p.value('top');
  p.skipSpaces();
  if (!p.done()) throw new YamlSubsetError(`unexpected "${text.slice(p.pos)}" after a value`, no);
  return value;
}

class FlowParser {
  pos = 0;
  constructor(
    private readonly text: string,
    private readonly no: number,
  ) {}

  done(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpaces(): void {
    while (this.text[this.pos] === ' ') this.pos++;
  }

  value(context: 'top' | 'flow'): YamlValue {
    this.skipSpaces();
    const c = this.text[this.pos];
    if (c === '[') return this.sequence();
    if (c === '{') return this.mapping();
    if (c === '"' || c === "'") return this.quoted(c);
    // A plain scalar runs to the end of the line, or in a flow collection to `,` `]` `}`.
    const start = this.pos;
    if (context === 'top') {
      this.pos = this.text.length;
    } else {
      while (!this.done() && !/[,\]}]/.test(this.text[this.pos]!)) {
        if (this.text[this.pos] === ':' && this.text[this.pos + 1] === ' ') break;
        this.pos++;
      }
    }
    return resolvePlain(this.text.slice(start, this.pos).trim(), this.no);
  }

  quoted(q: '"' | "'"): string {
    const start = ++this.pos;
    let body = '';
    for (;;) {
      if (this.done()) throw new YamlSubsetError('unterminated quoted scalar', this.no);
      const c = this.text[this.pos]!;
      if (q === '"' && c === '\\') {
        this.pos += 2;
        continue;
      }
      if (c === q) {
        if (q === "'" && this.text[this.pos + 1] === "'") {
          this.pos += 2;
          continue;
        }
        body = this.text.slice(start, this.pos);
        this.pos++;
        break;
      }
      this.pos++;
    }
    return q === '"' ? parseDoubleQuoted(body, this.no) : body.replace(/''/g, "'");
  }

  sequence(): YamlValue[] {
    this.pos++; // [
    const out: YamlValue[] = [];
    this.skipSpaces();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value('flow'));
      this.skipSpaces();
      const c = this.text[this.pos++];
      if (c === ']') return out;
      if (c !== ',') throw new YamlSubsetError('expected "," or "]" in a flow sequence (multi-line flow is not supported)', this.no);
    }
  }

  mapping(): { [key: string]: YamlValue } {
    this.pos++; // {
    const out: { [key: string]: YamlValue } = {};
    this.skipSpaces();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      const key = this.value('flow');
      this.skipSpaces();
      if (this.text[this.pos] !== ':') throw new YamlSubsetError('expected ":" after a key in a flow mapping', this.no);
      this.pos++;
      const value = this.value('flow');
      const k = String(key);
      if (Object.prototype.hasOwnProperty.call(out, k)) throw new YamlSubsetError(`duplicate key "${k}"`, this.no);
      out[k] = value;
      this.skipSpaces();
      const c = this.text[this.pos++];
      if (c === '}') return out;
      if (c !== ',') throw new YamlSubsetError('expected "," or "}" in a flow mapping (multi-line flow is not supported)', this.no);
    }
  }
}

class BlockParser {
  private i = 0;

  constructor(private readonly lines: Line[]) {}

  /** Index of the next line that holds content, from the cursor. */
  private peek(): Line | undefined {
    while (this.i < this.lines.length && isBlank(this.lines[this.i]!.text)) this.i++;
    return this.lines[this.i];
  }

  document(): YamlValue {
    const first = this.peek();
    if (first === undefined) return null;
    if (first.text.trim() === '---') {
      this.i++;
      return this.document();
    }
    const value = this.node(indentOf(first.text));
    const rest = this.peek();
    if (rest !== undefined) {
      if (rest.text.trim() === '---' || rest.text.trim() === '...') throw new YamlSubsetError('several documents are not supported', rest.no);
      throw new YamlSubsetError(`unexpected indentation or content: "${rest.text.trim()}"`, rest.no);
    }
    return value;
  }

  /** The node whose first line is the next content line, at exactly `indent`. */
  private node(indent: number): YamlValue {
    const line = this.peek()!;
    const text = line.text.slice(indent);
    if (text === '-' || text.startsWith('- ')) return this.sequence(indent);
    if (keySeparator(stripComment(text, line.no)) > 0) return this.mapping(indent);
    this.i++;
    return parseInline(stripComment(text, line.no), line.no);
  }

  private sequence(indent: number): YamlValue[] {
    const out: YamlValue[] = [];
    for (;;) {
      const line = this.peek();
      if (line === undefined || indentOf(line.text) !== indent) break;
      const text = line.text.slice(indent);
      if (!(text === '-' || text.startsWith('- '))) break;
      const rest = stripComment(text.slice(1), line.no);
      if (rest.trim() === '') {
        this.i++;
        const next = this.peek();
        if (next === undefined || indentOf(next.text) <= indent) out.push(null);
        else out.push(this.node(indentOf(next.text)));
        continue;
      }
      // `- key: value` or `- - x`: read the item as a node indented where its content starts.
      const contentIndent = indent + 1 + indentOf(text.slice(1));
      line.text = ' '.repeat(contentIndent) + text.slice(contentIndent - indent);
      const inner = line.text.slice(contentIndent);
      if (inner === '-' || inner.startsWith('- ') || keySeparator(stripComment(inner, line.no)) > 0) {
        out.push(this.node(contentIndent));
      } else if (/^[|>]/.test(inner)) {
        throw new YamlSubsetError('a block scalar as a sequence item is not supported', line.no);
      } else {
        this.i++;
        out.push(parseInline(stripComment(inner, line.no), line.no));
      }
    }
    return out;
  }

  private mapping(indent: number): { [key: string]: YamlValue } {
    const out: { [key: string]: YamlValue } = {};
    for (;;) {
      const line = this.peek();
      if (line === undefined) break;
      const lineIndent = indentOf(line.text);
      if (lineIndent < indent) break;
      if (lineIndent > indent) throw new YamlSubsetError(`unexpected indentation: "${line.text.trim()}"`, line.no);
      if (/^\t/.test(line.text.slice(lineIndent))) throw new YamlSubsetError('tabs are not allowed in indentation', line.no);
      const text = stripComment(line.text.slice(indent), line.no);
      if (text === '-' || text.startsWith('- ')) break; // a sequence at the parent's indent ends this mapping
      const sep = keySeparator(text);
      if (sep <= 0) throw new YamlSubsetError(`expected "key: value", got "${text}"`, line.no);
      const rawKey = text.slice(0, sep).trim();
      const key = String(parseInline(rawKey, line.no));
      if (/^[&*!]/.test(rawKey) || key === '<<') throw new YamlSubsetError(`unsupported key "${rawKey}"`, line.no);
      if (Object.prototype.hasOwnProperty.call(out, key)) throw new YamlSubsetError(`duplicate key "${key}"`, line.no);
      const rest = text.slice(sep + 1).trim();
      this.i++;
      if (/^[|>][-+]?$/.test(rest)) {
        out[key] = this.blockScalar(indent, rest, line.no);
      } else if (rest !== '') {
        out[key] = parseInline(rest, line.no);
      } else {
        const next = this.peek();
        if (next === undefined) out[key] = null;
        else {
          const nextIndent = indentOf(next.text);
          const nextText = next.text.slice(nextIndent);
          const isSeq = nextText === '-' || nextText.startsWith('- ');
          if (nextIndent > indent || (nextIndent === indent && isSeq)) out[key] = this.node(nextIndent);
          else out[key] = null;
        }
      }
    }
    return out;
  }

  private blockScalar(parentIndent: number, header: string, no: number): string {
    const style = header[0];
    const chomp = header[1] ?? '';
    const body: string[] = [];
    let blockIndent = -1;
    while (this.i < this.lines.length) {
      const text = this.lines[this.i]!.text;
      if (text.trim() === '') {
        body.push('');
        this.i++;
        continue;
      }
      const ind = indentOf(text);
      if (blockIndent < 0) {
        if (ind <= parentIndent) break;
        blockIndent = ind;
      }
      if (ind < blockIndent) break;
      body.push(text.slice(blockIndent));
      this.i++;
    }
    if (blockIndent < 0 && body.every((l) => l === '')) {
      // An empty block scalar; leave the blank lines to the caller.
    }
    // Trailing blank lines belong to chomping, not content.
    let trailing = 0;
    while (body.length > 0 && body[body.length - 1] === '') {
      body.pop();
      trailing++;
    }
    let content: string;
    if (style === '|') {
      content = body.join('\n');
    } else {
      // Folding: single newlines between non-empty, non-indented lines become spaces.
      content = '';
      for (let k = 0; k < body.length; k++) {
        const l = body[k]!;
        if (k === 0) content = l;
        else if (l === '' || body[k - 1] === '' || /^\s/.test(l) || /^\s/.test(body[k - 1]!)) content += '\n' + l;
        else content += ' ' + l;
      }
      content = content.replace(/\n(?=\n)/g, '');
    }
    if (body.length === 0) return '';
    if (chomp === '-') return content;
    if (chomp === '+') return content + '\n'.repeat(trailing + 1);
    if (chomp !== '') throw new YamlSubsetError(`unsupported block scalar header "${header}"`, no);
    return content + '\n';
  }
}

export function parseYaml(source: string): YamlValue {
  const lines: Line[] = source.replace(/\r\n/g, '\n').split('\n').map((text, k) => ({ no: k + 1, text }));
  for (const line of lines) {
    if (/^ *\t/.test(line.text) && line.text.trim() !== '') {
      throw new YamlSubsetError('tabs are not allowed in indentation', line.no);
    }
  }
  return new BlockParser(lines).document();
}

/** Narrowing helpers for tests reading parsed YAML. */
export function isMapping(v: YamlValue | undefined): v is { [key: string]: YamlValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function asMapping(v: YamlValue | undefined, what: string): { [key: string]: YamlValue } {
  if (!isMapping(v)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(v)}`);
  return v;
}

export function asSequence(v: YamlValue | undefined, what: string): YamlValue[] {
  if (!Array.isArray(v)) throw new Error(`${what}: expected a sequence, got ${JSON.stringify(v)}`);
  return v;
}

export function asString(v: YamlValue | undefined, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}
