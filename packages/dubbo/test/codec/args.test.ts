import { describe, expect, it } from 'vitest';
import { DubboHessianError, decodeValues, Hessian2Writer } from '../../src/index.js';

function bytes(...values: unknown[]): Buffer {
  const w = new Hessian2Writer();
  for (const v of values) w.writeValue(v);
  return Buffer.from(w.bytes());
}

describe('decodeValues (hessian.js)', () => {
  it('decodes consecutive values, plain or with Java types', () => {
    const b = bytes('a', 1, { $class: 'java.util.LinkedHashMap', $: { k: 2 } });
    expect(decodeValues(b, 3)).toEqual(['a', 1, { k: 2 }]);
    expect(decodeValues(b, 3, { withType: true })[2]).toEqual({
      $class: 'java.util.LinkedHashMap',
      $: { k: 2 },
    });
  });

  it('reports too few values and library failures as DubboHessianError', () => {
    expect(() => decodeValues(bytes('a'), 2)).toThrow(DubboHessianError);
    expect(() => decodeValues(Buffer.from([0x40]), 1)).toThrow(DubboHessianError);
  });
});
