// Full value decoding through hessian.js, a maintained Hessian2 library that knows Java's types (exceptions,
// enums, dates, typed lists and maps, object graphs with references). The fast path never comes here.
import hessian from 'hessian.js';
import { DubboError, DubboHessianError } from '../errors.js';

export interface DecodeValuesOptions {
  /**
   * Keep Java type information as `{ $class, $ }` wrappers (e.g. `{ $class: 'java.util.LinkedHashMap', $: {...} }`).
   * Re-encoding such values reproduces the original bytes; without it, values are plain JavaScript.
   */
  withType?: boolean;
}

/** Decodes `count` consecutive Hessian2 values from `bytes`. */
export function decodeValues(bytes: Uint8Array, count: number, options: DecodeValuesOptions = {}): unknown[] {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new hessian.DecoderV2(buf);
  const out: unknown[] = [];
  try {
    for (let i = 0; i < count; i++) {
      if (decoder.byteBuffer.position() >= buf.length)
        throw new DubboHessianError('unexpected end of arguments', buf.length);
      out.push(decoder.read(options.withType === true));
    }
  } catch (err) {
    if (err instanceof DubboError) throw err;
    throw new DubboHessianError(`hessian.js: ${(err as Error).message}`, decoder.byteBuffer.position(), {
      cause: err,
    });
  }
  return out;
}
