// A tiny ADS server on @strait/xds/stream's server state (the same protocol code the pilot uses) that
// serves whatever resources a test sets, including ones the pilot would never produce, and records
// every request so tests can read ACKs, NACKs and reconnect requests.
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { envoy, type google } from '@strait/xds';
import {
  DeltaServerConnection,
  type ResourceSnapshot,
  SotwServerConnection,
  type VersionedResource,
} from '@strait/xds/stream';

const D = envoy.service.discovery.v3;
const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService';
type Req = envoy.service.discovery.v3.DiscoveryRequest;
type DeltaReq = envoy.service.discovery.v3.DeltaDiscoveryRequest;
type Res = envoy.service.discovery.v3.DiscoveryResponse.$Properties;
type DeltaRes = envoy.service.discovery.v3.DeltaDiscoveryResponse.$Properties;

const definition = {
  StreamAggregatedResources: {
    path: `${SERVICE}/StreamAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (m: Req) => Buffer.from(D.DiscoveryRequest.encode(m).finish()),
    requestDeserialize: (b: Buffer) => D.DiscoveryRequest.decode(b),
    responseSerialize: (m: Res) => Buffer.from(D.DiscoveryResponse.encode(m).finish()),
    responseDeserialize: (b: Buffer) => D.DiscoveryResponse.decode(b),
  },
  DeltaAggregatedResources: {
    path: `${SERVICE}/DeltaAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (m: DeltaReq) => Buffer.from(D.DeltaDiscoveryRequest.encode(m).finish()),
    requestDeserialize: (b: Buffer) => D.DeltaDiscoveryRequest.decode(b),
    responseSerialize: (m: DeltaRes) => Buffer.from(D.DeltaDiscoveryResponse.encode(m).finish()),
    responseDeserialize: (b: Buffer) => D.DeltaDiscoveryResponse.decode(b),
  },
} satisfies grpc.ServiceDefinition;

export interface Recorded {
  stream: number;
  variant: 'sotw' | 'delta';
  typeUrl: string;
  node?: string;
  /** The whole Node of a stream's first request (id, cluster, metadata, locality, user agent). */
  nodeJson?: Record<string, unknown>;
  errorDetail?: string;
  nonce: string;
  versionInfo?: string;
  initialResourceVersions?: Record<string, string>;
  subscribe: string[];
}

type Conn =
  | { variant: 'sotw'; state: SotwServerConnection; write(r: Res): void; end(): void }
  | { variant: 'delta'; state: DeltaServerConnection; write(r: DeltaRes): void; end(): void };

export class FakeXdsServer {
  private readonly server = new grpc.Server();
  private readonly snapshots = new Map<string, Map<string, VersionedResource>>();
  private readonly conns = new Set<Conn>();
  readonly requests: Recorded[] = [];
  private streams = 0;
  port = 0;

  constructor() {
    this.server.addService(definition, {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<Req, Res>) => this.sotw(call),
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaReq, DeltaRes>) => this.delta(call),
    });
  }

  async listen(port = 0): Promise<number> {
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    return this.port;
  }

  /** Sets (or with `bytes` undefined, deletes) one resource and pushes every type to every stream. */
  set(typeUrl: string, name: string, bytes: Uint8Array | undefined): void {
    let snap = this.snapshots.get(typeUrl);
    if (!snap) {
      snap = new Map();
      this.snapshots.set(typeUrl, snap);
    }
    if (bytes === undefined) snap.delete(name);
    else {
      const resource: google.protobuf.Any.$Properties = { type_url: typeUrl, value: bytes };
      const version = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
      snap.set(name, { name, version, resource });
    }
  }

  push(): void {
    for (const c of this.conns) {
      for (const t of c.state.typeUrls()) this.respond(c, t);
    }
  }

  private snapshot(typeUrl: string): ResourceSnapshot {
    return this.snapshots.get(typeUrl) ?? new Map();
  }

  private respond(c: Conn, typeUrl: string): void {
    if (c.variant === 'sotw') {
      const r = c.state.respond(typeUrl, this.snapshot(typeUrl));
      if (r) c.write(r);
    } else {
      const r = c.state.respond(typeUrl, this.snapshot(typeUrl));
      if (r) c.write(r);
    }
  }

  private sotw(call: grpc.ServerDuplexStream<Req, Res>): void {
    const stream = ++this.streams;
    const conn: Conn = {
      variant: 'sotw',
      state: new SotwServerConnection(),
      write: (r) => call.write(r),
      end: () => call.end(),
    };
    this.conns.add(conn);
    call.on('data', (req: Req) => {
      this.requests.push({
        stream,
        variant: 'sotw',
        typeUrl: req.typeUrl,
        ...(req.node?.id
          ? {
              node: req.node.id,
              nodeJson: envoy.config.core.v3.Node.toObject(req.node as envoy.config.core.v3.Node) as Record<
                string,
                unknown
              >,
            }
          : {}),
        ...(req.errorDetail?.message ? { errorDetail: req.errorDetail.message } : {}),
        nonce: req.responseNonce,
        versionInfo: req.versionInfo,
        subscribe: [...req.resourceNames],
      });
      const r = conn.state.receive(req);
      if (r.kind === 'invalid') return call.end();
      if (r.mustRespond) this.respond(conn, r.typeUrl);
    });
    call.on('end', () => call.end());
    call.on('error', () => {});
    call.on('close', () => this.conns.delete(conn));
  }

  private delta(call: grpc.ServerDuplexStream<DeltaReq, DeltaRes>): void {
    const stream = ++this.streams;
    const conn: Conn = {
      variant: 'delta',
      state: new DeltaServerConnection(),
      write: (r) => call.write(r),
      end: () => call.end(),
    };
    this.conns.add(conn);
    call.on('data', (req: DeltaReq) => {
      const irv = req.initialResourceVersions ?? {};
      this.requests.push({
        stream,
        variant: 'delta',
        typeUrl: req.typeUrl,
        ...(req.node?.id
          ? {
              node: req.node.id,
              nodeJson: envoy.config.core.v3.Node.toObject(req.node as envoy.config.core.v3.Node) as Record<
                string,
                unknown
              >,
            }
          : {}),
        ...(req.errorDetail?.message ? { errorDetail: req.errorDetail.message } : {}),
        nonce: req.responseNonce,
        ...(Object.keys(irv).length > 0 ? { initialResourceVersions: { ...irv } } : {}),
        subscribe: [...req.resourceNamesSubscribe],
      });
      const r = conn.state.receive(req);
      if (r.kind === 'invalid') return call.end();
      if (r.mustRespond) this.respond(conn, r.typeUrl);
    });
    call.on('end', () => call.end());
    call.on('error', () => {});
    call.on('close', () => this.conns.delete(conn));
  }

  async close(): Promise<void> {
    // Abrupt, like a crashed or restarted control plane: streams are cut, not ended politely.
    this.server.forceShutdown();
    this.conns.clear();
  }
}
