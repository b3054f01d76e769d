// Shapes shared by several kinds. Field names are Istio's YAML (camelCase JSON) names, so a file written
// for Istio loads unchanged; durations stay strings ("1s", "100ms") exactly as the user wrote them and
// the validator checks their format, so translators parse them with `parseDuration` only.

/** Istio and Strait API groups/versions accepted by the loader. */
export const ISTIO_NETWORKING_V1 = 'networking.istio.io/v1';
export const STRAIT_MESH_V1ALPHA1 = 'mesh.strait.io/v1alpha1';

/**
 * Older Istio versions of the same kinds. Their field sets are a subset of v1 for everything Strait
 * supports, so they load as v1 with a deprecation warning instead of forcing users to rewrite files.
 */
export const ISTIO_NETWORKING_LEGACY = [
  'networking.istio.io/v1beta1',
  'networking.istio.io/v1alpha3',
] as const;

/** A Go/protobuf duration string as Istio accepts it: "1h", "1m", "1s", "100ms", "1.5s", "10us". */
export type Duration = string;

/** Kubernetes-style object metadata: only the fields Strait reads are typed. */
export interface ObjectMeta {
  name: string;
  /** Defaults to "default" when loaded from files, as Istio's file source does. */
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  generation?: number;
  uid?: string;
  creationTimestamp?: string;
}

/** One of exact / prefix / regex (RE2 syntax). Exactly one must be set. */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

/** A percentage in [0, 100] (Istio's `Percent`, a double). */
export interface Percent {
  value: number;
}

/** Istio's `PortSelector`: only `number` exists in v1. */
export interface PortSelector {
  number: number;
}

/** Istio's `WorkloadSelector`. */
export interface WorkloadSelector {
  labels: Record<string, string>;
}

/** Istio's `Port` (Sidecar listeners) and `ServicePort` (ServiceEntry). */
export interface Port {
  number: number;
  /** HTTP|HTTPS|GRPC|GRPC-WEB|HTTP2|MONGO|TCP|TLS|DUBBO... (case-insensitive, prefix-matched by Istio). */
  protocol?: string;
  name?: string;
  targetPort?: number;
}

/** Where a config object came from, for error messages: file path and 0-based document index. */
export interface SourceRef {
  file: string;
  index: number;
  /** 1-based line where the document starts, when known. */
  line?: number;
}

/** Common envelope of every kind. */
export interface ConfigObjectBase<ApiVersion extends string, Kind extends string, Spec> {
  apiVersion: ApiVersion;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
}
