/** Reading flags out of a process's argv: pure, shared by the sources (scan) and the engine (attribution, chain checks). */

/** containerd's own flag: `--address X`, `--address=X`, `-a X`, `-a=X`. */
export function containerdAddressFromArgv(argv: readonly string[]): string | null {
  return flagValue(argv, ['--address', '-address', '-a']);
}

/** The value of the first of `names` in argv, in either `--name value` or `--name=value` form. */
export function flagValue(argv: readonly string[], names: readonly string[]): string | null {
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    for (const name of names) {
      if (arg === name) return argv[i + 1] ?? null;
      if (arg.startsWith(name + '=')) return arg.slice(name.length + 1);
    }
  }
  return null;
}
