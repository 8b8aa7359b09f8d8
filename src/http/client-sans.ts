/**
 * client_allowed_sans: the Subject Alternative Names of a client certificate as exporter-toolkit
 * compares them (TLSConfig.VerifyPeerCertificate in web/tls_config.go): DNS names, then e-mail
 * addresses, then IP addresses written as Go's net.IP.String() writes them, then URIs; a certificate
 * passes when one of them equals one allowed value exactly.
 *
 * Read from the certificate's DER rather than from Node's printed subjectAltName, so that the text
 * compared is the bytes the certificate holds, whatever characters they are. A certificate whose SAN
 * extension cannot be read yields null: refused, as Go fails to parse such a certificate.
 */

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/** One DER tag-length-value at `at` inside [at, limit). Throws on anything malformed. */
function tlv(der: Buffer, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new Error('truncated');
  const tag = der[at] as number;
  if ((tag & 0x1f) === 0x1f) throw new Error('long tag');
  let len = der[at + 1] as number;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw new Error('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[start + i] as number);
    start += n;
  }
  if (start + len > limit) throw new Error('truncated');
  return { tag, start, end: start + len };
}

function children(der: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end;) {
    const t = tlv(der, at, parent.end);
    out.push(t);
    at = t.end;
  }
  return out;
}

/** 2.5.29.17, subjectAltName, as DER OID content bytes. */
const SAN_OID = Buffer.from([0x55, 0x1d, 0x11]);

/** The SAN values in Go's order (DNS, e-mail, IP, URI), [] without the extension, null if unreadable. */
export function certificateSans(der: Buffer): string[] | null {
  try {
    const cert = tlv(der, 0, der.length);
    const tbs = children(der, cert)[0];
    if (!tbs || tbs.tag !== 0x30) return null;
    const extsWrapper = children(der, tbs).find((t) => t.tag === 0xa3); // [3] EXPLICIT Extensions
    if (!extsWrapper) return [];
    const exts = children(der, extsWrapper)[0];
    if (!exts || exts.tag !== 0x30) return null;
    for (const ext of children(der, exts)) {
      const parts = children(der, ext);
      const oid = parts[0];
      if (!oid || oid.tag !== 0x06 || !der.subarray(oid.start, oid.end).equals(SAN_OID)) continue;
      const value = parts[parts.length - 1];
      if (!value || value.tag !== 0x04) return null;
      const names = tlv(der, value.start, value.end);
      if (names.tag !== 0x30) return null;
      return sansOf(der, children(der, names));
    }
    return [];
  } catch {
    return null;
  }
}

function sansOf(der: Buffer, names: Tlv[]): string[] | null {
  const dns: string[] = [];
  const email: string[] = [];
  const ip: string[] = [];
  const uri: string[] = [];
  for (const n of names) {
    const bytes = der.subarray(n.start, n.end);
    // GeneralName, IMPLICIT tags: [1] rfc822Name, [2] dNSName, [6] URI (IA5String), [7] iPAddress.
    if (n.tag === 0x81 || n.tag === 0x82 || n.tag === 0x86) {
      if (bytes.some((b) => b > 0x7f)) return null; // Go refuses a non-IA5 name
      const text = bytes.toString('latin1');
      (n.tag === 0x81 ? email : n.tag === 0x82 ? dns : uri).push(text);
    } else if (n.tag === 0x87) {
      if (bytes.length !== 4 && bytes.length !== 16) return null;
      ip.push(goIpString(bytes));
    }
  }
  return [...dns, ...email, ...ip, ...uri];
}

/** Go's net.IP.String(): dotted IPv4 (an IPv4-mapped IPv6 address too), else RFC 5952 IPv6. */
export function goIpString(b: Buffer): string {
  const mapped = b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (b.length === 4 || mapped) return [...b.subarray(b.length - 4)].join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] as number) << 8) | (b[i + 1] as number));
  // The longest run of two or more zero groups (the first of equal runs) becomes "::".
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

/** Why a client certificate is refused under client_allowed_sans, or null when it passes. */
export function sanRefusal(allowed: readonly string[], der: Buffer | null): string | null {
  if (der === null) return 'no client certificate (client_allowed_sans needs one)';
  const sans = certificateSans(der);
  if (sans === null) return 'the client certificate has a Subject Alternative Name extension that cannot be read';
  return sans.some((s) => allowed.includes(s)) ? null : 'the client certificate carries none of client_allowed_sans';
}
