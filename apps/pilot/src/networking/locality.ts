// Istio's DestinationRule `localityLbSetting` for one (cluster, proxy): which mode applies (distribute
// or failover/failoverPriority, after `enabled` and the outlier-detection requirement), the Envoy
// priority of each endpoint, and the locality weights of `distribute`. Pure; the inputs are the
// effective traffic policy, the proxy's locality and labels, and the endpoints' locality and labels.
import { hash } from 'node:crypto';
import type { LocalityLoadBalancerSetting, TrafficPolicy } from '@strait/config';
import type { ProxyInfo } from '../model/proxy.js';

export interface LocalityOf {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
}

/** Label keys Istio adds to proxies and endpoints from their locality (failoverPriority may name them). */
export const TOPOLOGY_REGION = 'topology.kubernetes.io/region';
export const TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';
export const TOPOLOGY_SUBZONE = 'topology.istio.io/subzone';
export const TOPOLOGY_NETWORK = 'topology.istio.io/network';

export interface DistributeRule {
  readonly from: string;
  readonly to: readonly (readonly [locality: string, weight: number])[];
}

export interface PriorityLabel {
  readonly key: string;
  /** `key=value` form: the value endpoints are compared with, instead of the proxy's own label. */
  readonly value?: string;
}

export type LocalityLb =
  | { readonly kind: 'distribute'; readonly rules: readonly DistributeRule[] }
  | {
      readonly kind: 'failover';
      readonly failover: readonly { readonly from: string; readonly to: string }[];
      readonly priorityLabels: readonly PriorityLabel[];
    };

/**
 * The locality LB a cluster gets. Istio's mesh default enables locality LB, a DestinationRule's
 * `enabled: false` turns every part off. `distribute` applies on its own; failover (default, region
 * rules or failoverPriority) needs outlier detection, because without it Envoy never sees endpoints
 * fail and lower priorities would only strand traffic.
 */
export function resolveLocalityLb(policy: TrafficPolicy | undefined): LocalityLb | undefined {
  const setting: LocalityLoadBalancerSetting | undefined = policy?.loadBalancer?.localityLbSetting;
  if (setting?.enabled === false) return undefined;
  const distribute = setting?.distribute ?? [];
  if (distribute.length > 0) {
    return {
      kind: 'distribute',
      rules: distribute.map((d) => ({ from: d.from ?? '', to: Object.entries(d.to ?? {}) })),
    };
  }
  if (!policy?.outlierDetection) return undefined;
  return {
    kind: 'failover',
    failover: (setting?.failover ?? []).map((f) => ({ from: f.from ?? '', to: f.to ?? '' })),
    priorityLabels: (setting?.failoverPriority ?? []).map((entry) => {
      const eq = entry.indexOf('=');
      return eq < 0 ? { key: entry } : { key: entry.slice(0, eq), value: entry.slice(eq + 1) };
    }),
  };
}

/** Istio's locality match: `region[/zone[/subzone]]`, `*` matching anything, absent parts too. */
export function localityMatch(l: LocalityOf, rule: string): boolean {
  const [region = '', zone = '', subZone = ''] = rule.split('/');
  const part = (want: string, have: string, optional: boolean) =>
    want === '*' || (optional && want === '') || want === have;
  return part(region, l.region, false) && part(zone, l.zone, true) && part(subZone, l.subZone, true);
}

const hasLocality = (l: LocalityOf | undefined): l is LocalityOf =>
  l !== undefined && (l.region !== '' || l.zone !== '' || l.subZone !== '');

/** The proxy's labels as Istio sees them for failoverPriority: its own plus topology labels. */
export function proxyPriorityLabels(proxy: ProxyInfo): Record<string, string> {
  const out: Record<string, string> = { ...proxy.labels };
  const l = proxy.locality;
  if (l?.region) out[TOPOLOGY_REGION] ??= l.region;
  if (l?.zone) out[TOPOLOGY_ZONE] ??= l.zone;
  if (l?.subZone) out[TOPOLOGY_SUBZONE] ??= l.subZone;
  if (proxy.network) out[TOPOLOGY_NETWORK] ??= proxy.network;
  return out;
}

export interface PriorityInput {
  readonly locality: LocalityOf;
  readonly labels: Readonly<Record<string, string>>;
  readonly network?: string;
}

/** An endpoint's labels as failoverPriority compares them: its own plus locality and network labels. */
export function endpointPriorityLabels(e: PriorityInput): Record<string, string> {
  const out: Record<string, string> = { ...e.labels };
  const l = e.locality;
  if (l.region) out[TOPOLOGY_REGION] ??= l.region;
  if (l.zone) out[TOPOLOGY_ZONE] ??= l.zone;
  if (l.subZone) out[TOPOLOGY_SUBZONE] ??= l.subZone;
  if (e.network) out[TOPOLOGY_NETWORK] ??= e.network;
  return out;
}

/** The first distribute rule whose `from` matches the proxy (Istio applies only that one). */
export function matchingDistribute(
  lb: Extract<LocalityLb, { kind: 'distribute' }>,
  proxy: LocalityOf,
): number {
  return lb.rules.findIndex((r) => localityMatch(proxy, r.from));
}

/** Whether region/zone proximity decides priorities (failoverPriority alone replaces it). */
function usesLocality(lb: Extract<LocalityLb, { kind: 'failover' }>, proxy: ProxyInfo): boolean {
  return hasLocality(proxy.locality) && (lb.priorityLabels.length === 0 || lb.failover.length > 0);
}

/** Whether label priorities apply: Istio skips them for a proxy without labels. */
function usesLabels(lb: Extract<LocalityLb, { kind: 'failover' }>, labels: Record<string, string>): boolean {
  return lb.priorityLabels.length > 0 && Object.keys(labels).length > 0;
}

/**
 * What of the proxy the assignment depends on, as a short string (undefined: nothing). It never
 * contains `|`, so it can follow a cluster name in a cache key.
 */
export function localityKeyOf(lb: LocalityLb | undefined, proxy: ProxyInfo): string | undefined {
  if (!lb) return undefined;
  let key: string;
  if (lb.kind === 'distribute') {
    const i = matchingDistribute(lb, proxy.locality ?? { region: '', zone: '', subZone: '' });
    if (i < 0) return undefined;
    key = `d${i}`;
  } else {
    const parts: string[] = [];
    if (usesLocality(lb, proxy)) {
      const l = proxy.locality!;
      parts.push(`l=${l.region}/${l.zone}/${l.subZone}`);
    }
    const labels = proxyPriorityLabels(proxy);
    if (usesLabels(lb, labels))
      parts.push(`p=${JSON.stringify(lb.priorityLabels.map((p) => p.value ?? labels[p.key] ?? ''))}`);
    if (parts.length === 0) return undefined;
    key = parts.join(';');
  }
  return key.length > 96 || key.includes('|') ? `h=${hash('sha1', key, 'base64url').slice(0, 22)}` : key;
}

/** Istio's proximity levels: 0 same subzone, 1 same zone, 2 same region, 3 elsewhere, 4 not the failover region. */
function proximity(
  proxy: LocalityOf,
  ep: LocalityOf,
  failover: readonly { readonly from: string; readonly to: string }[],
): number {
  if (proxy.region === ep.region) {
    if (proxy.zone !== ep.zone) return 2;
    return proxy.subZone === ep.subZone ? 0 : 1;
  }
  // Another region: the configured failover region for the proxy's region ranks before the rest.
  const rule = failover.find((f) => f.from === proxy.region);
  return rule && rule.to !== ep.region ? 4 : 3;
}

/**
 * Envoy priority per endpoint (same order as `endpoints`), before compaction. failoverPriority: the
 * number of leading labels matching the proxy's decides (all match: 0; the first differs: N). With
 * `failover` rules too, proximity refines each label level (level * 5 + proximity, as Istio does).
 */
export function failoverPriorities(
  lb: Extract<LocalityLb, { kind: 'failover' }>,
  proxy: ProxyInfo,
  endpoints: readonly PriorityInput[],
): number[] {
  const proxyLabels = proxyPriorityLabels(proxy);
  const labels = usesLabels(lb, proxyLabels);
  const locality = usesLocality(lb, proxy);
  const n = lb.priorityLabels.length;
  return endpoints.map((e) => {
    let level = 0;
    if (labels) {
      const own = endpointPriorityLabels(e);
      const miss = lb.priorityLabels.findIndex(
        (p) => (p.value ?? proxyLabels[p.key] ?? '') !== (own[p.key] ?? ''),
      );
      level = miss < 0 ? 0 : n - miss;
    }
    if (!locality) return level;
    const near = proximity(proxy.locality!, e.locality, lb.failover);
    return lb.priorityLabels.length > 0 ? level * 5 + near : near;
  });
}

interface WeightedLocality {
  locality?: { region?: string | null; zone?: string | null; subZone?: string | null } | null;
  loadBalancingWeight?: { value?: number | null } | null;
}

/**
 * Applies a distribute rule to an assignment's localities: each `to` entry's weight is spread over
 * the localities it matches in proportion to their own weight (rounded up, as Istio does); localities
 * no entry matches are removed, so they get no traffic. Returns the kept localities.
 */
export function distributeWeights<T extends WeightedLocality>(
  rule: DistributeRule,
  localities: readonly T[],
): T[] {
  const unmatched = new Set(localities.map((_, i) => i));
  const weights = new Map<number, number>();
  for (const [to, weight] of rule.to) {
    const hits: number[] = [];
    for (const i of unmatched) {
      const l = localities[i]!.locality;
      if (localityMatch({ region: l?.region ?? '', zone: l?.zone ?? '', subZone: l?.subZone ?? '' }, to))
        hits.push(i);
    }
    const own = (i: number) => localities[i]!.loadBalancingWeight?.value || 1;
    const total = hits.reduce((s, i) => s + own(i), 0);
    for (const i of hits) {
      unmatched.delete(i);
      weights.set(i, Math.ceil((own(i) * weight) / total));
    }
  }
  const out: T[] = [];
  localities.forEach((l, i) => {
    const w = weights.get(i);
    if (w !== undefined && w > 0) out.push({ ...l, loadBalancingWeight: { value: w } });
  });
  return out;
}
