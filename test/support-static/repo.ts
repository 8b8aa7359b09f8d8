/** Where the repository is, whether this runs from test/ (tsx) or from build/test/ (compiled). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'prometheus'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no repository root (package.json beside prometheus/) above ${from}`);
    dir = parent;
  }
}

export function repoPath(...parts: string[]): string {
  return join(repoRoot(), ...parts);
}
