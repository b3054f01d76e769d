// Reflection over the same protos the static codecs were generated from. The static code is fast but
// knows nothing about itself at runtime; naming the failing field of bad bytes and printing Envoy-style
// JSON both need field names, numbers and types. The descriptor is loaded on first use only, so the
// hot encode/decode path never pays for it.
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs/light.js';
import { XdsDescriptorError } from '../errors.js';

export type ReflectType = protobuf.Type;
export type ReflectEnum = protobuf.Enum;
export type ReflectField = protobuf.Field;

let root: protobuf.Root | undefined;
const typeCache = new Map<string, ReflectType | null>();

/** The reflection root of every generated message (`src/gen/descriptor.json`, made by generate). */
export function reflectionRoot(): protobuf.Root {
  if (root !== undefined) return root;
  const url = new URL('../gen/descriptor.json', import.meta.url);
  let json: protobuf.INamespace;
  try {
    json = JSON.parse(readFileSync(url, 'utf8')) as protobuf.INamespace;
  } catch (err) {
    throw new XdsDescriptorError(`cannot read ${url.pathname}: run "pnpm --filter @strait/xds generate"`, {
      cause: err,
    });
  }
  const loaded = protobuf.Root.fromJSON(json);
  loaded.resolveAll();
  root = loaded;
  return loaded;
}

/** The reflected message type with this full name (`envoy.config.cluster.v3.Cluster`), if any. */
export function reflectType(fullName: string): ReflectType | undefined {
  const cached = typeCache.get(fullName);
  if (cached !== undefined) return cached ?? undefined;
  let found: ReflectType | null = null;
  try {
    const obj = reflectionRoot().lookup(fullName);
    if (obj instanceof protobuf.Type) found = obj;
  } catch (err) {
    if (err instanceof XdsDescriptorError) throw err;
  }
  typeCache.set(fullName, found);
  return found ?? undefined;
}

/** The full name without the leading dot protobufjs puts on it. */
export function fullNameOf(type: ReflectType | ReflectEnum): string {
  return type.fullName.startsWith('.') ? type.fullName.slice(1) : type.fullName;
}

const camelCaseRe = /_([a-z])/g;

/**
 * The property the static code uses for a field. pbjs camel-cases proto field names the way
 * protobufjs' util.camelCase does, except for google.protobuf.Any, whose bundled definition keeps
 * `type_url`.
 */
export function staticPropertyName(type: ReflectType, field: ReflectField): string {
  if (type.fullName === '.google.protobuf.Any') return field.name;
  const name = field.name;
  return name.slice(0, 1) + name.slice(1).replace(camelCaseRe, (_m, c: string) => c.toUpperCase());
}

export { protobuf };
