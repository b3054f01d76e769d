// Unpacks typed_config Any values. Types @strait/xds generates decode with its static codecs (the same
// objects the xDS client will hand us); extension types it does not generate (access loggers, ...)
// decode through the reflection root. Either way the result has the static classes' camelCase shape.
import { envoy, google } from '@strait/xds';
import type { IssueList } from '../errors.js';
import { lookupType, typeNameOf } from './descriptor.js';

export interface AnyLike {
  type_url?: string | null;
  value?: Uint8Array | null;
}

interface StaticCodec {
  decode(bytes: Uint8Array): object;
}

const namespaces: Record<string, unknown> = { envoy, google };

function staticCodec(name: string): StaticCodec | undefined {
  let node: unknown = namespaces;
  for (const part of name.split('.')) {
    if (typeof node !== 'object' && typeof node !== 'function') return undefined;
    node = (node as Record<string, unknown>)[part];
    if (node === undefined) return undefined;
  }
  return typeof node === 'function' && 'decode' in node ? (node as unknown as StaticCodec) : undefined;
}

/**
 * Decodes `any` when its type is one of `accepted` (full message names). Reports a wrong or unknown type
 * at `path` and returns undefined.
 */
export function unpackAny<T extends object>(
  any: AnyLike | null | undefined,
  accepted: readonly string[],
  issues: IssueList,
  path: string,
): T | undefined {
  if (!any?.type_url) {
    issues.add('PROXY_ERR_MISSING_FIELD', path, `typed_config is required (${accepted.join(' or ')})`);
    return undefined;
  }
  const name = typeNameOf(any.type_url);
  if (!accepted.includes(name)) {
    issues.add(
      'PROXY_ERR_UNKNOWN_TYPE_URL',
      path,
      `type ${any.type_url} is not one of ${accepted.join(', ')}`,
    );
    return undefined;
  }
  try {
    const bytes = any.value ?? new Uint8Array();
    const codec = staticCodec(name);
    if (codec) return codec.decode(bytes) as T;
    const type = lookupType(name);
    if (!type) throw new Error(`no descriptor for ${name}`);
    return type.toObject(type.decode(bytes), { defaults: false }) as T;
  } catch (err) {
    issues.add('PROXY_ERR_INVALID_VALUE', path, `cannot decode ${name}: ${(err as Error).message}`);
    return undefined;
  }
}

/** Type name of an Any, or '' when unset. */
export function anyTypeName(any: AnyLike | null | undefined): string {
  return any?.type_url ? typeNameOf(any.type_url) : '';
}
