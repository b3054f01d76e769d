// Hand-written encode/decode for ClusterLoadAssignment, the one resource that gets huge (a service
// with 100,000 endpoints is one message) and is pushed on every endpoint change.
//
// Encoding sizes everything first and writes once into an exactly sized buffer, instead of protobufjs'
// fork/ldelim (a length byte reserved per nested message, shifted when it turns out longer). Decoding
// reads the bytes with local cursors and builds the same generated class instances protobufjs would.
// Output is byte-identical / deep-equal to the generated code; the fields this file does not handle
// are handed to the generated code (per sub-message where that is exact, else for the whole message),
// and test/codec/fast.test.ts checks both the equality and that the field lists below are complete.

import $protobuf from 'protobufjs/minimal.js';
import { envoy, google } from '../../gen/protos.js';
import { Abandon, abandon, ByteReader, ByteWriter, stringSize, varint32Size } from './wire.js';

type Obj = Record<string, unknown> & { $unknowns?: unknown };

const E = envoy.config.endpoint.v3;
const C = envoy.config.core.v3;
const UInt32Value = google.protobuf.UInt32Value;

/**
 * Every field of every message on the fast path, by how it is handled: `fast` here, `delegate`
 * encoded/decoded by the generated code as a sub-message, `fallback` sends the whole message to the
 * generated code. A test compares these lists with the protos, so a field added upstream is never
 * silently dropped.
 */
export const FAST_PATH_FIELDS: Record<string, { fast: string[]; delegate: string[]; fallback: string[] }> = {
  'envoy.config.endpoint.v3.ClusterLoadAssignment': {
    fast: ['cluster_name', 'endpoints'],
    delegate: ['policy'],
    fallback: ['named_endpoints'],
  },
  'envoy.config.endpoint.v3.LocalityLbEndpoints': {
    fast: ['locality', 'lb_endpoints', 'load_balancing_weight', 'priority'],
    delegate: ['metadata', 'proximity'],
    fallback: ['load_balancer_endpoints', 'leds_cluster_locality_config'],
  },
  'envoy.config.core.v3.Locality': { fast: ['region', 'zone', 'sub_zone'], delegate: [], fallback: [] },
  'envoy.config.endpoint.v3.LbEndpoint': {
    fast: ['endpoint', 'health_status', 'load_balancing_weight', 'endpoint_name'],
    delegate: ['metadata'],
    fallback: [],
  },
  'envoy.config.endpoint.v3.Endpoint': {
    fast: ['address', 'hostname'],
    delegate: ['health_check_config'],
    fallback: ['additional_addresses'],
  },
  'envoy.config.core.v3.Address': {
    fast: ['socket_address'],
    delegate: [],
    fallback: ['pipe', 'envoy_internal_address'],
  },
  'envoy.config.core.v3.SocketAddress': {
    fast: ['protocol', 'address', 'port_value', 'named_port', 'resolver_name', 'ipv4_compat'],
    delegate: [],
    fallback: [],
  },
  'google.protobuf.UInt32Value': { fast: ['value'], delegate: [], fallback: [] },
};

// ---------------------------------------------------------------------------------------------
// Encoding: pass 1 sizes every nested message (pre-order, into `sizes`), pass 2 writes.

interface Plan {
  sizes: number[];
  /** Generated encodings of delegated sub-messages, by the slot of their size. */
  blobs: Map<number, Uint8Array>;
  /** Byte lengths of strings, in the order pass 2 meets them. */
  strings: number[];
}

function checkUnknowns(o: Obj): void {
  if (o.$unknowns != null && Object.hasOwn(o, '$unknowns')) abandon();
}

function nonEmptyArray(v: unknown): boolean {
  return v != null && (v as unknown[]).length > 0;
}

function str(plan: Plan, s: unknown): number {
  const len = stringSize(s);
  plan.strings.push(len);
  return len;
}

/** Tag byte(s) + length prefix + body of a nested message whose size is in `plan.sizes[slot]`. */
function nested(size: number): number {
  return 1 + varint32Size(size) + size;
}

function delegateSize(plan: Plan, encode: (m: never) => $protobuf.Writer, m: unknown): number {
  const slot = plan.sizes.length;
  const bytes = encode(m as never).finish();
  plan.sizes.push(bytes.length);
  plan.blobs.set(slot, bytes);
  return nested(bytes.length);
}

function sizeUInt32Value(plan: Plan, o: Obj): number {
  checkUnknowns(o);
  const slot = plan.sizes.length;
  plan.sizes.push(0);
  const v = o['value'];
  const size = v != null && v !== 0 ? 1 + varint32Size((v as number) >>> 0) : 0;
  plan.sizes[slot] = size;
  return nested(size);
}

function sizeLocality(plan: Plan, o: Obj): number {
  checkUnknowns(o);
  const slot = plan.sizes.length;
  plan.sizes.push(0);
  let size = 0;
  for (const k of ['region', 'zone', 'subZone']) {
    const v = o[k];
    if (v != null && v !== '') size += sized(str(plan, v));
  }
  plan.sizes[slot] = size;
  return nested(size);
}

/** Tag (1 byte) + length varint + bytes of a string of byte length `len`. */
function sized(len: number): number {
  return 1 + varint32Size(len) + len;
}

function sizeSocketAddress(plan: Plan, o: Obj): number {
  checkUnknowns(o);
  const slot = plan.sizes.length;
  plan.sizes.push(0);
  let size = 0;
  const protocol = o['protocol'];
  if (protocol != null && protocol !== 0) {
    if (typeof protocol !== 'number' || (protocol | 0) < 0) abandon();
    size += 1 + varint32Size(protocol >>> 0);
  }
  const address = o['address'];
  if (address != null && address !== '') size += sized(str(plan, address));
  const port = o['portValue'];
  if (port != null) size += 1 + varint32Size((port as number) >>> 0);
  const named = o['namedPort'];
  if (named != null) size += sized(str(plan, named));
  const resolver = o['resolverName'];
  if (resolver != null && resolver !== '') size += sized(str(plan, resolver));
  const compat = o['ipv4Compat'];
  if (compat != null && compat !== false) size += 2;
  plan.sizes[slot] = size;
  return nested(size);
}

function sizeAddress(plan: Plan, o: Obj): number {
  if (o['pipe'] != null || o['envoyInternalAddress'] != null || o.$unknowns != null) {
    return delegateSize(plan, C.Address.encode, o);
  }
  const slot = plan.sizes.length;
  plan.sizes.push(0);
  const sa = o['socketAddress'];
  const size = sa != null ? sizeSocketAddress(plan, sa as Obj) : 0;
  plan.sizes[slot] = size;
  return nested(size);
}

function sizeEndpoint(plan: Plan, o: Obj): number {
  if (nonEmptyArray(o['additionalAddresses']) || o.$unknowns != null)
    return delegateSize(plan, E.Endpoint.encode, o);
  const slot = plan.sizes.length;
  plan.sizes.push(0);
  let size = 0;
  const address = o['address'];
  if (address != null) size += sizeAddress(plan, address as Obj);
  const hcc = o['healthCheckConfig'];
  if (hcc != null) size += delegateSize(plan, E.Endpoint.HealthCheckConfig.encode, hcc);
  const hostname = o['hostname'];
  if (hostname != null && hostname !== '') size += sized(str(plan, hostname));
  plan.sizes[slot] = size;
  return nested(size);
}

function sizeLbEndpoint(plan: Plan, o: Obj): number {
  checkUnknowns(o);
  const slot = plan.sizes.length;
  plan.sizes.push(0);
  let size = 0;
  const endpoint = o['endpoint'];
  if (endpoint != null) size += sizeEndpoint(plan, endpoint as Obj);
  const health = o['healthStatus'];
  if (health != null && health !== 0) {
    if (typeof health !== 'number' || (health | 0) < 0) abandon();
    size += 1 + varint32Size(health >>> 0);
  }
  const metadata = o['metadata'];
  if (metadata != null) size += delegateSize(plan, C.Metadata.encode, metadata);
  const weight = o['loadBalancingWeight'];
  if (weight != null) size += sizeUInt32Value(plan, weight as Obj);
  const name = o['endpointName'];
  if (name != null) size += sized(str(plan, name));
  plan.sizes[slot] = size;
  return nested(size);
}

function sizeLocalityLbEndpoints(plan: Plan, o: Obj): number {
  if (
    o['proximity'] != null ||
    o['loadBalancerEndpoints'] != null ||
    o['ledsClusterLocalityConfig'] != null ||
    o['metadata'] != null ||
    o.$unknowns != null
  ) {
    return delegateSize(plan, E.LocalityLbEndpoints.encode, o);
  }
  const slot = plan.sizes.length;
  plan.sizes.push(0);
  let size = 0;
  const locality = o['locality'];
  if (locality != null) size += sizeLocality(plan, locality as Obj);
  const eps = o['lbEndpoints'] as Obj[] | undefined;
  if (eps != null) for (let i = 0; i < eps.length; i++) size += sizeLbEndpoint(plan, eps[i]!);
  const weight = o['loadBalancingWeight'];
  if (weight != null) size += sizeUInt32Value(plan, weight as Obj);
  const priority = o['priority'];
  if (priority != null && priority !== 0) size += 1 + varint32Size((priority as number) >>> 0);
  plan.sizes[slot] = size;
  return nested(size);
}

// Pass 2 mirrors pass 1 exactly; `at` walks plan.sizes and `si` plan.strings.
class Emitter {
  at = 0;
  si = 0;

  constructor(
    readonly plan: Plan,
    readonly w: ByteWriter,
  ) {}

  /** Writes tag and length of the next nested message; returns true when it was delegated. */
  open(tag: number): boolean {
    const slot = this.at++;
    const size = this.plan.sizes[slot]!;
    this.w.byte(tag);
    this.w.varint32(size);
    const blob = this.plan.blobs.get(slot);
    if (blob === undefined) return false;
    this.w.raw(blob);
    return true;
  }

  str(tag: number, s: unknown): void {
    this.w.byte(tag);
    this.w.string(s as string, this.plan.strings[this.si++]!);
  }

  delegated(tag: number): void {
    this.open(tag);
  }

  uint32Value(tag: number, o: Obj): void {
    if (this.open(tag)) return;
    const v = o['value'];
    if (v != null && v !== 0) {
      this.w.byte(8);
      this.w.varint32(v as number);
    }
  }

  locality(o: Obj): void {
    if (this.open(10)) return;
    const tags = [10, 18, 26];
    const keys = ['region', 'zone', 'subZone'];
    for (let i = 0; i < 3; i++) {
      const v = o[keys[i]!];
      if (v != null && v !== '') this.str(tags[i]!, v);
    }
  }

  socketAddress(o: Obj): void {
    if (this.open(10)) return;
    const w = this.w;
    const protocol = o['protocol'];
    if (protocol != null && protocol !== 0) {
      w.byte(8);
      w.varint32(protocol as number);
    }
    const address = o['address'];
    if (address != null && address !== '') this.str(18, address);
    const port = o['portValue'];
    if (port != null) {
      w.byte(24);
      w.varint32(port as number);
    }
    const named = o['namedPort'];
    if (named != null) this.str(34, named);
    const resolver = o['resolverName'];
    if (resolver != null && resolver !== '') this.str(42, resolver);
    const compat = o['ipv4Compat'];
    if (compat != null && compat !== false) {
      w.byte(48);
      w.byte(compat ? 1 : 0);
    }
  }

  address(o: Obj): void {
    if (this.open(10)) return;
    const sa = o['socketAddress'];
    if (sa != null) this.socketAddress(sa as Obj);
  }

  endpoint(o: Obj): void {
    if (this.open(10)) return;
    const address = o['address'];
    if (address != null) this.address(address as Obj);
    if (o['healthCheckConfig'] != null) this.delegated(18);
    const hostname = o['hostname'];
    if (hostname != null && hostname !== '') this.str(26, hostname);
  }

  lbEndpoint(o: Obj): void {
    if (this.open(18)) return;
    const endpoint = o['endpoint'];
    if (endpoint != null) this.endpoint(endpoint as Obj);
    const health = o['healthStatus'];
    if (health != null && health !== 0) {
      this.w.byte(16);
      this.w.varint32(health as number);
    }
    if (o['metadata'] != null) this.delegated(26);
    const weight = o['loadBalancingWeight'];
    if (weight != null) this.uint32Value(34, weight as Obj);
    const name = o['endpointName'];
    if (name != null) this.str(42, name);
  }

  localityLbEndpoints(o: Obj): void {
    if (this.open(18)) return;
    const locality = o['locality'];
    if (locality != null) this.locality(locality as Obj);
    const eps = o['lbEndpoints'] as Obj[] | undefined;
    if (eps != null) for (let i = 0; i < eps.length; i++) this.lbEndpoint(eps[i]!);
    const weight = o['loadBalancingWeight'];
    if (weight != null) this.uint32Value(26, weight as Obj);
    const priority = o['priority'];
    if (priority != null && priority !== 0) {
      this.w.byte(40);
      this.w.varint32(priority as number);
    }
  }
}

/**
 * Encodes like `ClusterLoadAssignment.encode(m).finish()`, byte for byte; returns undefined when the
 * message holds something only the generated encoder handles.
 */
export function fastEncodeClusterLoadAssignment(m: unknown): Uint8Array | undefined {
  const o = m as Obj;
  if (o === null || typeof o !== 'object') return undefined;
  try {
    checkUnknowns(o);
    const named = o['namedEndpoints'];
    if (named != null && Object.hasOwn(o, 'namedEndpoints') && Object.keys(named).length > 0)
      return undefined;
    const plan: Plan = { sizes: [], blobs: new Map(), strings: [] };
    let total = 0;
    const name = o['clusterName'];
    if (name != null && name !== '') total += sized(str(plan, name));
    const endpoints = o['endpoints'] as Obj[] | undefined;
    if (endpoints != null)
      for (let i = 0; i < endpoints.length; i++) total += sizeLocalityLbEndpoints(plan, endpoints[i]!);
    const policy = o['policy'];
    if (policy != null) total += delegateSize(plan, E.ClusterLoadAssignment.Policy.encode, policy);

    const w = new ByteWriter(Buffer.allocUnsafe(total));
    const e = new Emitter(plan, w);
    if (name != null && name !== '') e.str(10, name);
    if (endpoints != null) for (let i = 0; i < endpoints.length; i++) e.localityLbEndpoints(endpoints[i]!);
    if (policy != null) e.delegated(34);
    if (w.pos !== total) return undefined; // cannot happen unless pass 1 and 2 disagree; stay safe
    return w.buf;
  } catch (err) {
    if (err instanceof Abandon) return undefined;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding: same objects as the generated decoder (class instances, defaults on the prototype,
// fields set only when not default). Anything unusual abandons to the generated decoder, which then
// either decodes it exactly or reports a located error.

type Ctor = new () => Obj;
const NewCla = E.ClusterLoadAssignment as unknown as Ctor;
const NewLle = E.LocalityLbEndpoints as unknown as Ctor;
const NewLbEndpoint = E.LbEndpoint as unknown as Ctor;
const NewEndpoint = E.Endpoint as unknown as Ctor;
const NewAddress = C.Address as unknown as Ctor;
const NewSocketAddress = C.SocketAddress as unknown as Ctor;
const NewLocality = C.Locality as unknown as Ctor;
const NewUInt32Value = UInt32Value as unknown as Ctor;

class Decoder {
  readonly r: ByteReader;
  private reader: $protobuf.Reader | undefined;

  constructor(readonly buf: Uint8Array) {
    this.r = new ByteReader(buf);
  }

  /** Runs a generated decoder over [pos, end) for a delegated sub-message, merging into `target`. */
  private delegate<T>(
    decode: (reader: $protobuf.Reader, length: number, end: undefined, depth: number, target: unknown) => T,
    end: number,
    depth: number,
    target: unknown,
  ): T {
    const stop = this.r.delimited(end);
    if (this.reader === undefined) this.reader = $protobuf.Reader.create(this.buf);
    const reader = this.reader;
    reader.pos = this.r.pos;
    reader.len = stop;
    try {
      const out = decode(reader, stop - this.r.pos, undefined, depth, target ?? undefined);
      this.r.pos = stop;
      return out;
    } catch {
      return abandon();
    }
  }

  private tag(end: number): number {
    return this.r.varint32(end);
  }

  uint32Value(end: number): Obj {
    const stop = this.r.delimited(end);
    const m = new NewUInt32Value();
    while (this.r.pos < stop) {
      if (this.tag(stop) !== 8) abandon();
      const v = this.r.varint32(stop);
      if (v !== 0) m['value'] = v;
      else if (Object.hasOwn(m, 'value')) delete m['value'];
    }
    return m;
  }

  locality(end: number): Obj {
    const stop = this.r.delimited(end);
    const m = new NewLocality();
    while (this.r.pos < stop) {
      const t = this.tag(stop);
      const key = t === 10 ? 'region' : t === 18 ? 'zone' : t === 26 ? 'subZone' : abandon();
      const v = this.r.string(stop);
      if (v.length) m[key] = v;
      else if (Object.hasOwn(m, key)) delete m[key];
    }
    return m;
  }

  socketAddress(end: number): Obj {
    const stop = this.r.delimited(end);
    const m = new NewSocketAddress();
    const r = this.r;
    while (r.pos < stop) {
      switch (this.tag(stop)) {
        case 8: {
          const v = r.varint32(stop) | 0;
          if (v) m['protocol'] = v;
          else if (Object.hasOwn(m, 'protocol')) delete m['protocol'];
          break;
        }
        case 18: {
          const v = r.string(stop);
          if (v.length) m['address'] = v;
          else if (Object.hasOwn(m, 'address')) delete m['address'];
          break;
        }
        case 24:
          m['portValue'] = r.varint32(stop);
          if (m['namedPort'] !== null) delete m['namedPort'];
          break;
        case 34:
          m['namedPort'] = r.string(stop);
          if (m['portValue'] !== null) delete m['portValue'];
          break;
        case 42: {
          const v = r.string(stop);
          if (v.length) m['resolverName'] = v;
          else if (Object.hasOwn(m, 'resolverName')) delete m['resolverName'];
          break;
        }
        case 48: {
          const v = r.varint32(stop) !== 0;
          if (v) m['ipv4Compat'] = v;
          else delete m['ipv4Compat'];
          break;
        }
        default:
          abandon();
      }
    }
    return m;
  }

  address(end: number): Obj {
    const stop = this.r.delimited(end);
    const m = new NewAddress();
    while (this.r.pos < stop) {
      if (this.tag(stop) !== 10 || m['socketAddress'] != null) abandon();
      m['socketAddress'] = this.socketAddress(stop);
    }
    return m;
  }

  endpoint(end: number, depth: number): Obj {
    const stop = this.r.delimited(end);
    const m = new NewEndpoint();
    while (this.r.pos < stop) {
      switch (this.tag(stop)) {
        case 10:
          if (m['address'] != null) abandon();
          m['address'] = this.address(stop);
          break;
        case 18:
          m['healthCheckConfig'] = this.delegate(
            E.Endpoint.HealthCheckConfig.decode as never,
            stop,
            depth + 1,
            m['healthCheckConfig'],
          );
          break;
        case 26: {
          const v = this.r.string(stop);
          if (v.length) m['hostname'] = v;
          else if (Object.hasOwn(m, 'hostname')) delete m['hostname'];
          break;
        }
        default:
          abandon();
      }
    }
    return m;
  }

  lbEndpoint(end: number, depth: number): Obj {
    const stop = this.r.delimited(end);
    const m = new NewLbEndpoint();
    while (this.r.pos < stop) {
      switch (this.tag(stop)) {
        case 10:
          if (m['endpoint'] != null) abandon();
          m['endpoint'] = this.endpoint(stop, depth + 1);
          if (m['endpointName'] !== null) delete m['endpointName'];
          break;
        case 16: {
          const v = this.r.varint32(stop) | 0;
          if (v) m['healthStatus'] = v;
          else if (Object.hasOwn(m, 'healthStatus')) delete m['healthStatus'];
          break;
        }
        case 26:
          m['metadata'] = this.delegate(C.Metadata.decode as never, stop, depth + 1, m['metadata']);
          break;
        case 34:
          if (m['loadBalancingWeight'] != null) abandon();
          m['loadBalancingWeight'] = this.uint32Value(stop);
          break;
        case 42:
          m['endpointName'] = this.r.string(stop);
          if (m['endpoint'] !== null) delete m['endpoint'];
          break;
        default:
          abandon();
      }
    }
    return m;
  }

  localityLbEndpoints(end: number, depth: number): Obj {
    const stop = this.r.delimited(end);
    const m = new NewLle();
    let eps: Obj[] | undefined;
    while (this.r.pos < stop) {
      switch (this.tag(stop)) {
        case 10:
          if (m['locality'] != null) abandon();
          m['locality'] = this.locality(stop);
          break;
        case 18:
          if (eps === undefined) {
            eps = [];
            m['lbEndpoints'] = eps;
          }
          eps.push(this.lbEndpoint(stop, depth + 1));
          break;
        case 26:
          if (m['loadBalancingWeight'] != null) abandon();
          m['loadBalancingWeight'] = this.uint32Value(stop);
          break;
        case 40: {
          const v = this.r.varint32(stop);
          if (v) m['priority'] = v;
          else if (Object.hasOwn(m, 'priority')) delete m['priority'];
          break;
        }
        case 50:
          m['proximity'] = this.delegate(UInt32Value.decode as never, stop, depth + 1, m['proximity']);
          break;
        case 74:
          m['metadata'] = this.delegate(C.Metadata.decode as never, stop, depth + 1, m['metadata']);
          break;
        default:
          abandon();
      }
    }
    return m;
  }

  clusterLoadAssignment(): Obj {
    const end = this.buf.length;
    const m = new NewCla();
    let endpoints: Obj[] | undefined;
    while (this.r.pos < end) {
      switch (this.tag(end)) {
        case 10: {
          const v = this.r.string(end);
          if (v.length) m['clusterName'] = v;
          else if (Object.hasOwn(m, 'clusterName')) delete m['clusterName'];
          break;
        }
        case 18:
          if (endpoints === undefined) {
            endpoints = [];
            m['endpoints'] = endpoints;
          }
          endpoints.push(this.localityLbEndpoints(end, 1));
          break;
        case 34:
          m['policy'] = this.delegate(E.ClusterLoadAssignment.Policy.decode as never, end, 1, m['policy']);
          break;
        default:
          abandon();
      }
    }
    return m;
  }
}

/**
 * Decodes like `ClusterLoadAssignment.decode(bytes)`; returns undefined when the bytes hold anything
 * the fast path leaves to the generated decoder (including anything malformed).
 */
export function fastDecodeClusterLoadAssignment(
  bytes: Uint8Array,
): envoy.config.endpoint.v3.ClusterLoadAssignment | undefined {
  try {
    return new Decoder(
      bytes,
    ).clusterLoadAssignment() as unknown as envoy.config.endpoint.v3.ClusterLoadAssignment;
  } catch {
    // Abandoned (or anything unexpected): the generated decoder decides, exactly or with a located error.
    return undefined;
  }
}
