// The ClientHello parser on hellos Node's own TLS client sends (captured from a local socket at test
// time), re-framed into many records, split across reads, truncated, mutated and oversized.
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientHelloParser, type ClientHelloResult } from '../../src/listener/client-hello.js';

let server: net.Server;
let port: number;
let waiting: ((b: Buffer) => void)[] = [];

/** The first TLS record a real `tls.connect` sends (its ClientHello), read off a plain TCP socket. */
async function capture(opts: tls.ConnectionOptions): Promise<Buffer> {
  const got = new Promise<Buffer>((resolve) => waiting.push(resolve));
  const c = tls.connect({ host: '127.0.0.1', port, ...opts });
  c.on('error', () => {});
  const hello = await got;
  c.destroy();
  return hello;
}

beforeAll(async () => {
  server = net.createServer((s) => {
    let buf = Buffer.alloc(0);
    s.on('error', () => {});
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      // Record framing only (type, version, 2-byte length): the test does not trust the parser for it.
      if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
        waiting.shift()?.(buf.subarray(0, 5 + buf.readUInt16BE(3)));
        s.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(() => {
  waiting = [];
  server.close();
});

function parseAll(bytes: Buffer, max?: number): ClientHelloResult | 'more' {
  return new ClientHelloParser(max).push(bytes);
}

/** The same handshake bytes re-framed into records of at most `size` payload bytes. */
function reframe(hello: Buffer, size: number): Buffer {
  const hs = hello.subarray(5);
  const parts: Buffer[] = [];
  for (let off = 0; off < hs.length; off += size) {
    const payload = hs.subarray(off, off + size);
    const header = Buffer.from([0x16, 0x03, 0x01, 0, 0]);
    header.writeUInt16BE(payload.length, 3);
    parts.push(header, payload);
  }
  return Buffer.concat(parts);
}

describe('ClientHelloParser on real hellos', () => {
  it('reads SNI and ALPN from a TLS 1.3 client', async () => {
    const hello = await capture({ servername: 'a.example.com', ALPNProtocols: ['h2', 'http/1.1'] });
    expect(parseAll(hello)).toEqual({ kind: 'tls', serverName: 'a.example.com', alpn: ['h2', 'http/1.1'] });
  });

  it('reads a TLS 1.2-only hello, lower-cases the name, and reports no ALPN when none is offered', async () => {
    const hello = await capture({ servername: 'B.Example.COM', maxVersion: 'TLSv1.2' });
    expect(parseAll(hello)).toEqual({ kind: 'tls', serverName: 'b.example.com', alpn: [] });
  });

  it('reports no server name when the client sends none (connecting to an IP address)', async () => {
    const hello = await capture({ ALPNProtocols: ['istio'] });
    expect(parseAll(hello)).toEqual({ kind: 'tls', serverName: '', alpn: ['istio'] });
  });

  it('waits for more on every strict prefix and decides on the last byte, one byte per read', async () => {
    const hello = await capture({ servername: 'c.example.com' });
    const p = new ClientHelloParser();
    for (let i = 0; i < hello.length - 1; i++) expect(p.push(hello.subarray(i, i + 1))).toBe('more');
    expect(p.push(hello.subarray(hello.length - 1))).toMatchObject({
      kind: 'tls',
      serverName: 'c.example.com',
    });
  });

  it.each([1, 7, 64, 300])('reassembles a hello fragmented into %i-byte records', async (size) => {
    const hello = await capture({ servername: 'frag.example.com', ALPNProtocols: ['x'] });
    const framed = reframe(hello, size);
    expect(framed.length).toBeGreaterThan(hello.length);
    // Also split across reads at an awkward stride that cuts through record headers.
    const p = new ClientHelloParser();
    let last: ClientHelloResult | 'more' = 'more';
    for (let i = 0; i < framed.length; i += 3) last = p.push(framed.subarray(i, i + 3));
    expect(last).toEqual({ kind: 'tls', serverName: 'frag.example.com', alpn: ['x'] });
  });

  it('ignores bytes after the hello (they are replayed by the caller, not parsed)', async () => {
    const hello = await capture({ servername: 'a.example.com' });
    const r = parseAll(Buffer.concat([hello, Buffer.from('trailing application bytes')]));
    expect(r).toMatchObject({ kind: 'tls', serverName: 'a.example.com' });
  });
});

describe('ClientHelloParser on hostile and non-TLS input', () => {
  it.each([
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\n')],
    ['an SSH banner', Buffer.from('SSH-2.0-x\r\n')],
    ['a handshake type byte with another version', Buffer.from([0x16, 0x02, 0x00])],
    ['TLS framing with version 3.9', Buffer.from([0x16, 0x03, 0x09])],
  ])('%s is not TLS', (_, bytes) => {
    expect(parseAll(bytes)).toEqual({ kind: 'not_tls' });
  });

  it('decides "not TLS" from the first byte alone', () => {
    expect(new ClientHelloParser().push(Buffer.from([0x47]))).toEqual({ kind: 'not_tls' });
    expect(new ClientHelloParser().push(Buffer.from([0x16]))).toBe('more');
  });

  it.each([
    ['an empty record', Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00])],
    ['a record above 2^14 bytes', Buffer.from([0x16, 0x03, 0x01, 0x40, 0x01])],
    ['a ServerHello instead of a ClientHello', Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0, 0, 0])],
  ])('rejects %s', (_, bytes) => {
    expect(parseAll(bytes)).toMatchObject({ kind: 'invalid' });
  });

  it('rejects a hello whose extensions length overruns its body', async () => {
    const hello = Buffer.from(await capture({ servername: 'a.example.com' }));
    // Extensions length sits right after compression methods; find it by walking the fixed fields.
    let off = 5 + 4 + 2 + 32;
    off += 1 + hello[off]!;
    off += 2 + hello.readUInt16BE(off);
    off += 1 + hello[off]!;
    hello.writeUInt16BE(hello.readUInt16BE(off) + 1, off);
    expect(parseAll(hello)).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('extensions') });
  });

  it('rejects a non-handshake record in the middle of a fragmented hello', async () => {
    const framed = Buffer.from(reframe(await capture({ servername: 'a.example.com' }), 40));
    framed[45] = 0x17; // second record's content type: application data
    expect(parseAll(framed)).toMatchObject({ kind: 'invalid' });
  });

  it('announcing a huge handshake is too large as soon as its header arrives', () => {
    const p = new ClientHelloParser();
    const r = p.push(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x10, 0x00, 0x00]));
    expect(r).toEqual({ kind: 'too_large' });
  });

  it('a hello that outgrows the limit in small records is too large, never buffered past it', async () => {
    const framed = reframe(await capture({ servername: 'a.example.com' }), 1);
    // Each 1-byte fragment costs 6 bytes on the wire; a 256-byte cap is hit long before the end.
    const p = new ClientHelloParser(256);
    let r: ClientHelloResult | 'more' = 'more';
    let fed = 0;
    while (r === 'more' && fed < framed.length) {
      r = p.push(framed.subarray(fed, fed + 50));
      fed += 50;
    }
    expect(r).toEqual({ kind: 'too_large' });
    expect(fed).toBeLessThanOrEqual(256 + 50);
  });

  it('never throws on truncations or byte flips of a real hello', async () => {
    const hello = await capture({ servername: 'fuzz.example.com', ALPNProtocols: ['h2'] });
    for (let n = 0; n < hello.length; n++) expect(parseAll(hello.subarray(0, n))).toBe('more');
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const kinds = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const m = Buffer.from(hello);
      m[5 + (rand() % (m.length - 5))] = rand() & 0xff;
      const r = parseAll(m);
      kinds.add(r === 'more' ? 'more' : r.kind);
    }
    // Flips land in ignored fields (random, cipher list) as well as in lengths: both outcomes occur.
    expect(kinds.has('tls')).toBe(true);
    expect(kinds.has('invalid')).toBe(true);
  });
});
