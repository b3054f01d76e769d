// TLS ClientHello inspection for filter chain matching (Envoy's envoy.filters.listener.tls_inspector):
// reads the TLS records a client sends first, reassembles the ClientHello handshake message (it may be
// split across records and across TCP reads) and extracts the SNI host name and the ALPN list. It only
// reads: the caller replays every byte to the upstream untouched (TLS passthrough, no termination).
// Incremental and bounded: each byte is looked at a constant number of times and at most `maxBytes`
// are ever buffered, so a client trickling tiny records or announcing huge lengths cannot cost more.

/** Envoy's default cap on the bytes the TLS inspector reads before giving up (client_hello_too_large). */
export const DEFAULT_MAX_CLIENT_HELLO_BYTES = 64 * 1024;

const RECORD_HEADER = 5;
const HANDSHAKE_HEADER = 4;
const CONTENT_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
/** RFC 8446 §5.1: a TLSPlaintext fragment is at most 2^14 bytes. */
const MAX_RECORD_PAYLOAD = 1 << 14;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
const SNI_HOST_NAME = 0x00;

export type ClientHelloResult =
  /** Not a TLS handshake record: the connection is plain bytes ("raw_buffer"). */
  | { kind: 'not_tls' }
  /** A complete, well-formed ClientHello. `serverName` is lower case, '' when the client sent none. */
  | { kind: 'tls'; serverName: string; alpn: string[] }
  /** Looked like TLS but is malformed; `reason` says where. */
  | { kind: 'invalid'; reason: string }
  /** The ClientHello (with its record framing) does not fit in `maxBytes`. */
  | { kind: 'too_large' };

class Malformed extends Error {}

/** Bounds-checked reads over one buffer; every overrun is a Malformed naming the field. */
class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  private need(n: number, what: string): void {
    if (this.remaining < n) throw new Malformed(`${what} runs past the end of its enclosing field`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** A length-prefixed vector (`prefix` bytes of length). */
  vector(prefix: 1 | 2, what: string): Reader {
    const n = prefix === 1 ? this.u8(`${what} length`) : this.u16(`${what} length`);
    return new Reader(this.bytes(n, what));
  }
}

/**
 * Feed it the connection's bytes as they arrive; `push` answers 'more' until it can decide. After a
 * decision it keeps answering the same result.
 */
export class ClientHelloParser {
  /** Bytes of the complete records consumed so far. */
  private consumed = 0;
  private pending: Buffer = Buffer.alloc(0);
  private seen = 0;
  private handshake: Buffer[] = [];
  private handshakeBytes = 0;
  private bodyLen: number | undefined;
  private result: ClientHelloResult | undefined;

  constructor(private readonly maxBytes = DEFAULT_MAX_CLIENT_HELLO_BYTES) {}

  push(chunk: Buffer): ClientHelloResult | 'more' {
    if (this.result) return this.result;
    this.seen += chunk.length;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.result = this.step();
    if (!this.result && this.seen >= this.maxBytes) this.result = { kind: 'too_large' };
    return this.result ?? 'more';
  }

  /** Consumes every complete record in `pending`; a result once the hello is complete or broken. */
  private step(): ClientHelloResult | undefined {
    // The first bytes decide whether this is TLS at all: a handshake record of TLS 1.0-1.3 framing.
    if (this.consumed === 0) {
      const p = this.pending;
      if (p.length >= 1 && p[0] !== CONTENT_HANDSHAKE) return { kind: 'not_tls' };
      if (p.length >= 2 && p[1] !== 0x03) return { kind: 'not_tls' };
      if (p.length >= 3 && p[2]! > 0x04) return { kind: 'not_tls' };
    }
    while (this.pending.length >= RECORD_HEADER) {
      const p = this.pending;
      if (p[0] !== CONTENT_HANDSHAKE)
        return invalid(`${this.recordIndex()} has content type ${p[0]} before the ClientHello ended`);
      if (p[1] !== 0x03) return invalid(`${this.recordIndex()} has version ${p[1]}.${p[2]}`);
      const len = p.readUInt16BE(3);
      if (len === 0) return invalid(`${this.recordIndex()} is empty`);
      if (len > MAX_RECORD_PAYLOAD)
        return invalid(`${this.recordIndex()} is ${len} bytes, above the 16384-byte limit`);
      // A record that can never fit: stop now rather than buffer up to the limit.
      if (this.consumed + RECORD_HEADER + len > this.maxBytes) return { kind: 'too_large' };
      if (p.length < RECORD_HEADER + len) return undefined;
      const payload = p.subarray(RECORD_HEADER, RECORD_HEADER + len);
      this.consumed += RECORD_HEADER + len;
      this.pending = p.subarray(RECORD_HEADER + len);
      this.handshake.push(payload);
      this.handshakeBytes += payload.length;
      const r = this.tryHandshake();
      if (r) return r;
    }
    return undefined;
  }

  private recordIndex(): string {
    return this.consumed === 0 ? 'the first record' : 'a record';
  }

  private tryHandshake(): ClientHelloResult | undefined {
    if (this.handshakeBytes < HANDSHAKE_HEADER) return undefined;
    if (this.bodyLen === undefined) {
      // Only the 4 header bytes are joined here; the body is joined once, when complete (tiny records
      // must not make this quadratic).
      const head = Buffer.concat(this.handshake).subarray(0, HANDSHAKE_HEADER);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO)
        return invalid(`the first handshake message has type ${head[0]}, not ClientHello (1)`);
      this.bodyLen = head.readUIntBE(1, 3);
      // A lower bound (later fragments add record headers): a hello that cannot fit fails now.
      if (RECORD_HEADER + HANDSHAKE_HEADER + this.bodyLen > this.maxBytes) return { kind: 'too_large' };
    }
    if (this.handshakeBytes < HANDSHAKE_HEADER + this.bodyLen) return undefined;
    const hs = Buffer.concat(this.handshake);
    try {
      return parseClientHelloBody(hs.subarray(HANDSHAKE_HEADER, HANDSHAKE_HEADER + this.bodyLen));
    } catch (err) {
      if (err instanceof Malformed) return invalid(err.message);
      throw err;
    }
  }
}

function invalid(reason: string): ClientHelloResult {
  return { kind: 'invalid', reason };
}

/** The ClientHello body (RFC 8446 §4.1.2, compatible with TLS 1.0-1.2 hellos). */
export function parseClientHelloBody(body: Buffer): ClientHelloResult {
  const r = new Reader(body);
  const major = r.u8('legacy_version');
  r.u8('legacy_version');
  if (major !== 0x03) throw new Malformed(`legacy_version major ${major} is not 3`);
  r.bytes(32, 'random');
  const session = r.vector(1, 'legacy_session_id');
  if (session.remaining > 32) throw new Malformed('legacy_session_id is longer than 32 bytes');
  const suites = r.vector(2, 'cipher_suites');
  if (suites.remaining === 0 || suites.remaining % 2 !== 0)
    throw new Malformed('cipher_suites is empty or of odd length');
  const compression = r.vector(1, 'legacy_compression_methods');
  if (compression.remaining === 0) throw new Malformed('legacy_compression_methods is empty');
  let serverName = '';
  let alpn: string[] = [];
  // Extensions are optional in pre-TLS 1.3 hellos: no bytes left means none.
  if (r.remaining > 0) {
    const exts = r.vector(2, 'extensions');
    if (r.remaining !== 0) throw new Malformed('bytes after the extensions');
    const seen = new Set<number>();
    while (exts.remaining > 0) {
      const type = exts.u16('extension type');
      const data = exts.vector(2, `extension ${type}`);
      if (seen.has(type)) throw new Malformed(`extension ${type} appears twice`);
      seen.add(type);
      if (type === EXT_SERVER_NAME) serverName = parseServerName(data);
      else if (type === EXT_ALPN) alpn = parseAlpn(data);
    }
  }
  return { kind: 'tls', serverName, alpn };
}

/** server_name (RFC 6066 §3): one host_name entry; letters are compared case-insensitively. */
function parseServerName(data: Reader): string {
  const list = data.vector(2, 'server_name_list');
  if (data.remaining !== 0) throw new Malformed('bytes after server_name_list');
  let host = '';
  while (list.remaining > 0) {
    const type = list.u8('server name type');
    const entry = list.vector(2, 'server name');
    const name = entry.bytes(entry.remaining, 'server name');
    if (type !== SNI_HOST_NAME) continue;
    if (host) throw new Malformed('server_name has more than one host_name');
    if (name.length === 0 || name.length > 255)
      throw new Malformed('host_name is empty or longer than 255 bytes');
    for (const b of name) {
      // Printable ASCII without spaces: anything else (NUL, UTF-8) cannot be a DNS name on the wire.
      if (b < 0x21 || b > 0x7e)
        throw new Malformed(`host_name has byte 0x${b.toString(16).padStart(2, '0')}`);
    }
    host = name.toString('latin1').toLowerCase();
    if (host.endsWith('.')) throw new Malformed('host_name ends with a dot');
  }
  if (!host) throw new Malformed('server_name has no host_name');
  return host;
}

/** application_layer_protocol_negotiation (RFC 7301 §3.1): non-empty protocol names. */
function parseAlpn(data: Reader): string[] {
  const list = data.vector(2, 'protocol_name_list');
  if (data.remaining !== 0) throw new Malformed('bytes after protocol_name_list');
  const out: string[] = [];
  while (list.remaining > 0) {
    const name = list.vector(1, 'protocol name');
    if (name.remaining === 0) throw new Malformed('an ALPN protocol name is empty');
    out.push(name.bytes(name.remaining, 'protocol name').toString('latin1'));
  }
  if (out.length === 0) throw new Malformed('protocol_name_list is empty');
  return out;
}
