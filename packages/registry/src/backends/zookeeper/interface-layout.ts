// Interface-level layout: one ephemeral node per (interface, provider URL) under
// `/<root>/<interface>/providers/<URLEncoder(dubbo URL)>`. This is how every Dubbo 2.x fleet and Dubbo 3
// in `register-mode=interface|all` registers, so it is the layout a migrating fleet already has.
//
// Reading: the child NAME is the record (Dubbo consumers never read node data; Dubbo writes the
// provider's IP there). Writing: we put a Dubbo-valid URL in the name, so Dubbo consumers discover
// Strait-registered instances, and the exact normalized Instance in the data, so Strait readers get
// back precisely what was registered (labels and metadata that a URL cannot carry included).
import { interfaceRecordId } from '../../app-level.js';
import { normalizeInstance } from '../../instance.js';
import type { Instance, Protocol } from '../../types.js';
import {
  type DubboUrl,
  decodeNodeName,
  encodeNodeName,
  formatDubboUrl,
  isUrlSafeParam,
  type ParseResult,
  parseDubboUrl,
} from './dubbo-url.js';

/** Marker key of node data written by Strait (format version 1). */
const DATA_MARKER = 'strait.instance.v1';
/** URL parameter carrying a Strait instance id that the URL alone would not reproduce. */
export const PARAM_STRAIT_ID = 'strait.id';
/**
 * URL parameter saying "the node data holds the exact Strait instance". Readers fetch node data only
 * for such children: a Dubbo fleet's nodes are decoded from their names alone (one getChildren per
 * interface, no per-node round trip), as Dubbo's own consumers do.
 */
export const PARAM_STRAIT_DATA = 'strait.data';
const ENCODED_DATA_FLAG = [`%3F${PARAM_STRAIT_DATA}%3D1`, `%26${PARAM_STRAIT_DATA}%3D1`];

/** True when the child's data must be read to decode it exactly (a Strait-written node). */
export function providerNodeNeedsData(name: string): boolean {
  return ENCODED_DATA_FLAG.some((flag) => name.includes(flag));
}
export { interfaceRecordId };

/** Dubbo protocol names → the protocol a consumer's Envoy filter chain needs. */
const PROTOCOL_FROM_DUBBO: Readonly<Record<string, Protocol>> = {
  dubbo: 'dubbo',
  tri: 'grpc',
  grpc: 'grpc',
  rest: 'http',
  http: 'http',
};
const PROTOCOL_TO_DUBBO: Readonly<Record<Protocol, string>> = {
  dubbo: 'dubbo',
  grpc: 'tri',
  http: 'rest',
  tcp: 'tcp',
};

/** URL parameters that become labels (version/group select providers in Dubbo; tag and zone route). */
const LABEL_PARAMS: ReadonlyArray<readonly [param: string, label: string]> = [
  ['version', 'version'],
  ['group', 'group'],
  ['dubbo.tag', 'tag'],
  ['zone', 'zone'],
  ['region', 'region'],
];

export function protocolFromDubbo(name: string): Protocol {
  return PROTOCOL_FROM_DUBBO[name] ?? 'tcp';
}

export function protocolToDubbo(p: Protocol): string {
  return PROTOCOL_TO_DUBBO[p];
}

function parseWeight(text: string | undefined): number {
  if (text === undefined) return 100;
  const n = Number(text);
  // Dubbo treats weight 0 as "send nothing"; Envoy requires >= 1, so the floor is 1.
  return Number.isInteger(n) ? Math.min(Math.max(n, 1), 2 ** 31 - 1) : 100;
}

/** Maps a provider URL (already parsed) to the Instance a watcher of `service` sees. */
export function instanceFromDubboUrl(url: DubboUrl, service: string): ParseResult<Instance> {
  const p = url.params;
  if (url.port === 0) return { ok: false, error: `provider URL without port for ${service}` };
  const labels: Record<string, string> = {};
  for (const [param, label] of LABEL_PARAMS) {
    const v = p[param];
    if (v !== undefined && v !== '') labels[label] = v;
  }
  const iface = p['interface'] || url.path || service;
  const id = p[PARAM_STRAIT_ID] ?? interfaceRecordId(url.host, url.port, p['group'], p['version']);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p))
    if (k !== PARAM_STRAIT_ID && k !== PARAM_STRAIT_DATA) metadata[k] = v;
  try {
    const inst = normalizeInstance({
      service,
      id,
      address: url.host,
      port: url.port,
      protocol: protocolFromDubbo(url.protocol),
      weight: parseWeight(p['weight']),
      // Dubbo's configurators disable a provider with enabled=false; it stays listed but gets no calls.
      health: p['enabled'] === 'false' ? 'unhealthy' : 'healthy',
      labels,
      ...(p['application'] ? { application: p['application'] } : {}),
      interfaces: [iface],
      metadata,
    });
    return { ok: true, value: inst };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** Decodes one ZooKeeper child (name + optional data) of `/<root>/<service>/providers`. */
export function decodeProviderNode(
  name: string,
  data: Buffer | undefined,
  service: string,
): ParseResult<Instance> {
  const own = decodeOwnData(data, service);
  if (own) return { ok: true, value: own };
  const text = decodeNodeName(name);
  if (text === undefined) return { ok: false, error: `child name is not URL-encoded: ${name}` };
  const url = parseDubboUrl(text);
  if (!url.ok) return url;
  return instanceFromDubboUrl(url.value, service);
}

function decodeOwnData(data: Buffer | undefined, service: string): Instance | undefined {
  // Dubbo writes an IP here; only our JSON object starts with '{'.
  if (!data || data.length === 0 || data[0] !== 0x7b) return undefined;
  try {
    const parsed = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    const v = parsed[DATA_MARKER];
    if (typeof v !== 'object' || v === null) return undefined;
    const inst = normalizeInstance(v as Parameters<typeof normalizeInstance>[0]);
    return inst.service === service ? inst : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the provider URL Dubbo consumers will read for an instance Strait registers. */
export function dubboUrlForInstance(inst: Instance, timestamp: number): DubboUrl {
  const params: Record<string, string> = {};
  // Metadata first (it may carry a Dubbo provider's own parameters), then the fields Strait owns.
  for (const [k, v] of Object.entries(inst.metadata)) if (isUrlSafeParam(k, v)) params[k] = v;
  for (const [param, label] of LABEL_PARAMS) {
    const v = inst.labels[label];
    if (v !== undefined && isUrlSafeParam(param, v)) params[param] = v;
  }
  const iface = inst.service;
  params['interface'] = iface;
  params['application'] = inst.application;
  params['side'] = 'provider';
  params['dubbo'] ??= '2.0.2';
  params['release'] ??= 'strait';
  params['timestamp'] = String(timestamp);
  params['weight'] = String(inst.weight);
  if (inst.health === 'unhealthy') params['enabled'] = 'false';
  params[PARAM_STRAIT_DATA] = '1';
  if (inst.id !== interfaceRecordId(inst.address, inst.port, params['group'], params['version'])) {
    params[PARAM_STRAIT_ID] = inst.id;
  }
  return {
    protocol: protocolToDubbo(inst.protocol),
    host: inst.address,
    port: inst.port,
    path: iface,
    params,
  };
}

/** The child name and data of the node that registers `inst`. */
export function encodeProviderNode(inst: Instance, timestamp: number): { name: string; data: Buffer } {
  const name = encodeNodeName(formatDubboUrl(dubboUrlForInstance(inst, timestamp)));
  const data = Buffer.from(JSON.stringify({ [DATA_MARKER]: inst }));
  return { name, data };
}
