/**
 * Just enough of PNG to check a browser screenshot: the signature, the size, and the pixels of an
 * 8-bit, non-interlaced RGB or RGBA image (what Chromium writes), to count pixels of a given colour.
 */
import { inflateSync } from 'node:zlib';

export interface Png {
  width: number;
  height: number;
  /** RGB triplets, row by row. */
  rgb: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isPng(b: Buffer): boolean {
  return b.length > 33 && b.subarray(0, 8).equals(SIGNATURE) && b.toString('latin1', 12, 16) === 'IHDR';
}

export function decodePng(b: Buffer): Png {
  if (!isPng(b)) throw new Error('not a PNG');
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  const depth = b[24];
  const colourType = b[25];
  const interlace = b[28];
  if (depth !== 8 || (colourType !== 2 && colourType !== 6) || interlace !== 0) {
    throw new Error(`unsupported PNG: depth ${depth}, colour type ${colourType}, interlace ${interlace}`);
  }
  const channels = colourType === 6 ? 4 : 3;
  const idat: Buffer[] = [];
  for (let off = 8; off + 8 <= b.length;) {
    const len = b.readUInt32BE(off);
    const type = b.toString('latin1', off + 4, off + 8);
    if (type === 'IDAT') idat.push(b.subarray(off + 8, off + 8 + len));
    if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 3);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? (cur[i - channels] ?? 0) : 0;
      const up = prev[i] ?? 0;
      const c = i >= channels ? (prev[i - channels] ?? 0) : 0;
      const x = line[i] ?? 0;
      let v: number;
      switch (filter) {
        case 0:
          v = x;
          break;
        case 1:
          v = x + a;
          break;
        case 2:
          v = x + up;
          break;
        case 3:
          v = x + ((a + up) >> 1);
          break;
        case 4: {
          const p = a + up - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - up);
          const pc = Math.abs(p - c);
          v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? up : c);
          break;
        }
        default:
          throw new Error(`bad PNG filter ${filter} on row ${y}`);
      }
      cur[i] = v & 0xff;
    }
    for (let px = 0; px < width; px++) {
      out.set(cur.subarray(px * channels, px * channels + 3), (y * width + px) * 3);
    }
    prev = cur;
  }
  return { width, height, rgb: out };
}

/** Pixels within `tolerance` (per channel) of the colour `#rrggbb`. */
export function countColour(png: Png, hex: string, tolerance = 6): number {
  const r = parseInt(hex.slice(1, 3), 16);
  const g = parseInt(hex.slice(3, 5), 16);
  const bl = parseInt(hex.slice(5, 7), 16);
  let n = 0;
  for (let i = 0; i < png.rgb.length; i += 3) {
    if (
      Math.abs((png.rgb[i] ?? 0) - r) <= tolerance &&
      Math.abs((png.rgb[i + 1] ?? 0) - g) <= tolerance &&
      Math.abs((png.rgb[i + 2] ?? 0) - bl) <= tolerance
    ) {
      n++;
    }
  }
  return n;
}
