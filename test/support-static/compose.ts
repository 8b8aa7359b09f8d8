/** The compose deployment (deploy/compose), read as YAML, for tests. */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { repoPath } from './repo.js';
import { asMapping, asScalarText, asSequence, asString, parseYaml, type YamlValue } from './yaml.js';

const COMPOSE_PATH = repoPath('deploy', 'compose', 'compose.yml');

interface VolumeMount {
  /** As written: a path (absolute or relative to the compose file) or a named volume. */
  source: string;
  target: string;
  readOnly: boolean;
  /** The source resolved on the host for a bind mount; null for a named volume. */
  hostPath: string | null;
}

export interface ComposeService {
  name: string;
  spec: { [key: string]: YamlValue };
  volumes: VolumeMount[];
}

export interface ComposeFile {
  path: string;
  doc: { [key: string]: YamlValue };
  services: Map<string, ComposeService>;
  namedVolumes: Set<string>;
}

function parseVolume(v: YamlValue, composeDir: string, what: string): VolumeMount {
  if (typeof v === 'string') {
    const parts = v.split(':');
    if (parts.length < 2 || parts.length > 3) throw new Error(`${what}: "${v}" is not SOURCE:TARGET[:MODE]`);
    const [source, target, mode] = parts as [string, string, string | undefined];
    const bind = source.startsWith('/') || source.startsWith('.') || source.startsWith('~');
    return {
      source,
      target,
      readOnly: (mode ?? '').split(',').includes('ro'),
      hostPath: bind ? (isAbsolute(source) ? source : resolve(composeDir, source)) : null,
    };
  }
  const m = asMapping(v, what);
  const source = asString(m['source'], `${what}.source`);
  const type = asString(m['type'], `${what}.type`);
  return {
    source,
    target: asString(m['target'], `${what}.target`),
    readOnly: m['read_only'] === true,
    hostPath: type === 'bind' ? (isAbsolute(source) ? source : resolve(composeDir, source)) : null,
  };
}

export function loadCompose(path: string = COMPOSE_PATH): ComposeFile {
  const doc = asMapping(parseYaml(readFileSync(path, 'utf8')), 'compose file');
  const dir = dirname(path);
  const services = new Map<string, ComposeService>();
  for (const [name, spec] of Object.entries(asMapping(doc['services'], 'services'))) {
    const s = asMapping(spec, `services.${name}`);
    const volumes = s['volumes'] === undefined ? [] : asSequence(s['volumes'], `services.${name}.volumes`);
    services.set(name, { name, spec: s, volumes: volumes.map((v, k) => parseVolume(v, dir, `services.${name}.volumes[${k}]`)) });
  }
  const namedVolumes = new Set(
    Object.keys(doc['volumes'] === undefined || doc['volumes'] === null ? {} : asMapping(doc['volumes'], 'volumes')),
  );
  return { path, doc, services, namedVolumes };
}

/**
 * Where a path inside a service's container comes from on the host, through its bind mounts (the
 * deepest mount that holds it); null when no bind mount does.
 */
export function hostPathOf(service: ComposeService, containerPath: string): string | null {
  let best: VolumeMount | null = null;
  for (const v of service.volumes) {
    if (v.hostPath === null) continue;
    const rel = relative(v.target, containerPath);
    const inside = rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
    if (inside && (best === null || v.target.length > best.target.length)) best = v;
  }
  if (best === null || best.hostPath === null) return null;
  const rel = relative(best.target, containerPath);
  return rel === '' ? best.hostPath : best.hostPath + sep + rel;
}

/** A service's command as a list of arguments. */
export function commandOf(service: ComposeService): string[] {
  const c = service.spec['command'];
  if (c === undefined || c === null) return [];
  if (typeof c === 'string') return c.split(/\s+/).filter((a) => a !== '');
  return asSequence(c, `${service.name}.command`).map((a, k) => asString(a, `${service.name}.command[${k}]`));
}

/** A service's environment as a record (list or mapping form). */
export function environmentOf(service: ComposeService): Record<string, string> {
  const e = service.spec['environment'];
  const out: Record<string, string> = {};
  if (e === undefined || e === null) return out;
  if (Array.isArray(e)) {
    for (const item of e) {
      const s = asString(item, `${service.name}.environment`);
      const eq = s.indexOf('=');
      out[eq < 0 ? s : s.slice(0, eq)] = eq < 0 ? '' : s.slice(eq + 1);
    }
    return out;
  }
  for (const [k, v] of Object.entries(asMapping(e, `${service.name}.environment`)))
    out[k] = v === null ? '' : asScalarText(v, `${service.name}.environment.${k}`);
  return out;
}
