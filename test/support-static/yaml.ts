/**
 * The project's YAML (rules, rule tests, compose, Kubernetes manifests, Grafana provisioning, snippets
 * in the docs) read with the `yaml` package the exporter already ships for --web.config.file. Strict:
 * an error or a warning throws, naming the place, and so does a duplicate key, which Prometheus,
 * compose and Kubernetes would not all treat alike (one of the two values would be lost).
 */
import { parseAllDocuments, parseDocument, type Document } from 'yaml';

export type YamlValue = null | boolean | number | string | YamlValue[] | { [key: string]: YamlValue };

const OPTIONS = { uniqueKeys: true, prettyErrors: true } as const;

function valueOf(doc: Document.Parsed): YamlValue {
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw new Error(`YAML: ${problem.message}`);
  return doc.toJS() as YamlValue;
}

/** One YAML document; several documents throw. */
export function parseYaml(source: string): YamlValue {
  return valueOf(parseDocument(source, OPTIONS));
}

/** Every document of a multi-document file, in order, without those that hold only comments. */
export function parseYamlDocuments(source: string): YamlValue[] {
  return [...parseAllDocuments(source, OPTIONS)].map(valueOf).filter((v) => v !== null);
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

/** A scalar as the text its reader takes it for: `1` and `"1"` alike (quantities, environment values). */
export function asScalarText(v: YamlValue | undefined, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`${what}: expected a scalar, got ${JSON.stringify(v)}`);
}
