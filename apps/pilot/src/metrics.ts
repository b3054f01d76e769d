// Every metric the pilot exports, declared in one list (after Envoy's stats.h), with Istio's pilot
// names so existing dashboards work. A tiny registry rather than prom-client: counters, gauges and
// histograms with labels are all we need, and the text format is a few lines.

type Labels = Readonly<Record<string, string>>;

const DEFAULT_BUCKETS = [0.01, 0.1, 0.5, 1, 3, 5, 10, 20, 30];
const SIZE_BUCKETS = [1, 10_000, 1_000_000, 4_000_000, 10_000_000, 40_000_000];

export const METRICS = {
  pilot_xds: { type: 'gauge', help: 'Number of endpoints connected to this pilot using XDS.' },
  pilot_xds_pushes: { type: 'counter', help: 'Pilot build and send errors for lds, rds, cds and eds.' },
  pilot_xds_push_time: {
    type: 'histogram',
    help: 'Total time in seconds Pilot takes to push lds, rds, cds and eds.',
    buckets: DEFAULT_BUCKETS,
  },
  pilot_proxy_convergence_time: {
    type: 'histogram',
    help: 'Delay in seconds between config change and a proxy receiving all required configuration.',
    buckets: [0.1, 0.5, 1, 3, 5, 10, 20, 30],
  },
  pilot_proxy_queue_time: {
    type: 'histogram',
    help: 'Time in seconds, a proxy is in the push queue before being dequeued.',
    buckets: DEFAULT_BUCKETS,
  },
  pilot_xds_config_size_bytes: {
    type: 'histogram',
    help: 'Distribution of configuration sizes pushed to clients',
    buckets: SIZE_BUCKETS,
  },
  pilot_xds_send_time: {
    type: 'histogram',
    help: 'Total time in seconds Pilot takes to send generated configuration.',
    buckets: DEFAULT_BUCKETS,
  },
  pilot_total_xds_rejects: {
    type: 'counter',
    help: 'Total number of XDS responses from pilot rejected by proxy.',
  },
  pilot_xds_auth_failures: {
    type: 'counter',
    help: 'xDS streams on the TLS listener ended with UNAUTHENTICATED, by reason (no_credentials, untrusted_certificate, bad_token).',
  },
  pilot_xds_expired_nonce: { type: 'counter', help: 'Total number of XDS requests with an expired nonce.' },
  pilot_xds_write_timeout: {
    type: 'counter',
    help: 'Pilot XDS response write timeouts (slow clients disconnected).',
  },
  pilot_debounce_time: {
    type: 'histogram',
    help: 'Delay in seconds between the first config enters debouncing and the merged push request is pushed into the push queue.',
    buckets: DEFAULT_BUCKETS,
  },
  pilot_push_triggers: {
    type: 'counter',
    help: 'Total number of times a push was triggered, labeled by reason for the push.',
  },
  pilot_services: { type: 'gauge', help: 'Total services known to pilot.' },
  pilot_k8s_cfg_events: {
    type: 'counter',
    help: 'Events from config sources (file watcher), by type and event.',
  },
  pilot_total_rejected_configs: { type: 'gauge', help: 'Config objects currently rejected by validation.' },
  pilot_push_queue_depth: { type: 'gauge', help: 'Proxies waiting in the push queue.' },
  pilot_xds_send_queue_depth: {
    type: 'gauge',
    help: 'Responses queued for sending, summed over connections.',
  },
  pilot_xds_send_buffer_bytes: {
    type: 'gauge',
    help: 'Bytes of responses written to streams but not yet flushed, summed over connections (push fan-out waits while it is over the send budget).',
  },
  pilot_xds_encoded_sections: {
    type: 'counter',
    help: 'Encoded response resource sections, by result: hit (reused from another stream) or miss (encoded).',
  },
  pilot_endpoint_events: {
    type: 'counter',
    help: 'Registry watch events received, by type (snapshot, delta, resync).',
  },
} as const satisfies Record<string, MetricSpec>;

interface MetricSpec {
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  readonly buckets?: readonly number[];
}

export type MetricName = keyof typeof METRICS;

function key(labels: Labels | undefined): string {
  if (!labels) return '';
  return Object.keys(labels)
    .sort()
    .map(
      (k) =>
        `${k}="${String(labels[k]).replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`,
    )
    .join(',');
}

interface HistogramState {
  counts: number[];
  sum: number;
  count: number;
}

/** Bounds the label sets per metric so a label bug cannot grow memory without limit. */
const MAX_SERIES_PER_METRIC = 10_000;

export class Metrics {
  private readonly values = new Map<MetricName, Map<string, number>>();
  private readonly histograms = new Map<MetricName, Map<string, HistogramState>>();

  inc(name: MetricName, labels?: Labels, by = 1): void {
    const m = this.series(this.values, name);
    const k = key(labels);
    if (!m.has(k) && m.size >= MAX_SERIES_PER_METRIC) return;
    m.set(k, (m.get(k) ?? 0) + by);
  }

  set(name: MetricName, value: number, labels?: Labels): void {
    const m = this.series(this.values, name);
    const k = key(labels);
    if (!m.has(k) && m.size >= MAX_SERIES_PER_METRIC) return;
    m.set(k, value);
  }

  observe(name: MetricName, value: number, labels?: Labels): void {
    const spec: MetricSpec = METRICS[name];
    const buckets = spec.buckets ?? DEFAULT_BUCKETS;
    const m = this.series(this.histograms, name);
    const k = key(labels);
    let h = m.get(k);
    if (!h) {
      if (m.size >= MAX_SERIES_PER_METRIC) return;
      h = { counts: buckets.map(() => 0), sum: 0, count: 0 };
      m.set(k, h);
    }
    for (let i = 0; i < buckets.length; i++) if (value <= buckets[i]!) h.counts[i]!++;
    h.sum += value;
    h.count++;
  }

  /** Current value of a counter or gauge (0 when never set); for tests and /debug. */
  get(name: MetricName, labels?: Labels): number {
    return this.values.get(name)?.get(key(labels)) ?? 0;
  }

  /** Number of observations of a histogram series. */
  count(name: MetricName, labels?: Labels): number {
    return this.histograms.get(name)?.get(key(labels))?.count ?? 0;
  }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const out: string[] = [];
    for (const [name, s] of Object.entries(METRICS) as [MetricName, MetricSpec][]) {
      out.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} ${s.type}`);
      if (s.type === 'histogram') {
        const buckets = s.buckets ?? DEFAULT_BUCKETS;
        for (const [k, h] of this.histograms.get(name) ?? []) {
          const sep = k ? `${k},` : '';
          buckets.forEach((b, i) => {
            out.push(`${name}_bucket{${sep}le="${b}"} ${h.counts[i]}`);
          });
          out.push(`${name}_bucket{${sep}le="+Inf"} ${h.count}`);
          out.push(
            `${name}_sum${k ? `{${k}}` : ''} ${h.sum}`,
            `${name}_count${k ? `{${k}}` : ''} ${h.count}`,
          );
        }
      } else {
        for (const [k, v] of this.values.get(name) ?? []) out.push(`${name}${k ? `{${k}}` : ''} ${v}`);
      }
    }
    return `${out.join('\n')}\n`;
  }

  private series<V>(store: Map<MetricName, Map<string, V>>, name: MetricName): Map<string, V> {
    let m = store.get(name);
    if (!m) {
      m = new Map();
      store.set(name, m);
    }
    return m;
  }
}
