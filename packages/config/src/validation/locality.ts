// DestinationRule `loadBalancer.localityLbSetting`: Istio's rules (validateLocalityLbSetting and
// validateLocalities in pkg/config/validation), each problem reported at the field that has it.
import { arr, at, entries, type Issues, isObj, show } from './issues.js';

/** Topology labels that name a locality level: failover already orders by them. */
const TOPOLOGY_LOCALITY_LABELS = [
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'topology.istio.io/subzone',
];

/** "region/zone/subzone"; `wildcard`: "*" may be the last part (distribute). */
export function checkLocality(issues: Issues, path: string, loc: string, wildcard: boolean): boolean {
  const parts = loc.split('/');
  const bad =
    loc === '' ||
    parts.length > 3 ||
    parts.some((x, i) => x === '' || (x.includes('*') && !(wildcard && x === '*' && i === parts.length - 1)));
  if (bad)
    issues.error(
      'CFG_ERR_INVALID_VALUE',
      path,
      `locality ${show(loc)} is not region[/zone[/subzone]]${wildcard ? ' (a "*" may end it)' : ''}`,
    );
  return !bad;
}

/**
 * Istio refuses localities of one list that overlap: the same one twice, or one inside a wildcard
 * (or shorter prefix) listed with it, such as "us/*" with "us/zone1", since which one applies would
 * depend on order.
 */
function checkOverlaps(issues: Issues, items: readonly { path: string; loc: string }[]): void {
  const seen: { loc: string; prefix: string[] }[] = [];
  for (const { path, loc } of items) {
    const parts = loc.split('/');
    const prefix = parts.at(-1) === '*' ? parts.slice(0, -1) : parts;
    const clash = seen.find((s) => {
      const n = Math.min(s.prefix.length, prefix.length);
      return s.prefix.slice(0, n).join('/') === prefix.slice(0, n).join('/');
    });
    if (clash)
      issues.error(
        'CFG_ERR_DUPLICATE',
        path,
        `locality ${show(loc)} overlaps ${show(clash.loc)} listed before it`,
      );
    else seen.push({ loc, prefix });
  }
}

/** `hasOutlier`: the policy (or the one it refines) sets outlierDetection. */
export function validateLocalityLbSetting(v: unknown, p: string, issues: Issues, hasOutlier: boolean): void {
  if (!isObj(v)) return;
  const distribute = arr(v['distribute']);
  const failover = arr(v['failover']);
  const priority = arr(v['failoverPriority']);
  if (distribute.length > 0 && failover.length > 0)
    issues.error('CFG_ERR_ONEOF', p, 'only one of distribute, failover may be set');
  if (failover.length > 0)
    priority.forEach((label, i) => {
      if (typeof label === 'string' && TOPOLOGY_LOCALITY_LABELS.includes(label))
        issues.error(
          'CFG_ERR_ONEOF',
          at(at(p, 'failoverPriority'), i),
          `${show(label)} cannot be used together with failover, which already orders by region`,
        );
    });

  const froms: { path: string; loc: string }[] = [];
  distribute.forEach((d, i) => {
    if (!isObj(d)) return;
    const dp = at(at(p, 'distribute'), i);
    if (typeof d['from'] !== 'string' || d['from'] === '')
      issues.error('CFG_ERR_MISSING_FIELD', at(dp, 'from'), '"from" is required (a locality, "*" allowed)');
    else if (checkLocality(issues, at(dp, 'from'), d['from'], true))
      froms.push({ path: at(dp, 'from'), loc: d['from'] });
    let total = 0;
    const tos: { path: string; loc: string }[] = [];
    for (const [loc, w] of entries(d['to'])) {
      const tp = at(at(dp, 'to'), loc);
      if (typeof w === 'number') {
        total += w;
        if (w < 1 || w > 100)
          issues.error('CFG_ERR_INVALID_WEIGHT', tp, `locality weight ${w} is outside 1..100`);
      }
      if (checkLocality(issues, tp, loc, true)) tos.push({ path: tp, loc });
    }
    if (total !== 100)
      issues.error('CFG_ERR_WEIGHT_SUM', at(dp, 'to'), `locality weights add up to ${total}, must be 100`);
    checkOverlaps(issues, tos);
  });
  checkOverlaps(issues, froms);

  failover.forEach((f, i) => {
    if (!isObj(f)) return;
    const fp = at(at(p, 'failover'), i);
    for (const k of ['from', 'to']) {
      const r = f[k];
      if (typeof r !== 'string' || r === '')
        issues.error('CFG_ERR_MISSING_FIELD', at(fp, k), `"${k}" is required (a region)`);
      else if (r.includes('/') || r.includes('*'))
        issues.error('CFG_ERR_INVALID_VALUE', at(fp, k), `failover ${k} must be one region, got ${show(r)}`);
    }
    if (typeof f['from'] === 'string' && f['from'] !== '' && f['from'] === f['to'])
      issues.error(
        'CFG_ERR_INVALID_VALUE',
        fp,
        `failover from and to are the same region ${show(f['from'])}`,
      );
  });

  priority.forEach((label, i) => {
    if (typeof label !== 'string') return;
    const eq = label.indexOf('=');
    if (label === '' || eq === 0)
      issues.error(
        'CFG_ERR_INVALID_VALUE',
        at(at(p, 'failoverPriority'), i),
        `${show(label)} is not a label key or key=value`,
      );
  });

  // Istio warns (and the pilot applies no failover): without outlier detection Envoy never sees the
  // nearer endpoints fail, so lower priorities would never get traffic.
  if ((failover.length > 0 || priority.length > 0) && !hasOutlier)
    issues.warn(
      'CFG_WARN_SUSPICIOUS',
      p,
      'failover and failoverPriority need outlierDetection in the same traffic policy; ignored without it',
    );
}
