/** Compiles a C fixture of test/engine/fixtures with gcc (the real-engine tests' tiny stand-ins). */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from './engine-rig.js';
import { run } from './run.js';

/** `gcc -O2 -o out test/engine/fixtures/<name>.c` with -D<key>=<value> for each define. */
export async function compileFixture(name: string, out: string, defines: Record<string, string | number> = {}): Promise<string> {
  const src = join(repoRoot(), 'test', 'engine', 'fixtures', `${name}.c`);
  if (!existsSync(src)) throw new Error(`${src} not found`);
  mkdirSync(dirname(out), { recursive: true });
  const d = Object.entries(defines).map(([k, v]) => `-D${k}=${typeof v === 'number' ? String(v) : JSON.stringify(v)}`);
  await run('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', ...d, '-o', out, src], { timeoutMs: 60_000 });
  return out;
}
