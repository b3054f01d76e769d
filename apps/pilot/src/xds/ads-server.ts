// The gRPC face of ADS: envoy.service.discovery.v3.AggregatedDiscoveryService with both
// StreamAggregatedResources (SotW) and DeltaAggregatedResources, serialized with @strait/xds's
// generated codecs. Responses are encoded by Connection (it needs their size), so the response
// serializer is the identity.
import type * as grpc from '@grpc/grpc-js';
import { envoy } from '@strait/xds';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { PushContext } from '../model/push-context.js';
import type { XdsAuthenticator } from './auth.js';
import {
  Connection,
  type ConnectionDeps,
  type SendBudget,
  type Transport,
  type Variant,
} from './connection.js';
import { type EncodedResponse, ResponseEncoder } from './encoder.js';
import type { Generators } from './generators.js';
import { PushQueue } from './push-queue.js';
import { answerRequest, type PushRequest } from './push-request.js';
import { NameListCache } from './request-decode.js';

const D = envoy.service.discovery.v3;
type DiscoveryRequest = envoy.service.discovery.v3.DiscoveryRequest;
type DeltaDiscoveryRequest = envoy.service.discovery.v3.DeltaDiscoveryRequest;
const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService';

/**
 * grpc-js frames a response by asking the serializer for a buffer and copying it behind the 5-byte
 * gRPC header (`byteLength`, then `copy(frame, 5)`). Handing it the parts with those two members lets
 * the shared resource section be copied once, into the frame, instead of joined first: at 10 MB per
 * sidecar and a thousand sidecars that is 10 GB of copying saved. Pinned by the lockfile and covered by
 * every ADS test (a grpc-js that used anything else of the buffer would fail them loudly).
 */
const framed = (r: EncodedResponse): Buffer =>
  ({
    byteLength: r.byteLength,
    copy(target: Uint8Array, at: number): number {
      for (const p of r.parts) {
        target.set(p, at);
        at += p.length;
      }
      return r.byteLength;
    },
  }) as unknown as Buffer;

/** Shared by every stream of the process: equal name lists from many sidecars decode once. */
export const requestNameLists = new NameListCache();

export const adsServiceDefinition = {
  StreamAggregatedResources: {
    path: `${SERVICE}/StreamAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (m: envoy.service.discovery.v3.DiscoveryRequest.$Properties) =>
      Buffer.from(D.DiscoveryRequest.encode(m).finish()),
    requestDeserialize: (b: Buffer) =>
      requestNameLists.decode(
        b,
        (rest) => D.DiscoveryRequest.decode(rest),
        (m, names) => {
          m.resourceNames = names as string[];
        },
      ),
    responseSerialize: framed,
    responseDeserialize: (b: Buffer) => new Uint8Array(b),
    originalName: 'streamAggregatedResources',
  },
  DeltaAggregatedResources: {
    path: `${SERVICE}/DeltaAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: (m: envoy.service.discovery.v3.DeltaDiscoveryRequest.$Properties) =>
      Buffer.from(D.DeltaDiscoveryRequest.encode(m).finish()),
    requestDeserialize: (b: Buffer) =>
      requestNameLists.decode(
        b,
        (rest) => D.DeltaDiscoveryRequest.decode(rest),
        (m, names) => {
          m.resourceNamesSubscribe = names as string[];
        },
      ),
    responseSerialize: framed,
    responseDeserialize: (b: Buffer) => new Uint8Array(b),
    originalName: 'deltaAggregatedResources',
  },
} satisfies grpc.ServiceDefinition;

const FORCE_CLOSE_AFTER_MS = 1000;
const UNAUTHENTICATED = 16;
const NGHTTP2_CANCEL = 8;

/**
 * Resets the HTTP/2 stream under a grpc-js server call. grpc-js has no public "abort" for server
 * streams; its call object keeps the http2 stream at `call.stream`, which we close when present.
 */
function forceClose(call: object): void {
  const inner = (call as { call?: { stream?: { closed?: boolean; close?: (code: number) => void } } }).call;
  const stream = inner?.stream;
  if (stream && !stream.closed && typeof stream.close === 'function') stream.close(NGHTTP2_CANCEL);
}

export interface AdsServerDeps extends Omit<ConnectionDeps, 'now' | 'encoder' | 'sendBudget' | 'schedule'> {
  readonly generators: Generators;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly pushConcurrency: number;
  /** Unflushed response bytes across connections above which no further push starts. */
  readonly sendBudgetBytes: number;
  /** Bound on the cache of encoded resource sections shared by streams. */
  readonly encodeCacheBytes: number;
  /** The context new connections start from. */
  readonly currentContext: () => PushContext;
}

export class AdsServer {
  readonly connections = new Set<Connection>();
  private readonly queue: PushQueue;
  private readonly now = () => performance.now();
  private readonly encoder: ResponseEncoder;
  private readonly sendBudget: SendBudget;

  constructor(private readonly deps: AdsServerDeps) {
    this.sendBudget = { pendingBytes: 0, limitBytes: deps.sendBudgetBytes };
    this.encoder = new ResponseEncoder(deps.encodeCacheBytes, (hit) =>
      deps.metrics.inc('pilot_xds_encoded_sections', { result: hit ? 'hit' : 'miss' }),
    );
    this.queue = new PushQueue(
      deps.pushConcurrency,
      deps.metrics,
      this.now,
      (conn, err) => {
        deps.log.error('push failed', { conn: conn.id, proxy: conn.proxy?.id, error: err.message });
        conn.close(13, `internal error: ${err.message}`);
      },
      this.sendBudget,
    );
  }

  /**
   * Adds the ADS service to a grpc-js server. With an authenticator (the TLS listener), every stream
   * must authenticate first; one that does not is ended with UNAUTHENTICATED and counted in
   * `pilot_xds_auth_failures{reason}`.
   */
  register(server: grpc.Server, auth?: XdsAuthenticator): void {
    server.addService(adsServiceDefinition, {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, EncodedResponse>) =>
        this.accept('sotw', call, auth),
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, EncodedResponse>) =>
        this.accept('delta', call, auth),
    });
  }

  /** Queues a push of `ctx` to every connection (the queue merges and bounds it). */
  pushAll(ctx: PushContext, req: PushRequest): void {
    for (const reason of req.reasons) this.deps.metrics.inc('pilot_push_triggers', { type: reason });
    // Connections that have not sent their first request yet are queued too: the push only moves
    // them to the new context, so their first answer is not computed from an older one.
    for (const conn of this.connections) this.queue.enqueue(conn, ctx, req);
  }

  /** Resolves when every queued push has been written (tests, benchmarks). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  closeAll(): void {
    for (const c of this.connections) c.close(14, 'pilot shutting down');
  }

  private accept(
    variant: Variant,
    call: grpc.ServerDuplexStream<DiscoveryRequest | DeltaDiscoveryRequest, EncodedResponse>,
    auth?: XdsAuthenticator,
  ): void {
    let identity: string | undefined;
    if (auth) {
      const result = auth.authenticate(call);
      if (!result.ok) {
        this.deps.metrics.inc('pilot_xds_auth_failures', { reason: result.reason });
        this.deps.log.warn('xDS stream rejected', {
          peer: call.getPeer(),
          reason: result.reason,
          code: 'PILOT_ERR_UNAUTHENTICATED',
        });
        call.on('error', () => {});
        call.emit(
          'error',
          Object.assign(new Error(result.message), { code: UNAUTHENTICATED, details: result.message }),
        );
        setTimeout(() => forceClose(call), FORCE_CLOSE_AFTER_MS).unref();
        return;
      }
      identity = `${result.method === 'certificate' ? 'cert' : 'token'}: ${result.identity}`;
    }
    let ended = false;
    const transport: Transport = {
      peer: call.getPeer(),
      ...(identity ? { identity } : {}),
      write: (bytes, done) => {
        if (ended) {
          done();
          return;
        }
        call.write(bytes, () => done());
      },
      close: (code, message) => {
        if (ended) return;
        ended = true;
        // The status goes out after the writes already queued; a client that reads nothing would never
        // get it, so after a grace period the HTTP/2 stream is reset.
        call.emit('error', Object.assign(new Error(message), { code, details: message }));
        setTimeout(() => forceClose(call), FORCE_CLOSE_AFTER_MS).unref();
      },
    };
    const conn = new Connection(variant, transport, this.deps.currentContext(), {
      ...this.deps,
      encoder: this.encoder,
      sendBudget: this.sendBudget,
      // A request's answer waits for a turn in the push queue, from the newest context.
      schedule: (c) => this.queue.enqueue(c, this.deps.currentContext(), answerRequest(this.now())),
      now: this.now,
    });
    this.connections.add(conn);
    this.deps.metrics.set('pilot_xds', this.connections.size);
    const finish = () => {
      if (!this.connections.delete(conn)) return;
      ended = true;
      conn.ended();
      this.queue.remove(conn);
      this.deps.metrics.set('pilot_xds', this.connections.size);
      this.deps.log.info('proxy disconnected', { conn: conn.id, proxy: conn.proxy?.id });
    };
    call.on('data', (req: DiscoveryRequest | DeltaDiscoveryRequest) => {
      try {
        conn.onRequest(req);
      } catch (err) {
        this.deps.log.error('failed to answer request', { conn: conn.id, error: (err as Error).message });
        conn.close(13, `internal error: ${(err as Error).message}`);
      }
    });
    call.on('end', () => {
      finish();
      call.end();
    });
    call.on('error', finish);
    call.on('close', finish);
    call.on('cancelled', finish);
  }
}
