/**
 * Comms worth a closer look: the kernel's (15-byte) names of the engine's binaries. This is only the
 * scan's cheap pre-filter; the engine classifies by exe and argv[0]. `runc:[N:...]` (runc's own init
 * stages) and `exe` (dockerd's re-exec helpers) are deliberately absent: they are never components.
 */
export const CANDIDATE_COMMS: ReadonlySet<string> = new Set([
  'dockerd',
  'containerd',
  'containerd-shim', // containerd-shim-runc-v2 cut to 15 bytes
  'runc',
  'docker-proxy',
  'docker-init',
]);
