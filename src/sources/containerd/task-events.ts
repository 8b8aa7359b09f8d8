/**
 * Decoding of containerd's task events from the Envelope's Any, with protobufjs (the library the
 * containerd client loads proto/ with). containerd sets the Any's type_url to the bare message name
 * ("containerd.events.TaskExit"); protobufjs-style encoders add a "type.googleapis.com/" prefix, so
 * names are matched by suffix.
 *
 * The messages are containerd's api/events/task.proto with only the fields read here, at upstream's
 * field numbers: every other field (exited_at, the exit_reason of newer releases, whatever comes next)
 * is skipped by its wire type, so a newer containerd's events still decode.
 */
import protobuf from 'protobufjs';
import { oneLine } from '../../one-line.js';

export type TaskEvent =
  { kind: 'exit'; containerId: string; id: string; pid: number; exitStatus: number } | { kind: 'oom'; containerId: string };

export class MalformedEventError extends Error {
  constructor(message: string) {
    super(oneLine(message));
    this.name = 'MalformedEventError';
  }
}

const { root } = protobuf.parse(`
  syntax = "proto3";
  package containerd.events;
  message TaskExit { string container_id = 1; string id = 2; uint32 pid = 3; uint32 exit_status = 4; }
  message TaskOOM { string container_id = 1; }
`);
const TaskExit = root.lookupType('containerd.events.TaskExit');
const TaskOOM = root.lookupType('containerd.events.TaskOOM');

/** Field names as protobufjs gives them (camelCase); absent fields read as proto3's defaults. */
interface TaskExitFields {
  containerId: string;
  id: string;
  pid: number;
  exitStatus: number;
}

export function decodeTaskEvent(typeUrl: string, value: Uint8Array): TaskEvent | null {
  if (typeUrl.endsWith('containerd.events.TaskExit')) {
    const m = decode<TaskExitFields>(TaskExit, value);
    return { kind: 'exit', containerId: m.containerId, id: m.id, pid: m.pid, exitStatus: m.exitStatus };
  }
  if (typeUrl.endsWith('containerd.events.TaskOOM')) {
    return { kind: 'oom', containerId: decode<{ containerId: string }>(TaskOOM, value).containerId };
  }
  return null;
}

/**
 * protobufjs throws RangeError (truncated input) or Error (bad wire type) on bytes it cannot read;
 * either becomes a MalformedEventError, so a caller has one error to expect.
 */
function decode<T>(type: protobuf.Type, value: Uint8Array): T {
  try {
    return type.toObject(type.decode(value), { defaults: true }) as T;
  } catch (err) {
    throw new MalformedEventError(`malformed ${type.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
