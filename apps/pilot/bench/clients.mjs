// N simulated sidecars over real gRPC ADS streams (SotW or Delta), in a process of their own: each
// subscribes to CDS (wildcard), EDS (every outbound cluster it got), LDS (wildcard) and RDS ("8080"),
// ACKs everything, and reports when it is fully converged and when endpoint changes reach it.
import * as grpc from '@grpc/grpc-js';
import { envoy } from '@strait/xds';

const { address, proxies, variant } = JSON.parse(process.argv[2]);
const D = envoy.service.discovery.v3;
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
const now = () => performance.timeOrigin + performance.now();

const sotw = variant === 'sotw';
const path = `/envoy.service.discovery.v3.AggregatedDiscoveryService/${sotw ? 'StreamAggregatedResources' : 'DeltaAggregatedResources'}`;
const Req = sotw ? D.DiscoveryRequest : D.DeltaDiscoveryRequest;
const Res = sotw ? D.DiscoveryResponse : D.DeltaDiscoveryResponse;

// Spread streams over a few channels, as many sidecars would use many connections.
const channels = Array.from(
  { length: Math.min(16, proxies) },
  () =>
    new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 << 20,
    }),
);
let bytesSinceMark = 0;
let messagesSinceMark = 0;
let converged = 0;
let watching = false;
const arrivals = [];

function startProxy(i) {
  let edsArrivalAt = 0;
  const call = channels[i % channels.length].makeBidiStreamRequest(
    path,
    (m) => Buffer.from(Req.encode(m).finish()),
    (b) => {
      bytesSinceMark += b.length;
      messagesSinceMark++;
      const r = Res.decode(b);
      if (r.typeUrl === EDS) edsArrivalAt = now();
      return r;
    },
  );
  const node = {
    id: `sidecar~10.99.${(i >> 8) & 255}.${i & 255}~p${i}.bench~bench.svc.cluster.local`,
    metadata: { fields: { NAMESPACE: { stringValue: 'bench' } } },
  };
  const got = new Set();
  let edsNames = [];
  let done = false;
  const send = (m) => call.write(m);
  const ack = (r, names) =>
    sotw
      ? send({
          typeUrl: r.typeUrl,
          versionInfo: r.versionInfo,
          responseNonce: r.nonce,
          resourceNames: names ?? [],
        })
      : send({ typeUrl: r.typeUrl, responseNonce: r.nonce });
  call.on('data', (r) => {
    if (r.typeUrl === CDS && edsNames.length === 0) {
      const list = sotw
        ? r.resources.map((a) => envoy.config.cluster.v3.Cluster.decode(a.value).name)
        : r.resources.map((x) => x.name);
      edsNames = list.filter((n) => n.startsWith('outbound|'));
      ack(r);
      if (sotw) send({ typeUrl: EDS, resourceNames: edsNames });
      else send({ typeUrl: EDS, resourceNamesSubscribe: edsNames });
    } else if (r.typeUrl === LDS && !got.has(LDS)) {
      ack(r);
      if (sotw) send({ typeUrl: RDS, resourceNames: ['8080'] });
      else send({ typeUrl: RDS, resourceNamesSubscribe: ['8080'] });
    } else {
      ack(r, r.typeUrl === EDS ? edsNames : r.typeUrl === RDS ? ['8080'] : undefined);
    }
    if (r.typeUrl === EDS && watching) arrivals.push(edsArrivalAt);
    got.add(r.typeUrl);
    if (!done && got.size === 4) {
      done = true;
      converged++;
      if (converged === proxies) process.send({ type: 'converged', at: now() });
    }
  });
  call.on('error', (e) => process.send({ type: 'error', message: `${i}: ${e.message}` }));
  if (sotw) {
    send({ node, typeUrl: CDS });
    send({ typeUrl: LDS });
  } else {
    send({ node, typeUrl: CDS, resourceNamesSubscribe: ['*'] });
    send({ typeUrl: LDS, resourceNamesSubscribe: ['*'] });
  }
}

process.on('message', (msg) => {
  if (msg.type === 'start') {
    process.send({ type: 'started', at: now() });
    for (let i = 0; i < proxies; i++) startProxy(i);
  } else if (msg.type === 'watch') {
    arrivals.length = 0;
    bytesSinceMark = 0;
    messagesSinceMark = 0;
    watching = true;
    process.send({ type: 'watching', id: msg.id });
  } else if (msg.type === 'count') {
    process.send({ type: 'counted', id: msg.id, arrivals: arrivals.length });
  } else if (msg.type === 'collect') {
    watching = false;
    process.send({
      type: 'collected',
      id: msg.id,
      arrivals: [...arrivals],
      bytes: bytesSinceMark,
      messages: messagesSinceMark,
    });
  } else if (msg.type === 'stop') {
    for (const c of channels) c.close();
    process.exit(0);
  }
});
process.send({ type: 'ready' });
