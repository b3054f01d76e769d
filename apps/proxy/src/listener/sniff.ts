// Protocol sniffing from the first bytes of a connection, without consuming them (the caller replays
// them into the chosen codec): HTTP/2 prior-knowledge preface, Dubbo's magic 0xdabb, an HTTP/1 request
// line, else raw TCP. Envoy's http_inspector reports "h2c" / "http/1.1"; Dubbo is Strait's addition.

export type Sniffed = 'h2c' | 'http/1.1' | 'dubbo' | 'tcp';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'].map((m) =>
  Buffer.from(`${m} `),
);

/** Bytes that always suffice to decide. */
export const SNIFF_BYTES = H2_PREFACE.length;

function isPrefixOf(buf: Buffer, full: Buffer): boolean {
  const n = Math.min(buf.length, full.length);
  return buf.subarray(0, n).equals(full.subarray(0, n));
}

/** The protocol, or 'more' when `buf` is still a prefix of something recognisable. */
export function sniff(buf: Buffer): Sniffed | 'more' {
  if (buf.length === 0) return 'more';
  if (buf[0] === 0xda) {
    if (buf.length === 1) return 'more';
    if (buf[1] === 0xbb) return 'dubbo';
  }
  if (isPrefixOf(buf, H2_PREFACE)) return buf.length >= H2_PREFACE.length ? 'h2c' : 'more';
  let partial = false;
  for (const m of METHODS) {
    if (!isPrefixOf(buf, m)) continue;
    if (buf.length >= m.length) return 'http/1.1';
    partial = true;
  }
  return partial ? 'more' : 'tcp';
}
