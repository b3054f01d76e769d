// The stats store: Envoy-named counters, gauges and histograms grouped in scopes. Each component
// declares its stats once as data (its stats.ts) and instantiates a scope per listener/cluster/prefix.
// /stats prints `prefix.name: value` as Envoy does; /stats/prometheus prints `envoy_<family>_<name>`
// with the scope's tags as labels (envoy_cluster_name, ...), the way Envoy's tag extraction does.

export type StatKind = 'counter' | 'gauge' | 'histogram';
export interface StatDef {
  readonly kind: StatKind;
  readonly help: string;
}
export type StatDefs = Readonly<Record<string, StatDef>>;

export const counter = (help: string) => ({ kind: 'counter', help }) as const;
export const gauge = (help: string) => ({ kind: 'gauge', help }) as const;
export const histogram = (help: string) => ({ kind: 'histogram', help }) as const;

export class Counter {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

export class Gauge {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
  set(v: number): void {
    this.value = v;
  }
}

/** Envoy's default histogram buckets (milliseconds). */
export const DEFAULT_BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];

export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly buckets: readonly number[] = DEFAULT_BUCKETS) {
    this.counts = new Array(buckets.length).fill(0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) {
      if (v <= this.buckets[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
  /** Approximate quantile from bucket bounds (for /stats text output). */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.counts[i]!;
      if (seen >= q * this.count) return this.buckets[i]!;
    }
    return Number.POSITIVE_INFINITY;
  }
}

type StatOf<D extends StatDef> = D['kind'] extends 'counter'
  ? Counter
  : D['kind'] extends 'gauge'
    ? Gauge
    : Histogram;
export type Scope<D extends StatDefs> = { readonly [K in keyof D]: StatOf<D[K]> };

interface ScopeEntry {
  prefix: string;
  family: string;
  tags: Readonly<Record<string, string>>;
  defs: StatDefs;
  stats: Record<string, Counter | Gauge | Histogram>;
}

/** Stats of removed resources are dropped; a cap bounds the number of scopes (cardinality guard). */
export const MAX_SCOPES = 20_000;

export class StatsStore {
  private readonly scopes = new Map<string, ScopeEntry>();
  /** Scopes refused because the store was full. */
  readonly overflow = new Counter();

  /**
   * A scope of `defs` under `prefix` (e.g. `cluster.outbound|80||a.ns.svc.cluster.local.`), exported to
   * Prometheus as family `family` (e.g. `cluster`) with `tags` as labels. Asking again for the same
   * prefix returns the same stats, so a resource update keeps its counters, as Envoy does.
   */
  scope<D extends StatDefs>(
    prefix: string,
    family: string,
    defs: D,
    tags: Record<string, string> = {},
  ): Scope<D> {
    const existing = this.scopes.get(prefix);
    if (existing) {
      for (const [k, d] of Object.entries(defs)) existing.stats[k] ??= make(d);
      existing.defs = { ...existing.defs, ...defs };
      return existing.stats as Scope<D>;
    }
    const stats: Record<string, Counter | Gauge | Histogram> = {};
    for (const [k, d] of Object.entries(defs)) stats[k] = make(d);
    if (this.scopes.size >= MAX_SCOPES) {
      this.overflow.inc();
      return stats as Scope<D>;
    }
    this.scopes.set(prefix, { prefix, family, tags, defs, stats });
    return stats as Scope<D>;
  }

  removeScope(prefix: string): void {
    this.scopes.delete(prefix);
  }

  /** Envoy's /stats text: `name: value`, sorted; histograms as P50/P99 summaries. */
  text(filter?: RegExp): string {
    const lines: string[] = [];
    for (const s of this.scopes.values()) {
      for (const [k, stat] of Object.entries(s.stats)) {
        const name = `${s.prefix}${k}`;
        if (filter && !filter.test(name)) continue;
        if (stat instanceof Histogram) {
          lines.push(`${name}: P50(${stat.quantile(0.5)}) P99(${stat.quantile(0.99)}) count(${stat.count})`);
        } else lines.push(`${name}: ${stat.value}`);
      }
    }
    lines.push(`stats.scope_overflow: ${this.overflow.value}`);
    return `${lines.sort().join('\n')}\n`;
  }

  /** Envoy's /stats?format=json: counters and gauges by name; histograms as count/sum/P50/P99. */
  json(
    filter?: RegExp,
  ): ({ name: string; value: number } | { name: string; histogram: Record<string, number> })[] {
    const out: ({ name: string; value: number } | { name: string; histogram: Record<string, number> })[] = [];
    for (const s of this.scopes.values()) {
      for (const [k, stat] of Object.entries(s.stats)) {
        const name = `${s.prefix}${k}`;
        if (filter && !filter.test(name)) continue;
        if (stat instanceof Histogram) {
          out.push({
            name,
            histogram: {
              count: stat.count,
              sum: stat.sum,
              p50: stat.quantile(0.5),
              p99: stat.quantile(0.99),
            },
          });
        } else out.push({ name, value: stat.value });
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Counter/gauge value by full Envoy name (tests and /clusters). */
  get(name: string): number | undefined {
    for (const s of this.scopes.values()) {
      if (!name.startsWith(s.prefix)) continue;
      const stat = s.stats[name.slice(s.prefix.length)];
      if (stat && !(stat instanceof Histogram)) return stat.value;
    }
    return undefined;
  }

  prometheus(): string {
    const families = new Map<string, { kind: StatKind; help: string; lines: string[] }>();
    for (const s of this.scopes.values()) {
      for (const [k, stat] of Object.entries(s.stats)) {
        const def = s.defs[k]!;
        const fam = `envoy_${sanitize(s.family ? `${s.family}_${k}` : k)}`;
        let f = families.get(fam);
        if (!f) {
          f = { kind: def.kind, help: def.help, lines: [] };
          families.set(fam, f);
        }
        const labels = Object.entries(s.tags).map(([lk, lv]) => `${sanitize(lk)}="${escapeLabel(lv)}"`);
        if (stat instanceof Histogram) {
          let cum = 0;
          stat.buckets.forEach((b, i) => {
            cum += stat.counts[i]!;
            f.lines.push(`${fam}_bucket{${[...labels, `le="${b}"`].join(',')}} ${cum}`);
          });
          f.lines.push(`${fam}_bucket{${[...labels, 'le="+Inf"'].join(',')}} ${stat.count}`);
          f.lines.push(`${fam}_sum${braces(labels)} ${stat.sum}`);
          f.lines.push(`${fam}_count${braces(labels)} ${stat.count}`);
        } else f.lines.push(`${fam}${braces(labels)} ${stat.value}`);
      }
    }
    const out: string[] = [];
    for (const [name, f] of [...families.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.kind}`, ...f.lines);
    }
    return `${out.join('\n')}\n`;
  }
}

function make(d: StatDef): Counter | Gauge | Histogram {
  return d.kind === 'counter' ? new Counter() : d.kind === 'gauge' ? new Gauge() : new Histogram();
}

export function sanitize(s: string): string {
  return s.replace(/[^a-zA-Z0-9_]/g, '_');
}

export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function braces(labels: string[]): string {
  return labels.length ? `{${labels.join(',')}}` : '';
}
