/**
 * Which component a process is, by what it runs (exe, argv[0]) rather than by comm alone: comm is cut
 * to 15 bytes, copied across fork before exec, and renamed by runc for its init stages.
 */
import type { ProcessInfo } from './process-model.js';
import type { Component } from './components.js';

/** A shim's one-shot actions: `containerd-shim-runc-v2 ... start|delete` run briefly under containerd. */
const SHIM_ACTIONS = new Set(['start', 'delete']);

function componentOfName(name: string): Component | null {
  switch (name) {
    case 'dockerd':
    case 'containerd':
    case 'runc':
    case 'docker-proxy':
    case 'docker-init':
      return name;
    default:
      // containerd-shim-runc-v2 (and v1, the legacy containerd-shim, other runtimes' shims)
      return name.startsWith('containerd-shim') ? 'containerd-shim' : null;
  }
}

/**
 * The component this process runs as, or null. Does not look at the parent: fork-before-exec copies
 * are removed during attribution, where the tree is known.
 */
export function classifyProcess(p: ProcessInfo): Component | null {
  const exeName = p.exe === null ? null : baseName(p.exe);
  const argv0Name = p.argv.length > 0 ? baseName(p.argv[0] ?? '') : null;
  let component: Component | null;
  if (exeName !== null) {
    component = componentOfName(exeName);
    // dockerd re-execs itself as helpers (argv[0] docker-untar, libnetwork-setkey, ...): same exe,
    // different argv[0]. A real component's argv[0] names the same component.
    if (component !== null && argv0Name !== null && componentOfName(argv0Name) !== component) return null;
  } else if (argv0Name !== null) {
    component = componentOfName(argv0Name); // exe denied (not root) or the process is a zombie
  } else {
    component = p.comm === 'containerd-shim' ? 'containerd-shim' : componentOfName(p.comm);
  }
  if (component === 'runc' && p.argv[1] === 'init') return null; // runc's own child before it renames itself
  if (component === 'containerd-shim' && isShimAction(p.argv)) return null;
  return component;
}

function isShimAction(argv: readonly string[]): boolean {
  const last = argv[argv.length - 1];
  return last !== undefined && SHIM_ACTIONS.has(last) && argv.includes('-id');
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
