/**
 * The web config's YAML read as exporter-toolkit reads it: Go's gopkg.in/yaml.v2 (v2.4), decoding
 * into typed fields with UnmarshalStrict. That is YAML 1.1 scalars resolved by the type of the field
 * they land in (yaml.v2 resolve.go and decode.go):
 *
 * - a string field takes the scalar's text whatever it looks like (`X-XSS-Protection: 1` is "1",
 *   `0x10` stays "0x10", `yes` stays "yes"); null is "";
 * - a bool field takes only a plain y/Y/yes/Yes/YES/true/True/TRUE/on/On/ON or their n/no/false/off
 *   spellings (a quoted "true" is a string, refused); null is false;
 * - an int field takes Go's ParseInt(s, 0, 64) after removing "_" (0x, 0o, 0b, leading-0 octal), or a
 *   float truncated; a time.Duration field takes an int as nanoseconds or a string through Go's
 *   time.ParseDuration.
 *
 * The yaml package parses the syntax (failsafe schema: every scalar stays text, with its style and
 * explicit tag), and the functions here decide what each scalar is. Merge keys (`<<`) are refused
 * rather than half-supported.
 */
import { createRequire } from 'node:module';
import type * as YamlModule from 'yaml';
import type { Document, Node, Scalar } from 'yaml';

let loaded: typeof YamlModule | null = null;
/**
 * The yaml package, loaded by the first web config read: most exporters run without one, and the
 * package costs ~1.5 MiB of RSS in every process that imports it (docs/benchmarks.md, memory).
 * require(), not import(): reading a config is synchronous (web-config-reload.ts reads it on a request).
 * Its "node" export is the same CommonJS file a static import loads.
 */
const yaml = (): typeof YamlModule => (loaded ??= createRequire(import.meta.url)('yaml') as typeof YamlModule);

export class YamlDecodeError extends Error {}

const TAG = 'tag:yaml.org,2002:';
/** Tags yaml.v2 resolves (resolvableTag); any other tag leaves the text a string. */
const RESOLVABLE = new Set(['', `${TAG}str`, `${TAG}bool`, `${TAG}int`, `${TAG}float`, `${TAG}null`, `${TAG}timestamp`]);

const BOOLS: Record<string, boolean> = {};
for (const s of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']) BOOLS[s] = true;
for (const s of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']) BOOLS[s] = false;
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS = new Set(['.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF']);

/** What yaml.v2's resolve() makes of a scalar. Ints stay exact (bigint); floats are numbers. */
export type Resolved =
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'str'; value: string }
  | { kind: 'binary'; value: string };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseInt(s, 0, 64) (without "_", already removed): null when it fails. */
function goParseInt(s: string, unsigned = false): bigint | null {
  let body = s;
  let negative = false;
  if (!unsigned && (body.startsWith('+') || body.startsWith('-'))) {
    negative = body.startsWith('-');
    body = body.slice(1);
  }
  let digits: RegExp;
  let prefix = '';
  if (/^0[xX]/.test(body)) [digits, prefix, body] = [/^[0-9a-fA-F]+$/, '0x', body.slice(2)];
  else if (/^0[oO]/.test(body)) [digits, prefix, body] = [/^[0-7]+$/, '0o', body.slice(2)];
  else if (/^0[bB]/.test(body)) [digits, prefix, body] = [/^[01]+$/, '0b', body.slice(2)];
  else if (/^0./.test(body)) [digits, prefix, body] = [/^[0-7]+$/, '0o', body.slice(1)];
  else digits = /^[0-9]+$/;
  if (!digits.test(body)) return null;
  const magnitude = BigInt(prefix + body);
  const value = negative ? -magnitude : magnitude;
  if (unsigned) return value <= UINT64_MAX ? value : null;
  return value >= INT64_MIN && value <= INT64_MAX ? value : null;
}

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** yaml.v2 resolve(tag, text) for a plain (or explicitly tagged) scalar. Throws YamlDecodeError. */
function resolvePlain(tag: string, text: string): Resolved {
  if (!RESOLVABLE.has(tag)) return { kind: tag === `${TAG}binary` ? 'binary' : 'str', value: text };
  const r = resolveUntagged(tag, text);
  if (tag === '' || tag === `${TAG}str`) return r;
  // An explicit tag must agree with what the text is (an !!int may be read as a !!float).
  const want = tag.slice(TAG.length);
  if (want === r.kind) return r;
  if (want === 'float' && r.kind === 'int') return { kind: 'float', value: Number(r.value) };
  throw new YamlDecodeError(`cannot decode !!${r.kind} \`${text}\` as a !!${want}`);
}

function resolveUntagged(tag: string, text: string): Resolved {
  if (tag === `${TAG}str`) return { kind: 'str', value: text };
  if (NULLS.has(text)) return { kind: 'null' };
  if (Object.hasOwn(BOOLS, text)) return { kind: 'bool', value: BOOLS[text] as boolean };
  if (SPECIAL_FLOATS.has(text)) {
    return {
      kind: 'float',
      value: text.includes('nan') || text.includes('NaN') || text.includes('NAN') ? NaN : text.startsWith('-') ? -Infinity : Infinity,
    };
  }
  const first = text[0] ?? '';
  if (first === '.') {
    return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(text) ? { kind: 'float', value: Number(text) } : { kind: 'str', value: text };
  }
  if (/[-+0-9]/.test(first)) {
    // (A timestamp-looking text resolves to a time in yaml.v2: into a string field it is its text, into
    // any other field an error, as here where it stays a string no number parser accepts.)
    const plain = text.replaceAll('_', '');
    const int = goParseInt(plain);
    if (int !== null) return { kind: 'int', value: int };
    if (goParseInt(plain, true) !== null) return { kind: 'int', value: goParseInt(plain, true) as bigint };
    if (YAML_STYLE_FLOAT.test(plain)) return { kind: 'float', value: Number(plain) };
  }
  return { kind: 'str', value: text };
}

/** A parsed document and the walk over it, counting alias expansions (no billion laughs). */
export class GoYaml {
  private aliases = 0;
  constructor(private readonly doc: Document) {}

  static parse(text: string, source: string): { yaml: GoYaml; root: Node | null } {
    // uniqueKeys off: duplicates are found by decoded key (1 and "1" are the same name), below.
    const doc = yaml().parseDocument(text, { version: '1.1', schema: 'failsafe', uniqueKeys: false, prettyErrors: true });
    const error = doc.errors[0];
    if (error) throw new YamlDecodeError(`${source} is not valid YAML: ${(error.message.split('\n')[0] ?? '').replace(/:$/, '')}`);
    return { yaml: new GoYaml(doc), root: doc.contents };
  }

  /** Follows aliases to the node they name. */
  deref(node: Node | null | undefined): Node | null {
    let n = node ?? null;
    while (n && yaml().isAlias(n)) {
      if (++this.aliases > 100) throw new YamlDecodeError('too many aliases (more than 100)');
      const name = n.source;
      n = n.resolve(this.doc) ?? null;
      if (n === null) throw new YamlDecodeError(`the alias *${name} names no anchor`);
    }
    return n;
  }

  /** The scalar as yaml.v2 resolves it; a null node (a key with no value) is null. */
  scalar(node: Node | null | undefined, where: string, want: string): Resolved {
    const n = this.deref(node);
    if (n === null) return { kind: 'null' };
    if (!yaml().isScalar(n)) throw new YamlDecodeError(`${where} must be ${want}, not a ${yaml().isSeq(n) ? 'list' : 'mapping'}`);
    const text = scalarText(n);
    const tag = n.tag ?? '';
    const quoted = n.type !== yaml().Scalar.PLAIN;
    if (quoted && tag === '') return { kind: 'str', value: text }; // quoted, literal, folded: text
    try {
      return resolvePlain(tag, text);
    } catch (err) {
      throw new YamlDecodeError(`${where}: ${(err as Error).message}`);
    }
  }

  /**
   * yaml.v2 does not call a type's own UnmarshalYAML for a null written as nothing, ~, null or !!null
   * (decoder.prepare): the field keeps its zero value. Null and NULL do reach it, as the empty string.
   */
  skipsUnmarshaler(node: Node | null | undefined): boolean {
    const n = this.deref(node);
    if (n === null) return true;
    if (!yaml().isScalar(n)) return false;
    const tag = n.tag ?? '';
    if (tag === `${TAG}null`) return true;
    const text = n.source ?? '';
    return tag === '' && n.type === yaml().Scalar.PLAIN && (text === 'null' || text === '~' || text === '');
  }

  /** A Go string field. */
  string(node: Node | null | undefined, where: string): string {
    const r = this.scalar(node, where, 'a string');
    if (r.kind === 'null') return '';
    if (r.kind === 'binary') return decodeBinary(r.value, where);
    return scalarText(this.deref(node) as Scalar);
  }

  /** A Go bool field: null is false. */
  bool(node: Node | null | undefined, where: string): boolean {
    const r = this.scalar(node, where, 'true or false');
    if (r.kind === 'null') return false;
    if (r.kind === 'bool') return r.value;
    throw new YamlDecodeError(`${where} must be true or false (yes/no/on/off), not ${describe(r)}`);
  }

  /** A Go int (int64) field: null is 0. */
  int(node: Node | null | undefined, where: string): bigint {
    const r = this.scalar(node, where, 'a whole number');
    const v = toInt64(r);
    if (v === null) throw new YamlDecodeError(`${where} must be a whole number, not ${describe(r)}`);
    return v;
  }

  /** A Go time.Duration field, in nanoseconds: an int, or a string such as "1m30s". */
  duration(node: Node | null | undefined, where: string): bigint {
    const r = this.scalar(node, where, 'a duration');
    const v = r.kind === 'str' ? goParseDuration(r.value) : toInt64(r);
    if (v === null) throw new YamlDecodeError(`${where} must be a duration such as 30s or 1m (Go's time.ParseDuration), not ${describe(r)}`);
    return v;
  }

  /** A Go slice field: null is absent (nil), a list its items. */
  list(node: Node | null | undefined, where: string): Array<Node | null> | null {
    const n = this.deref(node);
    if (n === null || (yaml().isScalar(n) && this.scalar(n, where, 'a list').kind === 'null')) return null;
    if (!yaml().isSeq(n)) throw new YamlDecodeError(`${where} must be a list`);
    return n.items.map((item) => (item as Node | null) ?? null);
  }

  /**
   * A Go struct or map[string]T: the entries with their keys decoded as Go strings; null is null.
   * A key given twice is an error, as UnmarshalStrict's "already set".
   */
  mapping(node: Node | null | undefined, where: string): Map<string, Node | null> | null {
    const n = this.deref(node);
    if (n === null || (yaml().isScalar(n) && this.scalar(n, where, 'a mapping').kind === 'null')) return null;
    if (!yaml().isMap(n)) throw new YamlDecodeError(`${where} must be a mapping`);
    const out = new Map<string, Node | null>();
    for (const pair of n.items) {
      if (!yaml().isPair(pair)) continue;
      const keyNode = this.deref(pair.key as Node | null);
      if (keyNode !== null && !yaml().isScalar(keyNode)) throw new YamlDecodeError(`${where} has a key that is not a name`);
      if (keyNode !== null && keyNode.type === yaml().Scalar.PLAIN && keyNode.source === '<<') {
        throw new YamlDecodeError(`${where}: merge keys (<<) are not supported`);
      }
      const key = this.string(keyNode, `a key in ${where}`);
      if (out.has(key)) throw new YamlDecodeError(`${where} has the key ${JSON.stringify(key)} twice`);
      out.set(key, (pair.value as Node | null) ?? null);
    }
    return out;
  }
}

function toInt64(r: Resolved): bigint | null {
  if (r.kind === 'null') return 0n;
  if (r.kind === 'int') return r.value >= INT64_MIN && r.value <= INT64_MAX ? r.value : null;
  // Go converts a float by truncation; one outside int64 (or NaN) is refused here.
  if (r.kind === 'float' && Number.isFinite(r.value) && r.value < 2 ** 63 && r.value >= -(2 ** 63)) return BigInt(Math.trunc(r.value));
  return null;
}

function describe(r: Resolved): string {
  if (r.kind === 'null') return 'empty';
  if (r.kind === 'str' || r.kind === 'binary') return JSON.stringify(r.value);
  return `${r.kind} ${String(r.value)}`;
}

function decodeBinary(text: string, where: string): string {
  const clean = text.replace(/[\r\n]/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(clean)) {
    throw new YamlDecodeError(`${where}: !!binary value contains invalid base64 data`);
  }
  return Buffer.from(clean, 'base64').toString('utf8');
}

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/**
 * Go's time.ParseDuration: [-+]? then one or more <decimal><unit>, units ns us µs μs ms s m h; "0"
 * alone is zero. Nanoseconds, or null (syntax error, or beyond int64 as Go refuses).
 */
function goParseDuration(s: string): bigint | null {
  let rest = s;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return null;
  let total = 0n;
  while (rest !== '') {
    const m = /^([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) return null;
    const unit = UNITS[m[3] as string] as bigint;
    const whole = BigInt(m[1] === '' ? '0' : (m[1] as string));
    const frac = m[2] ?? '';
    // Fractions are exact in Go up to the nanosecond, then truncated.
    const scale = 10n ** BigInt(frac.length);
    const fracNs = frac === '' ? 0n : (BigInt(frac) * unit) / scale;
    total += whole * unit + fracNs;
    if (total > 2n ** 63n) return null;
    rest = rest.slice(m[0].length);
  }
  const value = negative ? -total : total;
  return value >= INT64_MIN && value <= INT64_MAX ? value : null;
}

/** A scalar's text as written; under the failsafe schema its value is that same string. */
function scalarText(n: Scalar): string {
  return n.source ?? (typeof n.value === 'string' ? n.value : '');
}
