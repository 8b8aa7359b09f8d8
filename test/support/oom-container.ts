/**
 * `docker run` arguments for a container the kernel OOM-kills at once: an 8 MiB memory limit (no swap)
 * and dd with a 64 MiB block, so containerd reports an OOM event and dockerd an `oom` then a `die`.
 */
export function oomContainerArgs(name: string): string[] {
  return [
    'run',
    '--name',
    name,
    '--memory',
    '8m',
    '--memory-swap',
    '8m',
    'rig/busybox',
    'dd',
    'if=/dev/zero',
    'of=/dev/null',
    'bs=64M',
    'count=1',
  ];
}
