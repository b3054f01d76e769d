// A raw xDS client over real gRPC for protocol tests: sends requests as given and hands back decoded
// responses in order, so a test can ACK, NACK, reuse stale nonces and reconnect at will.
import * as grpc from '@grpc/grpc-js';
import { envoy, type google } from '@strait/xds';

const D = envoy.service.discovery.v3;
export type DiscoveryRequest = envoy.service.discovery.v3.DiscoveryRequest.$Properties;
export type DiscoveryResponse = envoy.service.discovery.v3.DiscoveryResponse;
export type DeltaDiscoveryRequest = envoy.service.discovery.v3.DeltaDiscoveryRequest.$Properties;
export type DeltaDiscoveryResponse = envoy.service.discovery.v3.DeltaDiscoveryResponse;

export const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
export const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

const def = {
  sotw: {
    path: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
    requestStream: true,
    responseStream: true,
    requestSerialize: (m: DiscoveryRequest) => Buffer.from(D.DiscoveryRequest.encode(m).finish()),
    requestDeserialize: (b: Buffer) => D.DiscoveryRequest.decode(b),
    responseSerialize: (m: DiscoveryResponse) => Buffer.from(D.DiscoveryResponse.encode(m).finish()),
    responseDeserialize: (b: Buffer): DiscoveryResponse => D.DiscoveryResponse.decode(b),
  },
  delta: {
    path: '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
    requestStream: true,
    responseStream: true,
    requestSerialize: (m: DeltaDiscoveryRequest) => Buffer.from(D.DeltaDiscoveryRequest.encode(m).finish()),
    requestDeserialize: (b: Buffer) => D.DeltaDiscoveryRequest.decode(b),
    responseSerialize: (m: DeltaDiscoveryResponse) =>
      Buffer.from(D.DeltaDiscoveryResponse.encode(m).finish()),
    responseDeserialize: (b: Buffer): DeltaDiscoveryResponse => D.DeltaDiscoveryResponse.decode(b),
  },
};

export type NodeSpec = envoy.config.core.v3.Node.$Properties;

export function node(
  id: string,
  meta: Record<string, string> = {},
  labels: Record<string, string> = {},
): NodeSpec {
  const fields: Record<string, google.protobuf.Value.$Properties> = {};
  for (const [k, v] of Object.entries(meta)) fields[k] = { stringValue: v };
  if (Object.keys(labels).length > 0) {
    const lf: Record<string, google.protobuf.Value.$Properties> = {};
    for (const [k, v] of Object.entries(labels)) lf[k] = { stringValue: v };
    fields['LABELS'] = { structValue: { fields: lf } };
  }
  return { id, metadata: { fields } };
}

class Stream<Req, Res> {
  private readonly queue: Res[] = [];
  private waiters: ((r: Res) => void)[] = [];
  status: grpc.StatusObject | undefined;
  error: grpc.ServiceError | undefined;
  readonly closed: Promise<void>;

  constructor(private readonly call: grpc.ClientDuplexStream<Req, Res>) {
    call.on('data', (r: Res) => {
      const w = this.waiters.shift();
      if (w) w(r);
      else this.queue.push(r);
    });
    this.closed = new Promise((resolve) => {
      call.on('status', (s: grpc.StatusObject) => {
        this.status = s;
        resolve();
      });
      call.on('error', (e: grpc.ServiceError) => {
        this.error = e;
      });
    });
  }

  send(req: Req): void {
    this.call.write(req);
  }

  /** The next response, or a rejection after `timeoutMs`. */
  next(timeoutMs = 5000): Promise<Res> {
    const r = this.queue.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new Error(`no response within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (x: Res) => {
        clearTimeout(t);
        resolve(x);
      };
      this.waiters.push(done);
    });
  }

  /** Resolves true if nothing arrives within `ms`. */
  async quiet(ms: number): Promise<boolean> {
    if (this.queue.length > 0) return false;
    try {
      await this.next(ms).then((r) => this.queue.unshift(r));
      return false;
    } catch {
      return true;
    }
  }

  end(): void {
    this.call.end();
  }

  /** Stops reading: HTTP/2 flow control then stops the server's writes (a stuck proxy). */
  pause(): void {
    this.call.pause();
  }

  cancel(): void {
    this.call.cancel();
  }
}

export type SotwStream = Stream<DiscoveryRequest, DiscoveryResponse>;
export type DeltaStream = Stream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

export class XdsTestClient {
  private readonly client: grpc.Client;

  /** Plaintext by default; pass TLS credentials (and channel options) for the TLS listener. */
  constructor(
    address: string,
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
    options: grpc.ChannelOptions = {},
  ) {
    this.client = new grpc.Client(address, credentials, options);
  }

  /** `metadata`: e.g. `authorization: Bearer <token>` for the TLS listener. */
  sotw(metadata?: grpc.Metadata): SotwStream {
    const d = def.sotw;
    return new Stream(
      this.client.makeBidiStreamRequest(
        d.path,
        d.requestSerialize,
        d.responseDeserialize,
        metadata ?? new grpc.Metadata(),
      ),
    );
  }

  delta(metadata?: grpc.Metadata): DeltaStream {
    const d = def.delta;
    return new Stream(
      this.client.makeBidiStreamRequest(
        d.path,
        d.requestSerialize,
        d.responseDeserialize,
        metadata ?? new grpc.Metadata(),
      ),
    );
  }

  close(): void {
    this.client.close();
  }
}

const decoders = {
  [CDS]: envoy.config.cluster.v3.Cluster,
  [EDS]: envoy.config.endpoint.v3.ClusterLoadAssignment,
  [LDS]: envoy.config.listener.v3.Listener,
  [RDS]: envoy.config.route.v3.RouteConfiguration,
};

export function decodeAny<T extends keyof typeof decoders>(
  typeUrl: T,
  any: google.protobuf.Any.$Properties,
): ReturnType<(typeof decoders)[T]['decode']> {
  return decoders[typeUrl].decode(any.value ?? new Uint8Array()) as ReturnType<
    (typeof decoders)[T]['decode']
  >;
}

export function names(resp: DiscoveryResponse): string[] {
  const url = resp.typeUrl as keyof typeof decoders;
  return resp.resources.map((r) => {
    const m = decodeAny(url, r) as { name?: string; clusterName?: string };
    return m.name || m.clusterName || '';
  });
}
