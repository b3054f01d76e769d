// Config the pilot accepted but cannot apply (in the running architecture, to the services it names,
// or at all), for the log and /debug/configz: silently ignoring it would let a user believe it is in
// force.
import type { TrafficPolicy } from '@strait/config';
import type { PushContext } from '../model/push-context.js';
import { ISTIO_MUTUAL_NOT_APPLIED, istioMutualPaths } from './cluster-tls.js';
import { unusedL4Routes } from './l4-routes.js';

export interface NotApplied {
  /** `DestinationRule/namespace/name`. */
  readonly object: string;
  /** Field path within the object, as validation errors name fields. */
  readonly field: string;
  readonly reason: string;
}

const SCALE_OUT_LOCALITY =
  'not applied in the scale-out architecture: proxies build endpoints from the registry themselves ' +
  '(priorities from RegistryCluster.cells), not from EDS';

function localityPaths(policy: TrafficPolicy | undefined, path: string): string[] {
  if (!policy) return [];
  const out: string[] = [];
  if (policy.loadBalancer?.localityLbSetting) out.push(`${path}.loadBalancer.localityLbSetting`);
  policy.portLevelSettings?.forEach((p, i) => {
    if (p.loadBalancer?.localityLbSetting)
      out.push(`${path}.portLevelSettings[${i}].loadBalancer.localityLbSetting`);
  });
  return out;
}

/**
 * @param proxyless whether proxyless gRPC clients are connected: what they cannot be given (CORS,
 * upstream TLS) is listed only then, so a mesh of sidecars is not told about clients it does not have.
 */
export function notApplied(ctx: PushContext, proxyless = false): NotApplied[] {
  return [
    ...localityNotApplied(ctx),
    ...unusedL4Routes(ctx),
    ...istioMutualNotApplied(ctx),
    ...(proxyless ? proxylessNotApplied(ctx) : []),
  ];
}

const PROXYLESS_CORS = 'not applied to proxyless gRPC clients: grpc-js-xds has no CORS filter';
const PROXYLESS_TLS =
  'not applied to proxyless gRPC clients: their clusters stay plaintext (the pilot sends gRPC clients no transport sockets)';

/** VirtualService corsPolicy and DestinationRule SIMPLE/MUTUAL tls: what proxyless gRPC clients do not get. */
function proxylessNotApplied(ctx: PushContext): NotApplied[] {
  const out: NotApplied[] = [];
  for (const vs of ctx.virtualServices) {
    const object = `VirtualService/${vs.metadata.namespace ?? 'default'}/${vs.metadata.name}`;
    (vs.spec.http ?? []).forEach((r, i) => {
      if (r.corsPolicy) out.push({ object, field: `spec.http[${i}].corsPolicy`, reason: PROXYLESS_CORS });
    });
  }
  for (const dr of ctx.destinationRules.values()) {
    const object = `DestinationRule/${dr.metadata.namespace ?? 'default'}/${dr.metadata.name}`;
    const policies = [
      { policy: dr.spec.trafficPolicy, path: 'spec.trafficPolicy' },
      ...(dr.spec.subsets ?? []).map((s, i) => ({
        policy: s.trafficPolicy,
        path: `spec.subsets[${i}].trafficPolicy`,
      })),
    ];
    for (const { policy, path } of policies) {
      const modes = [
        { mode: policy?.tls?.mode, field: `${path}.tls.mode` },
        ...(policy?.portLevelSettings ?? []).map((p, i) => ({
          mode: p.tls?.mode,
          field: `${path}.portLevelSettings[${i}].tls.mode`,
        })),
      ];
      for (const { mode, field } of modes)
        if (mode === 'SIMPLE' || mode === 'MUTUAL') out.push({ object, field, reason: PROXYLESS_TLS });
    }
  }
  return out;
}

/** DestinationRule tls ISTIO_MUTUAL, at any level and in any architecture: sent plaintext. */
function istioMutualNotApplied(ctx: PushContext): NotApplied[] {
  const out: NotApplied[] = [];
  for (const dr of ctx.destinationRules.values()) {
    const object = `DestinationRule/${dr.metadata.namespace ?? 'default'}/${dr.metadata.name}`;
    const fields = [
      ...istioMutualPaths(dr.spec.trafficPolicy, 'spec.trafficPolicy'),
      ...(dr.spec.subsets ?? []).flatMap((s, i) =>
        istioMutualPaths(s.trafficPolicy, `spec.subsets[${i}].trafficPolicy`),
      ),
    ];
    for (const field of fields) out.push({ object, field, reason: ISTIO_MUTUAL_NOT_APPLIED });
  }
  return out;
}

function localityNotApplied(ctx: PushContext): NotApplied[] {
  if (ctx.architecture !== 'scale-out') return [];
  const out: NotApplied[] = [];
  for (const dr of ctx.destinationRules.values()) {
    const object = `DestinationRule/${dr.metadata.namespace ?? 'default'}/${dr.metadata.name}`;
    const paths = [
      ...localityPaths(dr.spec.trafficPolicy, 'spec.trafficPolicy'),
      ...(dr.spec.subsets ?? []).flatMap((s, i) =>
        localityPaths(s.trafficPolicy, `spec.subsets[${i}].trafficPolicy`),
      ),
    ];
    for (const field of paths)
      out.push({ object, field, reason: `localityLbSetting is ${SCALE_OUT_LOCALITY}` });
  }
  return out;
}
