// The pilot's service model: what ServiceEntries and registries say exists, reduced to the few facts
// translation needs. Plain data: built by sources, read by networking/ builders.

/** Protocol of a service port as Istio names it (upper case); decides the filter chain. */
export type PortProtocol = 'HTTP' | 'HTTP2' | 'GRPC' | 'TCP' | 'DUBBO' | 'TLS' | 'HTTPS';

export interface ServicePort {
  readonly name: string;
  readonly number: number;
  readonly protocol: PortProtocol;
  /** Port the endpoints listen on when they do not say (Istio's targetPort). */
  readonly targetPort?: number;
}

export interface Service {
  /** Fully qualified host, e.g. echo.default.svc.cluster.local, or a Dubbo interface name. */
  readonly hostname: string;
  readonly namespace: string;
  readonly ports: readonly ServicePort[];
  /** STATIC (endpoints from EDS) or DNS (Envoy resolves the host); Istio's ServiceEntry resolution. */
  readonly resolution: 'STATIC' | 'DNS' | 'NONE';
  /** Where the service came from: `ServiceEntry/ns/name` or `registry`. */
  readonly origin: string;
  /**
   * A ServiceEntry's `subjectAltNames`: Istio verifies TLS origination to the service against them when
   * the DestinationRule's `tls` names no SANs of its own.
   */
  readonly subjectAltNames?: readonly string[];
}

export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
}

/** One endpoint of a service. */
export interface ServiceEndpoint {
  /** Unique within the service (the registry instance id, or `address:port`). */
  readonly id: string;
  readonly address: string;
  readonly port: number;
  /**
   * The service port number this endpoint serves; undefined means it serves the service's only port or
   * whichever port its own port matches (registry instances carry just one port).
   */
  readonly servicePort?: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly weight: number;
  readonly health: 'healthy' | 'unhealthy' | 'draining';
  readonly locality: Locality;
  /** Istio network (ServiceEntry endpoint `network`); failoverPriority's `topology.istio.io/network`. */
  readonly network?: string;
}

const PROTOCOLS: readonly PortProtocol[] = ['HTTP2', 'HTTPS', 'HTTP', 'GRPC', 'TCP', 'DUBBO', 'TLS'];

/** Istio's protocol selection: explicit protocol, else the port name's prefix (`http-web`, `grpc`, `dubbo`). */
export function portProtocol(protocol: string | undefined, name: string | undefined): PortProtocol {
  for (const candidate of [protocol, name?.split('-')[0]]) {
    if (!candidate) continue;
    const upper = candidate.toUpperCase();
    if (upper === 'GRPC-WEB') return 'HTTP';
    const found = PROTOCOLS.find((p) => p === upper);
    if (found) return found;
  }
  return 'TCP';
}

export function isHttpProtocol(p: PortProtocol): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'GRPC';
}

/** Ports whose traffic is TLS the sidecar passes through (routed by SNI, never terminated). */
export function isTlsProtocol(p: PortProtocol): boolean {
  return p === 'TLS' || p === 'HTTPS';
}

/** Endpoints of `service` that serve `port`. */
export function endpointsForPort(
  service: Service,
  port: ServicePort,
  endpoints: readonly ServiceEndpoint[],
): ServiceEndpoint[] {
  const single = service.ports.length === 1;
  return endpoints.filter((e) => {
    if (e.servicePort !== undefined) return e.servicePort === port.number;
    return single || e.port === port.number || e.port === port.targetPort;
  });
}

export function labelsMatch(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}
