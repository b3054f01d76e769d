// Finds the generated static codec for a message by its full name, so any message the protos define can
// be decoded from an Any without a hand-written table entry.
import type $protobuf from 'protobufjs/minimal.js';
import { envoy, google, strait, udpa, validate, xds } from '../gen/protos.js';

/** What every generated static message class offers; `P` is the plain-object shape encode accepts. */
export interface StaticMessageType<T, P = T> {
  encode(message: P, writer?: $protobuf.Writer): $protobuf.Writer;
  decode(reader: $protobuf.Reader | Uint8Array, length?: number): T;
  toObject(message: T, options?: $protobuf.IConversionOptions): { [k: string]: unknown };
  fromObject(object: { [k: string]: unknown }): T;
}

const namespaces: Record<string, unknown> = { envoy, google, strait, udpa, validate, xds };
const cache = new Map<string, StaticMessageType<unknown> | null>();

function isStaticType(value: unknown): value is StaticMessageType<unknown> {
  return (
    typeof value === 'function' &&
    typeof (value as { encode?: unknown }).encode === 'function' &&
    typeof (value as { decode?: unknown }).decode === 'function'
  );
}

/** The static class for `envoy.config.cluster.v3.Cluster`, or undefined when none was generated. */
export function staticTypeByName(fullName: string): StaticMessageType<unknown> | undefined {
  const cached = cache.get(fullName);
  if (cached !== undefined) return cached ?? undefined;
  let node: unknown = namespaces;
  for (const part of fullName.split('.')) {
    if (node === null || (typeof node !== 'object' && typeof node !== 'function')) {
      node = undefined;
      break;
    }
    // Own properties only: a name like "constructor" or "prototype" must not resolve to builtins.
    node = Object.hasOwn(node, part) ? (node as Record<string, unknown>)[part] : undefined;
  }
  const found = isStaticType(node) ? node : null;
  cache.set(fullName, found);
  return found ?? undefined;
}
