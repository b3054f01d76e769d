// @strait/xds/stream: the xDS protocol state, SotW and Delta, server and client side. Pure state
// machines: the pilot's gRPC server and the proxy's xDS client wrap them with I/O.
export {
  type ApplyUpdate,
  type ClientOptions,
  DEFAULT_DOES_NOT_EXIST_TIMEOUT_MS,
  DoesNotExistTimers,
  errorDetailFor,
  type ReceivedResource,
  type ResourceError,
  type ResourceUpdate,
  type ResponseResult,
  type SubscribeResult,
  type WildcardMode,
} from './client-common.js';
export { DeltaServerConnection, type ServerConnectionOptions, SotwServerConnection } from './connection.js';
export { type DeltaClientOptions, DeltaClientState, type DeltaRequest } from './delta-client.js';
export { type DeltaResponse, type DeltaServerOptions, DeltaServerState } from './delta-server.js';
export { isXdsStreamError, STREAM_ERROR_GRPC_STATUS, XdsStreamError, XdsStreamErrorCode } from './errors.js';
export { resourceNameOf } from './names.js';
export type {
  InvalidRequest,
  RequestKind,
  RequestOutcome,
  RequestResult,
  TypeSyncStatus,
} from './outcome.js';
export {
  type ClientSyncStatus,
  type SotwClientOptions,
  SotwClientState,
  type SotwRequest,
} from './sotw-client.js';
export { type SotwResponse, type SotwServerOptions, SotwServerState } from './sotw-server.js';
export {
  type SubscriptionChange,
  subscriptionChanged,
} from './subscriptions.js';
export {
  type Any,
  CLUSTER_TYPE_URL,
  type Clock,
  changeDigest,
  createNonceSource,
  DEFAULT_LIMITS,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DeltaResource,
  type DiscoveryRequest,
  type DiscoveryResponse,
  digestOf,
  isFullStateType,
  LISTENER_TYPE_URL,
  type NonceSource,
  type ResourceSnapshot,
  resourceDigest,
  type Status,
  type StreamLimits,
  setVersion,
  type VersionedResource,
  WILDCARD,
} from './types.js';
