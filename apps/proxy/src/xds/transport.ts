// The wire half of the ADS client: where the management server is (bootstrap ads_config, or an
// override), which variant to speak (api_type GRPC = State of the World, DELTA_GRPC = Delta), and one
// bidirectional gRPC stream at a time. Protocol state lives in @strait/xds/stream; this file only moves
// bytes and reports the stream's end, so the ADS client can be tested with a fake transport.
import * as grpc from '@grpc/grpc-js';
import { envoy } from '@strait/xds';
import type { Bootstrap } from '../config/bootstrap.js';
import { ProxyError } from '../errors.js';

const D = envoy.service.discovery.v3;
const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService';
const ApiType = envoy.config.core.v3.ApiConfigSource.ApiType;

export type Variant = 'sotw' | 'delta';
export type SotwRequest = envoy.service.discovery.v3.DiscoveryRequest.$Properties;
export type SotwResponse = envoy.service.discovery.v3.DiscoveryResponse;
export type DeltaRequest = envoy.service.discovery.v3.DeltaDiscoveryRequest.$Properties;
export type DeltaResponse = envoy.service.discovery.v3.DeltaDiscoveryResponse;

export interface XdsTarget {
  /** A grpc-js target: `host:port`, or `unix:///path` for the colocated pilot's socket. */
  readonly target: string;
  readonly variant: Variant;
  /** The bootstrap's ads_config initial_fetch_timeout (Envoy: 15 s default; 0 = wait forever). */
  readonly initialFetchTimeoutMs: number;
  /** envoy_grpc.retry_policy.retry_back_off, as Envoy reads it for the xDS stream (else 500 ms / 30 s). */
  readonly backoff?: { baseMs: number; maxMs: number };
}

/** Normalizes `--xds-address` (`HOST:PORT`, `unix:///path`, `unix:/path`) into a grpc-js target. */
export function normalizeTarget(address: string): string {
  // grpc-js understands `unix:/path` and `unix:///path` itself; `HOST:PORT` is a dns target.
  return address.trim();
}

function durationMs(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  if (!d) return undefined;
  return Number(d.seconds ?? 0) * 1000 + Math.round(Number(d.nanos ?? 0) / 1e6);
}

/**
 * Reads the xDS server from the bootstrap: `dynamic_resources.ads_config` with `envoy_grpc` naming a
 * static cluster (its first endpoint's socket_address or pipe), or `google_grpc.target_uri` (Envoy's
 * way to name a Unix socket without a cluster). `override` (`--xds-address`) replaces the address but
 * keeps the variant. Undefined when the bootstrap has no ads_config (static-only proxy).
 */
export function resolveXdsTarget(b: Bootstrap, override?: string): XdsTarget | undefined {
  const ads = b.dynamicResources?.adsConfig;
  if (!ads && !override) return undefined;
  const apiType = Number(ads?.apiType ?? ApiType.GRPC);
  let variant: Variant;
  if (apiType === ApiType.GRPC || apiType === ApiType.AGGREGATED_GRPC) variant = 'sotw';
  else if (apiType === ApiType.DELTA_GRPC || apiType === ApiType.AGGREGATED_DELTA_GRPC) variant = 'delta';
  else {
    throw new ProxyError(
      'PROXY_ERR_XDS_TARGET',
      `dynamic_resources.ads_config.api_type: ${apiType} is not GRPC or DELTA_GRPC`,
    );
  }
  const initialFetchTimeoutMs =
    durationMs(b.dynamicResources?.cdsConfig?.initialFetchTimeout) ??
    durationMs(b.dynamicResources?.ldsConfig?.initialFetchTimeout) ??
    15_000;
  const svc = ads?.grpcServices?.[0];
  const rb = svc?.envoyGrpc?.retryPolicy?.retryBackOff;
  const baseMs = durationMs(rb?.baseInterval);
  const backoff = baseMs ? { baseMs, maxMs: durationMs(rb?.maxInterval) ?? baseMs * 10 } : undefined;
  const common = { variant, initialFetchTimeoutMs, ...(backoff ? { backoff } : {}) };
  if (override) return { target: normalizeTarget(override), ...common };
  const uri = svc?.googleGrpc?.targetUri;
  if (uri) return { target: normalizeTarget(uri), ...common };
  const clusterName = svc?.envoyGrpc?.clusterName;
  if (!clusterName) {
    throw new ProxyError(
      'PROXY_ERR_XDS_TARGET',
      'dynamic_resources.ads_config.grpc_services[0]: needs envoy_grpc.cluster_name or google_grpc.target_uri',
    );
  }
  const cluster = b.staticResources?.clusters?.find((c) => c.name === clusterName);
  const ep = cluster?.loadAssignment?.endpoints?.[0]?.lbEndpoints?.[0]?.endpoint?.address;
  if (ep?.pipe?.path) return { target: `unix://${ep.pipe.path}`, ...common };
  const sa = ep?.socketAddress;
  if (!sa?.address || !sa.portValue) {
    throw new ProxyError(
      'PROXY_ERR_XDS_TARGET',
      `static cluster "${clusterName}" (named by ads_config) has no endpoint with an address`,
    );
  }
  const host = sa.address.includes(':') ? `[${sa.address}]` : sa.address;
  return { target: `${host}:${sa.portValue}`, ...common };
}

/** One ADS stream as the client sees it. */
export interface AdsStream<Req> {
  write(req: Req): void;
  /** Half-closes and cancels; no further callbacks after the close callback ran. */
  cancel(): void;
}

export interface StreamHandlers<Res> {
  onResponse(res: Res): void;
  /** The stream ended (server closed, error, cancel); called once. */
  onClose(code: number, details: string): void;
}

export interface AdsTransport {
  openSotw(h: StreamHandlers<SotwResponse>): AdsStream<SotwRequest>;
  openDelta(h: StreamHandlers<DeltaResponse>): AdsStream<DeltaRequest>;
  close(): void;
}

const sotwDef = {
  path: `${SERVICE}/StreamAggregatedResources`,
  serialize: (m: SotwRequest) => Buffer.from(D.DiscoveryRequest.encode(m).finish()),
  deserialize: (b: Buffer) => D.DiscoveryResponse.decode(b),
};
const deltaDef = {
  path: `${SERVICE}/DeltaAggregatedResources`,
  serialize: (m: DeltaRequest) => Buffer.from(D.DeltaDiscoveryRequest.encode(m).finish()),
  deserialize: (b: Buffer) => D.DeltaDiscoveryResponse.decode(b),
};

/** The real transport: grpc-js over TCP or a Unix socket, with HTTP/2 keepalive. */
export class GrpcAdsTransport implements AdsTransport {
  private readonly client: grpc.Client;

  constructor(target: string) {
    this.client = new grpc.Client(target, grpc.credentials.createInsecure(), {
      // Detect a dead pilot (host gone, no RST) within ~30 s rather than TCP's minutes.
      'grpc.keepalive_time_ms': 20_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      // Listener/cluster responses for a big mesh are large (Envoy's default cap is 2^31).
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      // Reconnects are paced by our own backoff, not grpc-js's.
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2000,
    });
  }

  private open<Req, Res>(
    def: { path: string; serialize: (m: Req) => Buffer; deserialize: (b: Buffer) => Res },
    h: StreamHandlers<Res>,
  ): AdsStream<Req> {
    const call = this.client.makeBidiStreamRequest(def.path, def.serialize, def.deserialize);
    let closed = false;
    const close = (code: number, details: string) => {
      if (closed) return;
      closed = true;
      h.onClose(code, details);
    };
    call.on('data', (res: Res) => {
      if (!closed) h.onResponse(res);
    });
    call.on('status', (s: grpc.StatusObject) => close(s.code, s.details));
    call.on('error', (e: grpc.ServiceError) => close(e.code ?? grpc.status.UNKNOWN, e.details ?? e.message));
    return {
      write: (req) => {
        if (!closed) call.write(req);
      },
      cancel: () => {
        call.cancel();
      },
    };
  }

  openSotw(h: StreamHandlers<SotwResponse>): AdsStream<SotwRequest> {
    return this.open(sotwDef, h);
  }

  openDelta(h: StreamHandlers<DeltaResponse>): AdsStream<DeltaRequest> {
    return this.open(deltaDef, h);
  }

  close(): void {
    this.client.close();
  }
}
