// Istio's standard metrics (istio_requests_total, istio_request_duration_milliseconds, TCP ones) with
// Istio's label names, so existing dashboards work. Label sets are bounded: past the cap new series are
// refused and counted, never grown without limit.
import { Counter, DEFAULT_BUCKETS, escapeLabel, Histogram } from './store.js';

export const ISTIO_REQUEST_LABELS = [
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'source_principal',
  'source_app',
  'source_version',
  'source_canonical_service',
  'source_canonical_revision',
  'source_cluster',
  'destination_workload',
  'destination_workload_namespace',
  'destination_principal',
  'destination_app',
  'destination_version',
  'destination_service',
  'destination_service_name',
  'destination_service_namespace',
  'destination_canonical_service',
  'destination_canonical_revision',
  'destination_cluster',
  'request_protocol',
  'response_code',
  'grpc_response_status',
  'response_flags',
  'connection_security_policy',
] as const;

export type IstioLabels = Record<(typeof ISTIO_REQUEST_LABELS)[number], string>;

/** Istio's duration buckets (ms). */
const ISTIO_BUCKETS = DEFAULT_BUCKETS;

export const ISTIO_METRICS = {
  istio_requests_total: { kind: 'counter', help: 'Requests processed, by Istio standard labels' },
  istio_request_duration_milliseconds: { kind: 'histogram', help: 'Request duration in milliseconds' },
  istio_request_bytes: { kind: 'histogram', help: 'Request body sizes in bytes' },
  istio_response_bytes: { kind: 'histogram', help: 'Response body sizes in bytes' },
  istio_tcp_connections_opened_total: { kind: 'counter', help: 'TCP connections opened' },
  istio_tcp_connections_closed_total: { kind: 'counter', help: 'TCP connections closed' },
  istio_tcp_sent_bytes_total: { kind: 'counter', help: 'Bytes sent to the downstream in TCP connections' },
  istio_tcp_received_bytes_total: {
    kind: 'counter',
    help: 'Bytes received from the downstream in TCP connections',
  },
} as const;

export const MAX_ISTIO_SERIES = 10_000;
const BYTE_BUCKETS = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000];

interface Series {
  labels: string;
  requests: Counter;
  duration: Histogram;
  reqBytes: Histogram;
  respBytes: Histogram;
}

interface TcpSeries {
  labels: string;
  opened: Counter;
  closed: Counter;
  sent: Counter;
  received: Counter;
}

export class IstioMetrics {
  private readonly series = new Map<string, Series>();
  private readonly tcp = new Map<string, TcpSeries>();
  /** Series refused because the cap was reached. */
  readonly overflow = new Counter();

  /** Series by a caller's short key, so the 25 labels are built and rendered once per series. */
  private readonly byShortKey = new Map<string, Series>();

  /** Records a request; `labels` is only called the first time `shortKey` is seen. */
  recordRequest(
    shortKey: string,
    labels: () => IstioLabels,
    durationMs: number,
    requestBytes: number,
    responseBytes: number,
  ): void {
    let s = this.byShortKey.get(shortKey);
    if (!s) {
      s = this.seriesFor(labels());
      if (!s) return;
      if (this.byShortKey.size < MAX_ISTIO_SERIES) this.byShortKey.set(shortKey, s);
    }
    s.requests.inc();
    s.duration.observe(durationMs);
    s.reqBytes.observe(requestBytes);
    s.respBytes.observe(responseBytes);
  }

  private seriesFor(labels: IstioLabels): Series | undefined {
    const key = render(labels);
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= MAX_ISTIO_SERIES) {
        this.overflow.inc();
        return undefined;
      }
      s = {
        labels: key,
        requests: new Counter(),
        duration: new Histogram(ISTIO_BUCKETS),
        reqBytes: new Histogram(BYTE_BUCKETS),
        respBytes: new Histogram(BYTE_BUCKETS),
      };
      this.series.set(key, s);
    }
    return s;
  }

  tcpSeries(labels: Record<string, string>): TcpSeries | undefined {
    const key = render(labels);
    let s = this.tcp.get(key);
    if (!s) {
      if (this.tcp.size >= MAX_ISTIO_SERIES) {
        this.overflow.inc();
        return undefined;
      }
      s = {
        labels: key,
        opened: new Counter(),
        closed: new Counter(),
        sent: new Counter(),
        received: new Counter(),
      };
      this.tcp.set(key, s);
    }
    return s;
  }

  prometheus(): string {
    const out: string[] = [];
    const head = (name: keyof typeof ISTIO_METRICS) => {
      out.push(`# HELP ${name} ${ISTIO_METRICS[name].help}`, `# TYPE ${name} ${ISTIO_METRICS[name].kind}`);
    };
    const hist = (name: string, labels: string, h: Histogram) => {
      let cum = 0;
      h.buckets.forEach((b, i) => {
        cum += h.counts[i]!;
        out.push(`${name}_bucket{${labels},le="${b}"} ${cum}`);
      });
      out.push(
        `${name}_bucket{${labels},le="+Inf"} ${h.count}`,
        `${name}_sum{${labels}} ${h.sum}`,
        `${name}_count{${labels}} ${h.count}`,
      );
    };
    const all = [...this.series.values()];
    head('istio_requests_total');
    for (const s of all) out.push(`istio_requests_total{${s.labels}} ${s.requests.value}`);
    head('istio_request_duration_milliseconds');
    for (const s of all) hist('istio_request_duration_milliseconds', s.labels, s.duration);
    head('istio_request_bytes');
    for (const s of all) hist('istio_request_bytes', s.labels, s.reqBytes);
    head('istio_response_bytes');
    for (const s of all) hist('istio_response_bytes', s.labels, s.respBytes);
    const tcp = [...this.tcp.values()];
    const tcpCounter = (name: keyof typeof ISTIO_METRICS, pick: (t: TcpSeries) => Counter) => {
      head(name);
      for (const t of tcp) out.push(`${name}{${t.labels}} ${pick(t).value}`);
    };
    tcpCounter('istio_tcp_connections_opened_total', (t) => t.opened);
    tcpCounter('istio_tcp_connections_closed_total', (t) => t.closed);
    tcpCounter('istio_tcp_sent_bytes_total', (t) => t.sent);
    tcpCounter('istio_tcp_received_bytes_total', (t) => t.received);
    return `${out.join('\n')}\n`;
  }
}

function render(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');
}
