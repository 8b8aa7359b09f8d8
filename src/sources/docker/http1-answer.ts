/**
 * Reads one small HTTP/1.1 answer from the bytes received so far: the status line, the headers, and a
 * body framed as RFC 9112 §6.3 says (Content-Length, chunked, or up to the close). Only for answers
 * that fit in `maxBytes` whole (dockerd's /_ping: ~300 bytes); anything malformed or larger is an error,
 * never a guess. Pure: ping-connection.ts does the I/O.
 */

export type Http1Answer =
  | { kind: 'incomplete' }
  | { kind: 'error'; message: string }
  /** `consumed`: bytes of the buffer this answer took; `reusable`: the connection may carry another exchange. */
  | { kind: 'done'; status: number; body: Buffer; consumed: number; reusable: boolean };

const HEADERS_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;
const HEADER = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/;

/**
 * `ended`: the peer closed its side, so a body framed by the close is whole. An answer to a request
 * without a body (GET): 1xx answers are skipped, 204 and 304 have no body.
 */
export function readHttp1Answer(buf: Buffer, ended: boolean, maxBytes: number): Http1Answer {
  if (buf.length > maxBytes) return { kind: 'error', message: `answer larger than ${maxBytes} bytes` };
  const headEnd = buf.indexOf(HEADERS_END);
  if (headEnd < 0) return ended ? { kind: 'error', message: 'connection closed before the answer was whole' } : { kind: 'incomplete' };
  const lines = buf.subarray(0, headEnd).toString('latin1').split('\r\n');
  const statusLine = STATUS_LINE.exec(lines[0] ?? '');
  if (!statusLine) return { kind: 'error', message: `not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}` };
  const minor = statusLine[1];
  const status = Number(statusLine[2]);
  let contentLength: number | null = null;
  let chunked = false;
  let close = minor === '0';
  for (const line of lines.slice(1)) {
    const header = HEADER.exec(line);
    if (!header) return { kind: 'error', message: `malformed header line: ${JSON.stringify(line.slice(0, 80))}` };
    const name = header[1]!.toLowerCase();
    const value = header[2]!;
    if (name === 'content-length') {
      if (!/^\d{1,9}$/.test(value) || (contentLength !== null && contentLength !== Number(value))) {
        return { kind: 'error', message: `bad Content-Length: ${JSON.stringify(value.slice(0, 40))}` };
      }
      contentLength = Number(value);
    } else if (name === 'transfer-encoding') {
      if (value.toLowerCase() !== 'chunked')
        return { kind: 'error', message: `unsupported Transfer-Encoding: ${JSON.stringify(value.slice(0, 40))}` };
      chunked = true;
    } else if (name === 'connection') {
      const tokens = value
        .toLowerCase()
        .split(',')
        .map((t) => t.trim());
      if (tokens.includes('close')) close = true;
      else if (tokens.includes('keep-alive')) close = false;
    }
  }
  const bodyStart = headEnd + HEADERS_END.length;
  if (status < 200) {
    // An interim answer (100 Continue, 103 Early Hints): the real one follows.
    const rest = readHttp1Answer(buf.subarray(bodyStart), ended, maxBytes);
    return rest.kind === 'done' ? { ...rest, consumed: rest.consumed + bodyStart } : rest;
  }
  if (chunked && contentLength !== null) return { kind: 'error', message: 'both Content-Length and chunked' };
  if (status === 204 || status === 304) return { kind: 'done', status, body: Buffer.alloc(0), consumed: bodyStart, reusable: !close };
  if (contentLength !== null) {
    const end = bodyStart + contentLength;
    if (end > maxBytes) return { kind: 'error', message: `answer larger than ${maxBytes} bytes` };
    if (buf.length < end) return ended ? { kind: 'error', message: 'connection closed inside the body' } : { kind: 'incomplete' };
    return { kind: 'done', status, body: buf.subarray(bodyStart, end), consumed: end, reusable: !close };
  }
  if (chunked) return readChunked(buf, bodyStart, ended, status, close);
  // Neither: the body runs to the close, and the connection ends with it.
  if (!ended) return { kind: 'incomplete' };
  return { kind: 'done', status, body: buf.subarray(bodyStart), consumed: buf.length, reusable: false };
}

function readChunked(buf: Buffer, start: number, ended: boolean, status: number, close: boolean): Http1Answer {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buf.indexOf(CRLF, at);
    if (lineEnd < 0) return ended ? { kind: 'error', message: 'connection closed inside a chunk' } : { kind: 'incomplete' };
    const sizeField = buf.subarray(at, lineEnd).toString('latin1').split(';', 1)[0]!.trim();
    if (!/^[0-9a-fA-F]{1,7}$/.test(sizeField)) return { kind: 'error', message: `bad chunk size: ${JSON.stringify(sizeField.slice(0, 20))}` };
    const size = parseInt(sizeField, 16);
    at = lineEnd + CRLF.length;
    if (size === 0) {
      // Trailer fields, if any, then the empty line.
      for (;;) {
        const end = buf.indexOf(CRLF, at);
        if (end < 0) return ended ? { kind: 'error', message: 'connection closed inside the trailers' } : { kind: 'incomplete' };
        const empty = end === at;
        at = end + CRLF.length;
        if (empty) return { kind: 'done', status, body: Buffer.concat(parts), consumed: at, reusable: !close };
      }
    }
    if (buf.length < at + size + CRLF.length)
      return ended ? { kind: 'error', message: 'connection closed inside a chunk' } : { kind: 'incomplete' };
    if (!buf.subarray(at + size, at + size + CRLF.length).equals(CRLF)) return { kind: 'error', message: 'chunk not followed by CRLF' };
    parts.push(buf.subarray(at, at + size));
    at += size + CRLF.length;
  }
}
