import { MalformedApiResponseError } from './engine-api-parse.js';

/**
 * GET /containers/json: the ids of running containers. Only full 64-hex ids are kept: each is put into
 * a request path (`/containers/<id>/json`), and the allowlist admits nothing else there.
 */
export function parseRunningIds(body: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(body) as unknown;
  } catch (err) {
    throw new MalformedApiResponseError('/containers/json', (err as Error).message);
  }
  if (!Array.isArray(v)) throw new MalformedApiResponseError('/containers/json', 'not an array');
  const ids = new Set<string>();
  for (const c of v) {
    if (typeof c !== 'object' || c === null) continue;
    const { Id, State } = c as { Id?: unknown; State?: unknown };
    if (typeof Id === 'string' && /^[0-9a-f]{64}$/.test(Id) && (State === undefined || State === 'running')) ids.add(Id);
  }
  return [...ids];
}
