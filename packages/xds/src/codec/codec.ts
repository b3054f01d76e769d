// A typed codec per message: encode to bytes, decode from untrusted bytes, and a plain-object view.
// Decoding is the one place hostile input reaches, so whatever protobufjs throws is turned into an
// XdsDecodeError that names the type URL and the failing field path.
import type $protobuf from 'protobufjs/minimal.js';
import { XdsDecodeError, XdsEncodeError } from '../errors.js';
import { typeUrlOf } from '../type-urls.js';
import { reflectType } from './descriptor.js';
import type { StaticMessageType } from './static-types.js';
import { findWireFailure } from './wire-walker.js';

/** A JSON-compatible object as toObject returns it. */
export type PlainObject = { [key: string]: unknown };

export interface DecodeOptions {
  /** Prefix for the error path when these bytes sit inside something else (`resources[3]`). */
  path?: string;
}

export interface MessageCodec<T, P = T> {
  /** Full message name, `envoy.config.cluster.v3.Cluster`. */
  readonly typeName: string;
  /** `type.googleapis.com/<typeName>`. */
  readonly typeUrl: string;
  encode(message: P): Uint8Array;
  /** Never throws anything but XdsDecodeError. */
  decode(bytes: Uint8Array, options?: DecodeOptions): T;
  /** Plain object with protobufjs (camelCase) names, enums as strings, 64-bit ints as numbers. */
  toObject(message: T | P): PlainObject;
  /** The inverse of toObject (accepts enum names or numbers). */
  fromObject(object: PlainObject): T;
  /**
   * True when both encode to the same bytes: what a push decision needs ("would the proxy see a
   * change?"). Maps filled in a different key order compare unequal, which only costs a push.
   */
  equal(a: T | P, b: T | P): boolean;
}

/** Options for the toObject view: what config_dump-like consumers want to read. */
export const OBJECT_VIEW: Readonly<$protobuf.IConversionOptions> = Object.freeze({
  enums: String,
  longs: Number,
  bytes: String,
  json: true,
});

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Turns any failure of a static decode into a located XdsDecodeError. */
export function decodeFailure(
  typeName: string,
  bytes: Uint8Array,
  cause: unknown,
  prefix = '',
): XdsDecodeError {
  const typeUrl = typeUrlOf(typeName);
  let path = '';
  let reason = describe(cause);
  let offset = 0;
  try {
    const found = findWireFailure(reflectType(typeName), bytes);
    if (found !== undefined) {
      path = found.path;
      reason = found.reason;
      offset = found.offset;
    }
  } catch {
    // Without a descriptor the location is unknown; protobufjs' own message is still reported.
  }
  const full =
    prefix === '' ? path : path === '' ? prefix : path.startsWith('[') ? prefix + path : `${prefix}.${path}`;
  return new XdsDecodeError(typeUrl, full, reason, offset, { cause });
}

export function decodeWith<T>(
  typeName: string,
  type: StaticMessageType<T, unknown>,
  bytes: Uint8Array,
  options?: DecodeOptions,
): T {
  if (!(bytes instanceof Uint8Array)) {
    throw new XdsDecodeError(typeUrlOf(typeName), options?.path ?? '', 'input is not a Uint8Array', 0);
  }
  try {
    return type.decode(bytes);
  } catch (err) {
    throw decodeFailure(typeName, bytes, err, options?.path);
  }
}

/**
 * Optional hand-written paths for hot types. Each returns undefined to leave a message to the
 * generated code, and must otherwise produce exactly what the generated code would.
 */
export interface FastPaths<T> {
  encode?: (message: unknown) => Uint8Array | undefined;
  decode?: (bytes: Uint8Array) => T | undefined;
}

/** Wraps a generated static message class. */
export function createCodec<T, P = T>(
  typeName: string,
  type: StaticMessageType<T, P>,
  fast: FastPaths<T> = {},
): MessageCodec<T, P> {
  const typeUrl = typeUrlOf(typeName);
  const fastEncode = fast.encode;
  const fastDecode = fast.decode;
  const encode = (message: P): Uint8Array => {
    try {
      return fastEncode?.(message) ?? type.encode(message).finish();
    } catch (err) {
      throw new XdsEncodeError(typeUrl, describe(err), { cause: err });
    }
  };
  return {
    typeName,
    typeUrl,
    encode,
    decode(bytes: Uint8Array, options?: DecodeOptions): T {
      if (fastDecode !== undefined && bytes instanceof Uint8Array) {
        const done = fastDecode(bytes);
        if (done !== undefined) return done;
      }
      return decodeWith(typeName, type as StaticMessageType<T, unknown>, bytes, options);
    },
    toObject(message: T | P): PlainObject {
      return type.toObject(message as T, OBJECT_VIEW);
    },
    equal(a: T | P, b: T | P): boolean {
      if (a === b) return true;
      return Buffer.from(encode(a as P)).equals(encode(b as P));
    },
    fromObject(object: PlainObject): T {
      try {
        return type.fromObject(object);
      } catch (err) {
        throw new XdsEncodeError(typeUrl, describe(err), { cause: err });
      }
    },
  };
}
