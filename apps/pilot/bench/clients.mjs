// N simulated sidecars over real gRPC ADS streams (SotW or Delta), in a process of their own: each
// subscribes to CDS (wildcard), EDS (every outbound cluster it got), LDS (wildcard) and RDS ("8080"),
// ACKs everything, and reports when it is fully converged and when endpoint changes reach it.
import * as grpc from '@grpc/grpc-js';
import { envoy } from '@strait/xds';

const { address, proxies, variant, groups = 0 } = JSON.parse(process.argv[2]);
const D = envoy.service.discovery.v3;
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
const now = () => performance.timeOrigin + performance.now();

const sotw = variant === 'sotw';
const path = `/envoy.service.discovery.v3.AggregatedDiscoveryService/${sotw ? 'StreamAggregatedResources' : 'DeltaAggregatedResources'}`;
const Req = sotw ? D.DiscoveryRequest : D.DeltaDiscoveryRequest;

// Spread streams over a few channels, as many sidecars would use many connections.
const channels = Array.from(
  { length: Math.min(16, proxies) },
  () =>
    new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 << 20,
      // Envoy's xDS client uses 256 MiB HTTP/2 windows; grpc-js's default 64 KiB would make the
      // transport, not the pilot, the bottleneck of a 10 MB response.
      'grpc-node.flow_control_window': 64 << 20,
    }),
);
let bytesSinceMark = 0;
let messagesSinceMark = 0;
let converged = 0;
let watching = false;
/** What a change is seen in: EDS (endpoint changes) or RDS (a VirtualService change). */
let watchedType = EDS;
const arrivals = [];

// Responses are not decoded in full: at 1,000 proxies x 10,000 services a proxy receives ~10 MB per
// convergence, and decoding every resource of every proxy in this process would cost more CPU than the
// pilot spends (the two share the machine). A response is walked at the top level only (type, version,
// nonce; resource bytes counted, not parsed); cluster names are read once per CDS version and the list
// is shared by every proxy with the same CDS version (they all see the same services).
function readVarint(b, p) {
  let v = 0;
  let shift = 0;
  for (;;) {
    const x = b[p.i++];
    v += (x & 0x7f) * 2 ** shift;
    if (x < 0x80) return v;
    shift += 7;
  }
}
/** Calls on(field, start, end) for every length-delimited field of the message in b[start, end). */
function fields(b, start, end, on) {
  const p = { i: start };
  while (p.i < end) {
    const key = readVarint(b, p);
    const wire = key & 7;
    if (wire === 0) readVarint(b, p);
    else if (wire === 1) p.i += 8;
    else if (wire === 5) p.i += 4;
    else if (wire === 2) {
      const len = readVarint(b, p);
      on(key >>> 3, p.i, p.i + len);
      p.i += len;
    } else throw new Error(`wire type ${wire}`);
  }
}
const str = (b, s, e) => b.toString('utf8', s, e);
/** Top level of a (Delta)DiscoveryResponse: typeUrl, versionInfo, nonce, resource ranges. */
function decodeTop(b) {
  const r = { typeUrl: '', versionInfo: '', nonce: '', resources: [], buf: b };
  fields(b, 0, b.length, (f, s, e) => {
    if (f === 1) r.versionInfo = str(b, s, e);
    else if (f === 2) r.resources.push([s, e]);
    else if (f === 4) r.typeUrl = str(b, s, e);
    else if (f === 5) r.nonce = str(b, s, e);
  });
  return r;
}
/** Names of the resources: SotW Any{value: Cluster{name=1}}, Delta Resource{name=3}. */
function resourceNames(r) {
  const b = r.buf;
  return r.resources.map(([s, e]) => {
    let name = '';
    fields(b, s, e, (f, vs, ve) => {
      if (sotw && f === 2)
        fields(b, vs, ve, (cf, ns, ne) => {
          if (cf === 1) name = str(b, ns, ne);
        });
      else if (!sotw && f === 3) name = str(b, vs, ve);
    });
    return name;
  });
}
const edsNamesByCds = new Map();
/** Per proxy, the EDS names it subscribed (shared arrays), to count who should see a change. */
const subscribedBy = [];

function startProxy(i) {
  let edsArrivalAt = 0;
  let rdsArrivalAt = 0;
  const call = channels[i % channels.length].makeBidiStreamRequest(
    path,
    (m) => Buffer.from(Req.encode(m).finish()),
    (b) => {
      bytesSinceMark += b.length;
      messagesSinceMark++;
      const r = decodeTop(b);
      if (r.typeUrl === EDS) edsArrivalAt = now();
      else if (r.typeUrl === RDS) rdsArrivalAt = now();
      return r;
    },
  );
  const node = {
    id: `sidecar~10.99.${(i >> 8) & 255}.${i & 255}~p${i}.bench~bench.svc.cluster.local`,
    metadata: {
      fields: {
        NAMESPACE: { stringValue: 'bench' },
        ...(groups > 0
          ? { LABELS: { structValue: { fields: { group: { stringValue: `g${i % groups}` } } } } }
          : {}),
      },
    },
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
      const key = `${r.versionInfo}|${r.resources.length}`;
      edsNames = edsNamesByCds.get(key);
      if (!edsNames) {
        edsNames = resourceNames(r).filter((n) => n.startsWith('outbound|'));
        edsNamesByCds.set(key, edsNames);
      }
      subscribedBy[i] = edsNames;
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
    r.buf = undefined;
    r.resources = undefined;
    if (watching && r.typeUrl === watchedType) arrivals.push(r.typeUrl === EDS ? edsArrivalAt : rdsArrivalAt);
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
    watchedType = msg.watch === 'rds' ? RDS : EDS;
    const sets = new Map();
    let expected = 0;
    for (const names of subscribedBy) {
      if (!names) continue;
      if (!sets.has(names)) sets.set(names, names.includes(msg.cluster));
      if (sets.get(names)) expected++;
    }
    process.send({ type: 'watching', id: msg.id, expected });
  } else if (msg.type === 'count') {
    const cpu = process.cpuUsage();
    process.send({
      type: 'counted',
      id: msg.id,
      arrivals: arrivals.length,
      converged,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    });
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
