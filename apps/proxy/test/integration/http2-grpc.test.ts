import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../src/proxy.js';
import {
  h2Upstream,
  httpBootstrap,
  httpUpstream,
  startProxy,
  staticCluster,
  type Upstream,
} from '../helpers/harness.js';

const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as unknown,
};
const method = (name: string, requestStream: boolean, responseStream: boolean) => ({
  path: `/strait.test.Echo/${name}`,
  requestStream,
  responseStream,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
});
const EchoService = {
  unary: method('Unary', false, false),
  serverStream: method('ServerStream', false, true),
  bidi: method('Bidi', true, true),
} as const;
type Msg = { text: string; n?: number };

function h2get(
  port: number,
  path: string,
  authority = 'h2.example.com',
): Promise<{ status: number; body: string; headers: http2.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const c = http2.connect(`http://127.0.0.1:${port}`);
    c.on('error', reject);
    const s = c.request({ ':path': path, ':authority': authority });
    let body = '';
    let headers: http2.IncomingHttpHeaders = {};
    s.on('response', (h) => {
      headers = h;
    });
    s.on('data', (d: Buffer) => {
      body += d.toString();
    });
    s.on('end', () => {
      c.close();
      resolve({ status: Number(headers[':status']), body, headers });
    });
    s.on('error', reject);
    s.end();
  });
}

describe('HTTP/2 (h2c) and gRPC through the proxy', () => {
  let grpcServer: grpc.Server;
  let grpcPort: number;
  let h1: Upstream;
  let h2: Upstream;
  let proxy: StraitProxy;
  let port: number;

  beforeAll(async () => {
    grpcServer = new grpc.Server();
    grpcServer.addService(EchoService, {
      unary: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
        if (call.request.text === 'fail') {
          cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' });
          return;
        }
        const trailer = new grpc.Metadata();
        trailer.set('x-trailer', 'done');
        cb(null, { text: `echo:${call.request.text}:${call.metadata.get('x-client')[0] ?? ''}` }, trailer);
      },
      serverStream: (call: grpc.ServerWritableStream<Msg, Msg>) => {
        for (let i = 0; i < 5; i++) call.write({ text: call.request.text, n: i });
        call.end();
      },
      bidi: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
        call.on('data', (m: Msg) => call.write({ text: `re:${m.text}` }));
        call.on('end', () => call.end());
      },
    });
    grpcPort = await new Promise<number>((resolve, reject) =>
      grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    h1 = await httpUpstream('h1');
    h2 = await h2Upstream('h2');
    const h2opts = 'http2_protocol_options: {}';
    proxy = await startProxy(
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes:
    - match: { prefix: "/strait.test.Echo/", grpc: {} }
      route: { cluster: grpc, timeout: 0s }
    - match: { prefix: "/to-h2" }
      route: { cluster: h2 }
    - match: { prefix: "/" }
      route: { cluster: h1 }`,
        staticCluster('grpc', [grpcPort], h2opts) +
          staticCluster('h2', [h2.port], h2opts) +
          staticCluster('h1', [h1.port]),
      ),
    );
    port = proxy.listenerPort('http')!;
  });

  afterAll(async () => {
    await proxy.shutdown();
    grpcServer.forceShutdown();
    await h1.close();
    await h2.close();
  });

  it('serves h2c downstream to HTTP/1.1 and HTTP/2 upstreams', async () => {
    const r1 = await h2get(port, '/plain');
    expect(r1.status).toBe(200);
    expect(JSON.parse(r1.body)).toMatchObject({
      name: 'h1',
      url: '/plain',
      headers: { host: 'h2.example.com' },
    });
    const r2 = await h2get(port, '/to-h2/x');
    expect(JSON.parse(r2.body)).toMatchObject({ name: 'h2', path: '/to-h2/x' });
    expect(r2.headers['x-upstream']).toBe('h2');
  });

  it('proxies gRPC unary calls with metadata, trailers and error statuses', async () => {
    const Client = grpc.makeGenericClientConstructor(EchoService, 'Echo');
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as {
      unary(
        m: Msg,
        md: grpc.Metadata,
        cb: (e: grpc.ServiceError | null, r?: Msg) => void,
      ): grpc.ClientUnaryCall;
      close(): void;
    };
    const md = new grpc.Metadata();
    md.set('x-client', 'c1');
    let trailer: grpc.Metadata | undefined;
    const reply = await new Promise<Msg | undefined>((resolve, reject) => {
      const call = client.unary({ text: 'hi' }, md, (e, r) => (e ? reject(e) : resolve(r)));
      call.on('status', (s: grpc.StatusObject) => {
        trailer = s.metadata;
      });
    });
    expect(reply).toEqual({ text: 'echo:hi:c1' });
    await new Promise((r) => setTimeout(r, 20));
    expect(trailer?.get('x-trailer')).toEqual(['done']);
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      client.unary({ text: 'fail' }, new grpc.Metadata(), (e) => resolve(e!)),
    );
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.details).toBe('no such thing');
    client.close();
  });

  it('proxies gRPC server streaming and bidirectional streaming', async () => {
    const Client = grpc.makeGenericClientConstructor(EchoService, 'Echo');
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as {
      serverStream(m: Msg): grpc.ClientReadableStream<Msg>;
      bidi(): grpc.ClientDuplexStream<Msg, Msg>;
      close(): void;
    };
    const got: Msg[] = [];
    await new Promise<void>((resolve, reject) => {
      const s = client.serverStream({ text: 'tick' });
      s.on('data', (m: Msg) => got.push(m));
      s.on('end', () => resolve());
      s.on('error', reject);
    });
    expect(got.map((m) => m.n)).toEqual([0, 1, 2, 3, 4]);

    const bidiGot: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const d = client.bidi();
      let sent = 0;
      d.on('data', (m: Msg) => {
        bidiGot.push(m.text);
        // Ping-pong: the next message goes only after the previous reply came back through the proxy.
        if (++sent < 3) d.write({ text: `m${sent}` });
        else d.end();
      });
      d.on('end', () => resolve());
      d.on('error', reject);
      d.write({ text: 'm0' });
    });
    expect(bidiGot).toEqual(['re:m0', 're:m1', 're:m2']);
    client.close();
  });

  it('answers gRPC requests it cannot route with a trailers-only gRPC status', async () => {
    const Client = grpc.makeGenericClientConstructor(
      { unary: { ...EchoService.unary, path: '/strait.test.Missing/Unary' } },
      'Missing',
    );
    proxy.removeCluster('h1');
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as {
      unary(m: Msg, cb: (e: grpc.ServiceError | null) => void): void;
      close(): void;
    };
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      client.unary({ text: 'x' }, (e) => resolve(e!)),
    );
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    client.close();
  });
});
