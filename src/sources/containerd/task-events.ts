/**
 * Decoding of containerd's task events from the Envelope's Any. containerd sets the Any's type_url
 * to the bare message name ("containerd.events.TaskExit"); protobufjs-style decoders add a
 * "type.googleapis.com/" prefix, so names are matched by suffix. A tiny protobuf wire decoder keeps
 * this pure and dependency-free: TaskExit{container_id=1, id=2, pid=3, exit_status=4, exited_at=5},
 * TaskOOM{container_id=1}.
 */

export type TaskEvent =
  | { kind: 'exit'; containerId: string; id: string; pid: number; exitStatus: number }
  | { kind: 'oom'; containerId: string };

export class MalformedEventError extends Error {}

export function decodeTaskEvent(typeUrl: string, value: Uint8Array): TaskEvent | null {
  if (typeUrl.endsWith('containerd.events.TaskExit')) {
    const f = decodeFields(value);
    return {
      kind: 'exit',
      containerId: f.strings.get(1) ?? '',
      id: f.strings.get(2) ?? '',
      pid: f.varints.get(3) ?? 0,
      exitStatus: f.varints.get(4) ?? 0,
    };
  }
  if (typeUrl.endsWith('containerd.events.TaskOOM')) {
    return { kind: 'oom', containerId: decodeFields(value).strings.get(1) ?? '' };
  }
  return null;
}

interface Fields {
  strings: Map<number, string>;
  varints: Map<number, number>;
}

/** Reads top-level fields: varints (wire type 0) and length-delimited (2, decoded as UTF-8). */
export function decodeFields(buf: Uint8Array): Fields {
  const strings = new Map<number, string>();
  const varints = new Map<number, number>();
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw new MalformedEventError('truncated varint');
      const byte = buf[pos++]!;
      if (shift < 53) result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 70) throw new MalformedEventError('varint too long');
    }
  };
  const decoder = new TextDecoder('utf-8', { fatal: false });
  while (pos < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw new MalformedEventError('field number 0');
    switch (wire) {
      case 0:
        varints.set(field, varint());
        break;
      case 1:
        pos += 8;
        break;
      case 2: {
        const len = varint();
        if (pos + len > buf.length) throw new MalformedEventError('truncated field');
        strings.set(field, decoder.decode(buf.subarray(pos, pos + len)));
        pos += len;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw new MalformedEventError(`unsupported wire type ${wire}`);
    }
    if (pos > buf.length) throw new MalformedEventError('truncated field');
  }
  return { strings, varints };
}
