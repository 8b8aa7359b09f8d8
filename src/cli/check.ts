/** `docker-engine-exporter check`: placeholder until the one-shot check lands (issue 5). */
import type { Config } from '../config/flags.js';

export interface CheckIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export async function runCheck(_config: Config, io: CheckIo): Promise<number> {
  io.stderr('docker-engine-exporter: check is not implemented yet\n');
  return 3;
}
