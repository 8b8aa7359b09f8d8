/**
 * Entry point for an exporter that runs as another user: started as root by startExporterAsUser()
 * (unprivileged-exporter.ts), it drops to RUN_AS_UID/RUN_AS_GID (supplementary groups: just the gid)
 * and only then loads the exporter's main module, so none of the exporter's code runs as root. A
 * process whose uids all become non-zero loses every capability, so the exporter sees /proc exactly
 * as that user would (no exe links, no fd directories of root's processes).
 *
 * Not a module to import: it acts at load time.
 */
import { pathToFileURL } from 'node:url';

const uid = Number(process.env.RUN_AS_UID);
const gid = Number(process.env.RUN_AS_GID);
const main = process.env.RUN_AS_MAIN;
if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid <= 0 || gid <= 0 || !main) {
  process.stderr.write('run-as-user-main: RUN_AS_UID, RUN_AS_GID (non-zero) and RUN_AS_MAIN are required\n');
  process.exit(2);
}
if (!process.setgroups || !process.setgid || !process.setuid) {
  process.stderr.write('run-as-user-main: cannot change user on this platform\n');
  process.exit(2);
}
process.setgroups([gid]);
process.setgid(gid);
process.setuid(uid);
for (const k of ['RUN_AS_UID', 'RUN_AS_GID', 'RUN_AS_MAIN']) delete process.env[k];
// main.ts reads process.argv.slice(2): the flags startExporter() passed after this file's path.
await import(pathToFileURL(main).href);
