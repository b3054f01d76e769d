// Where each layout keeps a service's instances, and how one child node maps to an Instance. The
// registry core (registry.ts, service-view.ts) only sees this interface, never a Dubbo URL or JSON.
import { metadataRevision, type ServiceInfo } from '../../app-level.js';
import type { Instance } from '../../types.js';
import { decodeAppInstanceNode, encodeAppInstanceNode } from './application-layout.js';
import type { Layout, ZooKeeperOptions } from './config.js';
import type { ParseResult } from './dubbo-url.js';
import { decodeProviderNode, encodeProviderNode, providerNodeNeedsData } from './interface-layout.js';

export interface LayoutCodec {
  readonly kind: Layout;
  /** Directory holding one child node per instance of `service`. */
  dir(service: string): string;
  /** Directory whose children are service names (some may be Dubbo bookkeeping, see `isService`). */
  readonly servicesDir: string;
  /** False for children of `servicesDir` that are not services (Dubbo's `mapping`, `metadata`, `config`). */
  isService(name: string): boolean;
  /** `/<root>/mapping/<interface>`: comma-separated applications (Dubbo 3 service-name mapping). */
  mappingPath(iface: string): string;
  readonly mappingDir: string;
  decode(name: string, data: Buffer | undefined, service: string): ParseResult<Instance>;
  /** The child to create for `inst`; the name changes when the content does (interface layout). */
  encode(inst: Instance, nowMs: number): { name: string; data: Buffer };
  /**
   * True when a child's data may change in place (application layout: the child name is the instance
   * id), so readers must watch each child's data, not only the children list.
   */
  readonly watchData: boolean;
  /** False when the child name alone decodes the instance (a Dubbo-written provider URL). */
  needsData(name: string): boolean;
}

/** Dubbo's own nodes under the root that are not interfaces. */
const DUBBO_RESERVED = new Set(['mapping', 'metadata', 'config']);

/** Metadata revision of an instance Strait registers at application level (its interface set). */
function revisionOf(inst: Instance): string {
  const infos: ServiceInfo[] = inst.interfaces.map((iface) => ({
    interface: iface,
    protocol: inst.protocol,
    port: inst.port,
    weight: inst.weight,
    health: inst.health,
    labels: inst.labels,
    params: {},
  }));
  return metadataRevision(infos);
}

export function layoutCodec(o: Pick<ZooKeeperOptions, 'layout' | 'chroot' | 'group'>): LayoutCodec {
  const root = `${o.chroot}/${o.group}`;
  const mappingDir = `${root}/mapping`;
  const mappingPath = (iface: string): string => `${mappingDir}/${iface}`;
  if (o.layout === 'interface') {
    return {
      kind: 'interface',
      dir: (service) => `${root}/${service}/providers`,
      servicesDir: root,
      isService: (name) => !DUBBO_RESERVED.has(name),
      mappingDir,
      mappingPath,
      decode: decodeProviderNode,
      encode: encodeProviderNode,
      watchData: false,
      needsData: providerNodeNeedsData,
    };
  }
  const services = `${o.chroot}/services`;
  return {
    kind: 'application',
    dir: (service) => `${services}/${service}`,
    servicesDir: services,
    isService: () => true,
    mappingDir,
    mappingPath,
    decode: (name, data, service) => decodeAppInstanceNode(name, data, service),
    encode: (inst, nowMs) => ({ name: inst.id, data: encodeAppInstanceNode(inst, revisionOf(inst), nowMs) }),
    watchData: true,
    needsData: () => true,
  };
}
