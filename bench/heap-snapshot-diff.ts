/**
 * What grew between two V8 heap snapshots (v8.writeHeapSnapshot): nodes grouped by (type, name),
 * counted and summed by self size, the groups whose size changed most listed first. The memory soak
 * writes a snapshot after its warm-up and one at the end; this names what the heap growth between them
 * is made of, instead of guessing.
 *
 *   node build/bench/heap-snapshot-diff.js warm.heapsnapshot end.heapsnapshot [--top=25]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: unknown[] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  /** V8's node type (object, closure, code, string, hidden, …) and name (the constructor for objects). */
  type: string;
  name: string;
  count: number;
  bytes: number;
}

export interface HeapGroupChange extends HeapGroup {
  countBefore: number;
  bytesBefore: number;
}

/** Groups a snapshot's nodes by (type, name); strings and code are grouped by type alone. */
export function groupSnapshot(raw: RawSnapshot): Map<string, HeapGroup> {
  const fields = raw.snapshot.meta.node_fields;
  const types = raw.snapshot.meta.node_types[0];
  if (!Array.isArray(types)) throw new Error('heap snapshot: meta.node_types[0] is not a list of type names');
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  if (typeAt < 0 || nameAt < 0 || sizeAt < 0) throw new Error('heap snapshot: node_fields lacks type, name or self_size');
  const groups = new Map<string, HeapGroup>();
  for (let i = 0; i + width <= raw.nodes.length; i += width) {
    const type = String(types[raw.nodes[i + typeAt] ?? -1] ?? '?');
    // A string's name is its content, code's is its source position: per type is the useful grain.
    const byTypeOnly = type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number';
    const name = byTypeOnly ? '' : (raw.strings[raw.nodes[i + nameAt] ?? -1] ?? '?').slice(0, 80);
    const key = `${type}\u0000${name}`;
    const g = groups.get(key) ?? { type, name, count: 0, bytes: 0 };
    g.count++;
    g.bytes += raw.nodes[i + sizeAt] ?? 0;
    groups.set(key, g);
  }
  return groups;
}

export function diffGroups(before: Map<string, HeapGroup>, after: Map<string, HeapGroup>): HeapGroupChange[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  const out: HeapGroupChange[] = [];
  for (const key of keys) {
    const b = before.get(key);
    const a = after.get(key);
    const base = a ?? b;
    if (!base) continue;
    out.push({
      type: base.type,
      name: base.name,
      count: a?.count ?? 0,
      bytes: a?.bytes ?? 0,
      countBefore: b?.count ?? 0,
      bytesBefore: b?.bytes ?? 0,
    });
  }
  return out.sort((x, y) => Math.abs(y.bytes - y.bytesBefore) - Math.abs(x.bytes - x.bytesBefore));
}

export function readSnapshot(path: string): Map<string, HeapGroup> {
  return groupSnapshot(JSON.parse(readFileSync(path, 'utf8')) as RawSnapshot);
}

const total = (g: Map<string, HeapGroup>): number => [...g.values()].reduce((s, x) => s + x.bytes, 0);

/** Bytes per V8 node type: "code" is compiled functions (bytecode, optimized code and their metadata). */
export function bytesByType(g: Map<string, HeapGroup>): Map<string, number> {
  const out = new Map<string, number>();
  for (const x of g.values()) out.set(x.type, (out.get(x.type) ?? 0) + x.bytes);
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
  const [beforePath, afterPath] = args.filter((a) => !a.startsWith('--'));
  if (!beforePath || !afterPath) {
    process.stderr.write('usage: heap-snapshot-diff.js BEFORE.heapsnapshot AFTER.heapsnapshot [--top=N]\n');
    process.exit(2);
  }
  const before = readSnapshot(beforePath);
  const after = readSnapshot(afterPath);
  const kib = (n: number): string => (n / 1024).toFixed(1);
  process.stdout.write(`total self size: ${kib(total(before))} KiB -> ${kib(total(after))} KiB\n`);
  const typesBefore = bytesByType(before);
  const typesAfter = bytesByType(after);
  process.stdout.write('by type (Δ KiB):');
  for (const type of new Set([...typesBefore.keys(), ...typesAfter.keys()])) {
    process.stdout.write(` ${type} ${kib((typesAfter.get(type) ?? 0) - (typesBefore.get(type) ?? 0))};`);
  }
  process.stdout.write('\n');
  process.stdout.write('Δ KiB\tcount before -> after\ttype\tname\n');
  for (const c of diffGroups(before, after).slice(0, top)) {
    process.stdout.write(`${kib(c.bytes - c.bytesBefore)}\t${c.countBefore} -> ${c.count}\t${c.type}\t${JSON.stringify(c.name)}\n`);
  }
}
