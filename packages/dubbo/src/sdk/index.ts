export { addressKey, type ConnectionOptions, DubboConnection, type ProviderAddress } from './connection.js';
export { type ConsumerOptions, DubboConsumer, type InvokeOptions } from './consumer.js';
export {
  type CloseOptions,
  DubboProvider,
  type InvocationContext,
  type MethodHandler,
  type ProviderOptions,
  type ServiceDefinition,
} from './provider.js';
export { DEFAULT_QOS_PORT, type QosHandlers, QosServer, type QosServerOptions } from './qos.js';
export type { ExportedService, ProviderInstance, RegistrationHooks } from './registration.js';
