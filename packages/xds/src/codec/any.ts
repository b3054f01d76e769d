// google.protobuf.Any with the type URLs Envoy expects: every typed_config and every xDS resource is
// one. Packing always goes through a codec, so the URL and the bytes cannot disagree.
import { XdsDecodeError, XdsTypeUrlMismatchError, XdsUnknownTypeUrlError } from '../errors.js';
import { typeNameOf } from '../type-urls.js';
import type { MessageCodec } from './codec.js';
import { type CodecRegistry, defaultRegistry } from './registry.js';
import type { Any } from './types.js';

/** An Any as builders produce it: both fields set. */
export interface PackedAny {
  type_url: string;
  value: Uint8Array;
}

export interface UnpackedAny {
  typeUrl: string;
  message: unknown;
}

/** Encodes `message` with `codec` into an Any carrying the codec's type URL. */
export function pack<P>(codec: MessageCodec<unknown, P>, message: P): PackedAny {
  return { type_url: codec.typeUrl, value: codec.encode(message) };
}

function fieldsOf(any: Any, path: string): PackedAny {
  const typeUrl = any.type_url ?? '';
  if (typeUrl === '') throw new XdsDecodeError('google.protobuf.Any', path, 'Any has no type_url', 0);
  return { type_url: typeUrl, value: any.value ?? new Uint8Array(0) };
}

/**
 * Decodes an Any whose type is only known at runtime. An unregistered type URL is an
 * XdsUnknownTypeUrlError; bad bytes an XdsDecodeError whose path starts with `path`.
 */
export function unpack(any: Any, registry: CodecRegistry = defaultRegistry, path = ''): UnpackedAny {
  const { type_url, value } = fieldsOf(any, path);
  const codec = registry.require(type_url, path);
  return { typeUrl: codec.typeUrl, message: codec.decode(value, { path }) };
}

/** Decodes an Any that must hold `codec`'s type; another type is an XdsTypeUrlMismatchError. */
export function unpackAs<T>(codec: MessageCodec<T, never>, any: Any, path = ''): T {
  const { type_url, value } = fieldsOf(any, path);
  if (type_url !== codec.typeUrl && typeNameOf(type_url) !== codec.typeName) {
    throw new XdsTypeUrlMismatchError(codec.typeUrl, type_url);
  }
  return codec.decode(value, { path });
}

/** One resource of a DiscoveryResponse: decoded, or the typed error that rejects it (for a NACK). */
export type ResourceResult =
  | { index: number; typeUrl: string; ok: true; message: unknown }
  | { index: number; typeUrl: string; ok: false; error: XdsDecodeError | XdsUnknownTypeUrlError };

/**
 * Unpacks every resource of a (SotW) DiscoveryResponse on its own, so one bad resource is reported
 * by index and field path (`resources[3].load_assignment...`) without losing the others. Errors other
 * than decode / unknown type URL are programming errors and propagate.
 */
export function unpackResources(
  resources: readonly Any[],
  registry: CodecRegistry = defaultRegistry,
): ResourceResult[] {
  return resources.map((any, index) => {
    const typeUrl = any.type_url ?? '';
    try {
      const { message } = unpack(any, registry, `resources[${index}]`);
      return { index, typeUrl, ok: true, message };
    } catch (error) {
      if (error instanceof XdsDecodeError || error instanceof XdsUnknownTypeUrlError) {
        return { index, typeUrl, ok: false, error };
      }
      throw error;
    }
  });
}
