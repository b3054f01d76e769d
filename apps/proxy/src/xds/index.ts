// The xDS client of strait-proxy: ADS (SotW or Delta) into the cluster, listener and route managers.
export { AdsClient, type AdsStatus, TYPE_ORDER, type TypeHandler } from './ads-client.js';
export type { InterceptionMode } from './apply-listeners.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export type { ApplyTargets } from './context.js';
export { buildAssignment, type RegistryClusterConfig } from './registry-clusters.js';
export { type XdsOptions, XdsRuntime } from './runtime.js';
export { type AdsTransport, GrpcAdsTransport, resolveXdsTarget, type XdsTarget } from './transport.js';
