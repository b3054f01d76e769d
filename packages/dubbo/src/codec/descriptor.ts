// JVM parameter descriptors ("Ljava/lang/String;I[J"), the form Dubbo puts in a request to name argument types.
// The argument count of a request comes from here, which is what lets the fast path skip exactly N values.
import { DubboBadDescriptorError } from '../errors.js';

const PRIMITIVES: Record<string, string> = {
  I: 'int',
  J: 'long',
  Z: 'boolean',
  D: 'double',
  F: 'float',
  S: 'short',
  B: 'byte',
  C: 'char',
  V: 'void',
};
const PRIMITIVE_CODES: Record<string, string> = Object.fromEntries(
  Object.entries(PRIMITIVES).map(([k, v]) => [v, k]),
);

/** Splits a descriptor into one entry per parameter: "Ljava/lang/String;[II" → ["Ljava/lang/String;", "[I", "I"]. */
export function parseDescriptor(desc: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < desc.length) {
    const start = i;
    while (desc[i] === '[') i++;
    const c = desc[i];
    if (c === undefined) throw new DubboBadDescriptorError(desc, i);
    if (c === 'L') {
      const end = desc.indexOf(';', i);
      if (end < 0 || end === i + 1) throw new DubboBadDescriptorError(desc, i);
      i = end + 1;
    } else if (c in PRIMITIVES && c !== 'V') {
      i++;
    } else {
      throw new DubboBadDescriptorError(desc, i);
    }
    out.push(desc.slice(start, i));
  }
  return out;
}

/** Counts parameters without allocating (the fast path only needs the count). */
export function countParameters(desc: string): number {
  let n = 0;
  let i = 0;
  while (i < desc.length) {
    while (desc.charCodeAt(i) === 0x5b) i++; // '['
    const c = desc[i];
    if (c === 'L') {
      const end = desc.indexOf(';', i);
      if (end < 0 || end === i + 1) throw new DubboBadDescriptorError(desc, i);
      i = end + 1;
    } else if (c !== undefined && c in PRIMITIVES && c !== 'V') {
      i++;
    } else {
      throw new DubboBadDescriptorError(desc, i);
    }
    n++;
  }
  return n;
}

/** "I" → "int", "Ljava/lang/String;" → "java.lang.String", "[Ljava/lang/String;" → "[string" (Hessian's array type). */
export function descriptorToJavaClass(d: string): string {
  if (d.startsWith('[')) {
    const inner = descriptorToJavaClass(d.slice(1));
    return `[${inner === 'java.lang.String' ? 'string' : inner === 'java.lang.Object' ? 'object' : inner}`;
  }
  if (d.startsWith('L') && d.endsWith(';')) return d.slice(1, -1).replaceAll('/', '.');
  const p = PRIMITIVES[d];
  if (p === undefined) throw new DubboBadDescriptorError(d, 0);
  return p;
}

/** ["java.lang.String", "int"] → "Ljava/lang/String;I". */
export function toDescriptor(javaClasses: readonly string[]): string {
  return javaClasses
    .map((c) => {
      let dims = '';
      let t = c;
      while (t.endsWith('[]')) {
        dims += '[';
        t = t.slice(0, -2);
      }
      return dims + (PRIMITIVE_CODES[t] ?? `L${t.replaceAll('.', '/')};`);
    })
    .join('');
}
