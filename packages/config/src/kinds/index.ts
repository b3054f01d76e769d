import type { DestinationRule } from './destination-rule.js';
import type { RpcRoute } from './rpc-route.js';
import type { ServiceEntry } from './service-entry.js';
import type { Sidecar } from './sidecar.js';
import type { VirtualService } from './virtual-service.js';

export * from './common.js';
export type * from './destination-rule.js';
export type * from './rpc-route.js';
export type * from './service-entry.js';
export type * from './sidecar.js';
export type * from './virtual-service.js';

/** Every config object the loader and store understand. */
export type ConfigObject = VirtualService | DestinationRule | ServiceEntry | Sidecar | RpcRoute;

/** The `kind` discriminator of ConfigObject. */
export type ConfigKind = ConfigObject['kind'];

/** Narrow ConfigObject by kind: `ConfigOfKind<'VirtualService'>` is `VirtualService`. */
export type ConfigOfKind<K extends ConfigKind> = Extract<ConfigObject, { kind: K }>;

/** The kinds and the apiVersion each is served under; the loader rejects other combinations. */
export const CONFIG_KINDS = {
  VirtualService: 'networking.istio.io/v1',
  DestinationRule: 'networking.istio.io/v1',
  ServiceEntry: 'networking.istio.io/v1',
  Sidecar: 'networking.istio.io/v1',
  RpcRoute: 'mesh.strait.io/v1alpha1',
} as const satisfies Record<ConfigKind, string>;

export const ALL_KINDS = Object.keys(CONFIG_KINDS) as ConfigKind[];

/** A validated object with its origin. */
export interface SourcedConfig<T extends ConfigObject = ConfigObject> {
  object: T;
  source: import('./common.js').SourceRef;
}
