// Interface-level → application-level aggregation (Dubbo 3's "service discovery" model), pure.
//
// Why: an interface-level registry holds one record per (interface, host). A fleet of n hosts each
// exporting k interfaces is k·n records, and every watcher of every interface re-receives its share on
// each change. Dubbo 3 instead registers one record per (application, host) and moves the interface set
// into metadata shared by every host with the same "revision" (a digest of that set), plus an
// interface → application mapping. Watchers then receive n records and k mapping entries and fetch
// each distinct revision once. This module performs that transform (and its inverse) on plain data, so
// backends, the pilot and the benchmark share one definition. No I/O, clock or globals.
import { createHash } from 'node:crypto';
import type { Health, Instance, Protocol } from './types.js';

/** Dubbo's instance metadata keys (as Dubbo 3 writes them into the instance record). */
export const META_REVISION = 'dubbo.metadata.revision';
export const META_ENDPOINTS = 'dubbo.endpoints';

/**
 * URL parameters that differ per host or per restart. Dubbo leaves them out of the shared metadata,
 * otherwise every host would get its own revision and nothing would be shared.
 */
export const VOLATILE_PARAMS: ReadonlySet<string> = new Set([
  'timestamp',
  'pid',
  'anyhost',
  'bind.ip',
  'bind.port',
  'strait.id',
]);

/** One exported interface as the application's shared metadata describes it (Dubbo's ServiceInfo). */
export interface ServiceInfo {
  readonly interface: string;
  readonly protocol: Protocol;
  readonly port: number;
  readonly weight: number;
  readonly health: Health;
  /** The record's labels (version, group, tag, ...). */
  readonly labels: Readonly<Record<string, string>>;
  /** The record's metadata minus VOLATILE_PARAMS (methods, serialization, timeouts, ...). */
  readonly params: Readonly<Record<string, string>>;
}

export interface Endpoint {
  readonly protocol: Protocol;
  readonly port: number;
}

/** The application-level view of a set of interface-level records. */
export interface AppLevelView {
  /** One instance per (application, address), sorted by application then id. */
  readonly instances: readonly Instance[];
  /** interface → applications serving it, both sorted (Dubbo's `/mapping/<interface>`). */
  readonly mapping: ReadonlyMap<string, readonly string[]>;
  /** revision → the interfaces behind it (Dubbo's MetadataInfo), one entry per distinct set. */
  readonly metadata: ReadonlyMap<string, readonly ServiceInfo[]>;
}

/**
 * The id of one interface-level record. One host:port may export the same interface under several
 * group/version pairs (each its own Dubbo provider URL), so those must be distinct records.
 */
export function interfaceRecordId(host: string, port: number, group?: string, version?: string): string {
  let id = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  if (group) id += `;group=${group}`;
  if (version) id += `;version=${version}`;
  return id;
}

function sortedRecord(r: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k] as string;
  return out;
}

function infoKey(i: ServiceInfo): string {
  return `${i.interface}\0${i.labels['group'] ?? ''}\0${i.labels['version'] ?? ''}\0${i.protocol}\0${i.port}`;
}

/** Digest of an interface set: equal sets (in any order) give equal revisions, as Dubbo's revision does. */
export function metadataRevision(infos: readonly ServiceInfo[]): string {
  const canonical = infos
    .map((i) => [infoKey(i), i] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, i]) =>
      JSON.stringify([
        i.interface,
        i.protocol,
        i.port,
        i.weight,
        i.health,
        sortedRecord(i.labels),
        sortedRecord(i.params),
      ]),
    );
  return createHash('md5').update(canonical.join('\n')).digest('hex');
}

function serviceInfoOf(r: Instance): ServiceInfo {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.metadata)) if (!VOLATILE_PARAMS.has(k)) params[k] = v;
  return {
    interface: r.interfaces[0] ?? r.service,
    protocol: r.protocol,
    port: r.port,
    weight: r.weight,
    health: r.health,
    labels: sortedRecord(r.labels),
    params: sortedRecord(params),
  };
}

/** The primary endpoint: Dubbo's own protocol if served, else the lowest port (deterministic). */
function primary(endpoints: readonly Endpoint[]): Endpoint {
  const sorted = [...endpoints].sort((a, b) => a.port - b.port || (a.protocol < b.protocol ? -1 : 1));
  return sorted.find((e) => e.protocol === 'dubbo') ?? (sorted[0] as Endpoint);
}

function commonLabels(records: readonly Instance[]): Record<string, string> {
  const first = records[0];
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first.labels)) {
    if (records.every((r) => r.labels[k] === v)) out[k] = v;
  }
  return sortedRecord(out);
}

/** Interface-level records (one per interface per host) → application-level view. */
export function aggregate(records: Iterable<Instance>): AppLevelView {
  const hosts = new Map<string, Instance[]>();
  const mapping = new Map<string, Set<string>>();
  for (const r of records) {
    const key = `${r.application}\0${r.address}`;
    const list = hosts.get(key) ?? [];
    if (list.length === 0) hosts.set(key, list);
    list.push(r);
    for (const iface of r.interfaces.length > 0 ? r.interfaces : [r.service]) {
      const apps = mapping.get(iface) ?? new Set<string>();
      if (apps.size === 0) mapping.set(iface, apps);
      apps.add(r.application);
    }
  }

  const metadata = new Map<string, ServiceInfo[]>();
  const instances: Instance[] = [];
  for (const list of hosts.values()) {
    const first = list[0] as Instance;
    const infos = list.map(serviceInfoOf);
    const revision = metadataRevision(infos);
    if (!metadata.has(revision)) {
      metadata.set(
        revision,
        [...infos].sort((a, b) => (infoKey(a) < infoKey(b) ? -1 : 1)),
      );
    }
    const endpoints = [
      ...new Map(
        list.map((r) => [`${r.protocol}:${r.port}`, { protocol: r.protocol, port: r.port }]),
      ).values(),
    ];
    const main = primary(endpoints);
    instances.push({
      id: `${first.address.includes(':') ? `[${first.address}]` : first.address}:${main.port}`,
      service: first.application,
      address: first.address,
      port: main.port,
      protocol: main.protocol,
      weight: Math.max(...list.map((r) => r.weight)),
      // The host is usable when any of its interfaces is; per-interface health stays in the metadata.
      health: list.some((r) => r.health === 'healthy') ? 'healthy' : (first.health as Health),
      labels: commonLabels(list),
      application: first.application,
      interfaces: [...new Set(infos.map((i) => i.interface))].sort(),
      metadata: {
        [META_ENDPOINTS]: JSON.stringify(endpoints.sort((a, b) => a.port - b.port)),
        [META_REVISION]: revision,
      },
    });
  }
  instances.sort((a, b) =>
    a.service < b.service ? -1 : a.service > b.service ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  const sortedMapping = new Map(
    [...mapping.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, [...v].sort()] as const),
  );
  return { instances, mapping: sortedMapping, metadata };
}

/**
 * Application-level instances + revision metadata → interface-level records (what a consumer that
 * subscribes by interface needs). Instances whose revision is unknown are reported, not guessed.
 */
export function expand(
  instances: Iterable<Instance>,
  metadata: ReadonlyMap<string, readonly ServiceInfo[]>,
): { records: Instance[]; unknownRevisions: string[] } {
  const records: Instance[] = [];
  const unknown = new Set<string>();
  for (const inst of instances) {
    const revision = inst.metadata[META_REVISION];
    const infos = revision !== undefined ? metadata.get(revision) : undefined;
    if (!infos) {
      unknown.add(revision ?? `(none: ${inst.service}/${inst.id})`);
      continue;
    }
    for (const info of infos) {
      records.push({
        id: interfaceRecordId(inst.address, info.port, info.labels['group'], info.labels['version']),
        service: info.interface,
        address: inst.address,
        port: info.port,
        protocol: info.protocol,
        weight: info.weight,
        health: info.health,
        labels: info.labels,
        application: inst.application,
        interfaces: [info.interface],
        metadata: info.params,
      });
    }
  }
  return { records, unknownRevisions: [...unknown].sort() };
}
