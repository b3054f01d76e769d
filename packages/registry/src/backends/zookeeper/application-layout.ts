// Application-level layout (Dubbo 3 "service discovery"): one ephemeral node per application instance,
// `/services/<application>/<host:port>`, whose data is a Curator `ServiceInstance` JSON with Dubbo's
// `ZookeeperInstance` payload; plus `/<root>/mapping/<interface>` persistent nodes whose data is the
// comma-separated applications serving that interface. The instance carries `dubbo.metadata.revision`
// (which interface set it serves, looked up once per revision, not once per host) and
// `dubbo.endpoints` (the ports per protocol).
import { normalizeInstance } from '../../instance.js';
import type { Instance } from '../../types.js';
import type { ParseResult } from './dubbo-url.js';
import { protocolFromDubbo, protocolToDubbo } from './interface-layout.js';

/** Java class name Dubbo's ZookeeperServiceDiscovery puts in the payload (Jackson polymorphic typing). */
export const ZOOKEEPER_INSTANCE_CLASS = 'org.apache.dubbo.registry.zookeeper.ZookeeperInstance';
export const META_REVISION = 'dubbo.metadata.revision';
export const META_ENDPOINTS = 'dubbo.endpoints';
export const META_STORAGE_TYPE = 'dubbo.metadata.storage-type';
/** Metadata key holding the exact Strait instance (JSON) in nodes Strait writes. */
const META_STRAIT = 'strait.instance.v1';

/** The JSON Curator's JsonInstanceSerializer writes for a Dubbo instance (fields we read). */
interface CuratorInstanceJson {
  name?: unknown;
  id?: unknown;
  address?: unknown;
  port?: unknown;
  payload?: { id?: unknown; name?: unknown; metadata?: unknown } | null;
  registrationTimeUTC?: unknown;
}

interface Endpoint {
  readonly port: number;
  readonly protocol: string;
}

function parseEndpoints(text: string | undefined): Endpoint[] {
  if (!text) return [];
  try {
    const v: unknown = JSON.parse(text);
    if (!Array.isArray(v)) return [];
    return v.flatMap((e: unknown) => {
      const r = e as { port?: unknown; protocol?: unknown };
      return typeof r.port === 'number' && typeof r.protocol === 'string'
        ? [{ port: r.port, protocol: r.protocol }]
        : [];
    });
  } catch {
    return [];
  }
}

function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof v !== 'object' || v === null) return out;
  for (const [k, x] of Object.entries(v)) {
    if (x === null || x === undefined) continue;
    out[k] = typeof x === 'string' ? x : JSON.stringify(x);
  }
  return out;
}

/**
 * Decodes `/services/<application>/<name>` data. `interfacesOf` supplies the interfaces an application
 * serves (from the mapping nodes) because Dubbo's instance record does not list them.
 */
export function decodeAppInstanceNode(
  name: string,
  data: Buffer | undefined,
  application: string,
  interfacesOf?: (app: string) => readonly string[],
): ParseResult<Instance> {
  if (!data || data.length === 0) return { ok: false, error: `instance node ${name} has no data` };
  let json: CuratorInstanceJson;
  try {
    json = JSON.parse(data.toString('utf8')) as CuratorInstanceJson;
  } catch (err) {
    return { ok: false, error: `instance node ${name}: ${(err as Error).message}` };
  }
  const metadata = stringRecord(json.payload?.metadata);
  const own = metadata[META_STRAIT];
  try {
    if (own !== undefined) {
      const inst = normalizeInstance(JSON.parse(own) as Parameters<typeof normalizeInstance>[0]);
      if (inst.service === application) return { ok: true, value: inst };
    }
    if (typeof json.address !== 'string' || typeof json.port !== 'number') {
      return { ok: false, error: `instance node ${name} lacks address/port` };
    }
    const endpoints = parseEndpoints(metadata[META_ENDPOINTS]);
    const main = endpoints.find((e) => e.port === json.port) ?? endpoints[0];
    const labels: Record<string, string> = {};
    if (metadata['dubbo.tag']) labels['tag'] = metadata['dubbo.tag'];
    const weight = Number(metadata['weight'] ?? 100);
    const inst = normalizeInstance({
      service: application,
      id: typeof json.id === 'string' && json.id !== '' ? json.id : name,
      address: json.address,
      port: json.port,
      protocol: main ? protocolFromDubbo(main.protocol) : 'dubbo',
      weight: Number.isInteger(weight) && weight >= 1 ? weight : 100,
      labels,
      application: typeof json.name === 'string' && json.name !== '' ? json.name : application,
      interfaces: interfacesOf?.(application) ?? [],
      metadata,
    });
    return { ok: true, value: inst };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** Child name for an instance: Dubbo uses `host:port`; a custom Strait id is kept as the name. */
export function appInstanceNodeName(inst: Instance): string {
  return inst.id;
}

/** Node data in the shape Dubbo 3 consumers read, with the exact Strait instance alongside. */
export function encodeAppInstanceNode(inst: Instance, revision: string, nowMs: number): Buffer {
  const metadata: Record<string, string> = {
    ...inst.metadata,
    [META_ENDPOINTS]: JSON.stringify([{ port: inst.port, protocol: protocolToDubbo(inst.protocol) }]),
    [META_REVISION]: revision,
    [META_STORAGE_TYPE]: inst.metadata[META_STORAGE_TYPE] ?? 'local',
    [META_STRAIT]: JSON.stringify(inst),
  };
  const json = {
    name: inst.service,
    id: inst.id,
    address: inst.address,
    port: inst.port,
    sslPort: null,
    payload: { '@class': ZOOKEEPER_INSTANCE_CLASS, id: inst.id, name: inst.service, metadata },
    registrationTimeUTC: nowMs,
    serviceType: 'DYNAMIC',
    uriSpec: null,
  };
  return Buffer.from(JSON.stringify(json));
}

/** `/dubbo/mapping/<interface>` data: comma-separated application names (Dubbo trims, ignores empties). */
export function parseMapping(data: Buffer | string | undefined): string[] {
  if (data === undefined) return [];
  const text = typeof data === 'string' ? data : data.toString('utf8');
  const apps = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...new Set(apps)].sort();
}

/** Adds `app` to mapping data, keeping the existing order Dubbo wrote (appends; no duplicates). */
export function addToMapping(existing: string | undefined, app: string): string {
  const apps = (existing ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (!apps.includes(app)) apps.push(app);
  return apps.join(',');
}
