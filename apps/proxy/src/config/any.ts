// Unpacks typed_config Any values. Types @strait/xds generates decode with its codec registry (the same
// static classes the xDS client hands us, with its located decode errors); extension types it does not
// generate (access loggers, ...) decode through the proxy's reflection root. Either way the result has
// the static classes' camelCase shape.
import { defaultRegistry, typeNameOf } from '@strait/xds';
import type { IssueList } from '../errors.js';
import { lookupType } from './descriptor.js';

export interface AnyLike {
  type_url?: string | null;
  value?: Uint8Array | null;
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
    const codec = defaultRegistry.get(any.type_url);
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
