export {
  type PackedAny,
  pack,
  type ResourceResult,
  type UnpackedAny,
  unpack,
  unpackAs,
  unpackResources,
} from './any.js';
export {
  createCodec,
  type DecodeOptions,
  decodeWith,
  type MessageCodec,
  OBJECT_VIEW,
  type PlainObject,
} from './codec.js';
export * from './codecs.js';
export {
  decodeRepeatedStrings,
  encodeRepeatedBytes,
  findRepeatedRun,
  type RepeatedRun,
} from './fast/repeated.js';
export {
  durationToJson,
  type EnvoyJsonOptions,
  type JsonObject,
  type JsonValue,
  resourceToEnvoyJson,
  toEnvoyJson,
} from './json.js';
export { type AnyCodec, CodecRegistry, type CodecRegistryOptions, defaultRegistry } from './registry.js';
export type { StaticMessageType } from './static-types.js';
export type * from './types.js';
export { findWireFailure, type WireFailure } from './wire-walker.js';
