// The minimal reader and the writer against each other and against hessian.js (a maintained implementation).
import hessian from 'hessian.js';
import { describe, expect, it } from 'vitest';
import {
  DubboEncodeError,
  DubboHessianError,
  Hessian2Reader,
  Hessian2Writer,
  MAX_DEPTH,
} from '../../src/index.js';

function write(fn: (w: Hessian2Writer) => void): Buffer {
  const w = new Hessian2Writer(8);
  fn(w);
  return Buffer.from(w.bytes());
}

function viaHessianJs(b: Buffer): unknown {
  return new hessian.DecoderV2(b).read(false);
}

describe('Hessian2 writer forms (hessian-lite parity)', () => {
  it.each([
    [0, '90'],
    [-16, '80'],
    [47, 'bf'],
    [48, 'c830'],
    [-2048, 'c000'],
    [2047, 'cfff'],
    [-262144, 'd00000'],
    [262143, 'd7ffff'],
    [262144, '4900040000'],
    [-2147483648, '4980000000'],
  ])('int %d → %s', (v, hex) => {
    const b = write((w) => w.writeInt(v));
    expect(b.toString('hex')).toBe(hex);
    expect(new Hessian2Reader(b).readInt()).toBe(v);
    expect(viaHessianJs(b)).toBe(v);
  });

  it.each([
    [0n, 'e0'],
    [-8n, 'd8'],
    [15n, 'ef'],
    [16n, 'f810'],
    [-2048n, 'f000'],
    [262143n, '3fffff'],
    [262144n, '5900040000'],
    [1n << 40n, '4c0000010000000000'],
    [-(1n << 63n), '4c8000000000000000'],
  ])('long %s → %s', (v, hex) => {
    const b = write((w) => w.writeLong(v));
    expect(b.toString('hex')).toBe(hex);
    const back = new Hessian2Reader(b).readValue();
    expect(BigInt(back as number | bigint)).toBe(v);
  });

  it.each([
    [0, '5b'],
    [1, '5c'],
    [-128, '5d80'],
    [1000, '5e03e8'],
    [1.5, '5f000005dc'],
    [0.1, '5f00000064'],
    [
      1e100,
      `44${Buffer.from(new Float64Array([1e100]).buffer)
        .reverse()
        .toString('hex')}`,
    ],
    [Number.NaN, '447ff8000000000000'],
  ])('double %d → %s', (v, hex) => {
    const b = write((w) => w.writeDouble(v));
    expect(b.toString('hex')).toBe(hex);
    expect(new Hessian2Reader(b).readValue()).toBe(v);
  });

  it('writes strings as Java does: UTF-16 units, surrogates as separate 3-byte sequences, 0x8000-unit chunks', () => {
    const rocket = '\u{1F680}';
    expect(write((w) => w.writeString(rocket)).toString('hex')).toBe('02eda0bdedba80');
    for (const s of [
      '',
      'a',
      'x'.repeat(31),
      'x'.repeat(32),
      'é'.repeat(1024),
      'y'.repeat(0x8000),
      'z'.repeat(0x8001),
    ]) {
      const b = write((w) => w.writeString(s));
      expect(new Hessian2Reader(b).readString()).toBe(s);
      expect(viaHessianJs(b)).toBe(s);
    }
    // A surrogate pair straddling the chunk boundary is moved whole into the next chunk.
    const straddle = `${'a'.repeat(0x7fff)}${rocket}b`;
    const b = write((w) => w.writeString(straddle));
    expect(b.readUInt16BE(1)).toBe(0x7fff);
    expect(new Hessian2Reader(b).readString()).toBe(straddle);
  });

  it('reads 4-byte UTF-8 (non-Java writers) as two UTF-16 units', () => {
    const b = Buffer.concat([Buffer.from([0x02]), Buffer.from('\u{1F680}', 'utf8')]);
    expect(new Hessian2Reader(b).readString()).toBe('\u{1F680}');
  });

  it('round-trips nested maps, lists, binary, dates and objects; skip lands where read does', () => {
    const value = {
      s: 'x',
      n: [1, 2, 3, 'four', null, true, false, [], {}],
      long: 12345678901234n,
      bin: Buffer.from([1, 2, 3]),
      big: Buffer.alloc(40000, 9),
      when: new Date(1700000000000),
      typed: { $class: 'java.util.LinkedHashMap', $: { a: 1 } },
      obj: { $class: 'com.example.Pojo', $: { id: 7, name: 'p' } },
      obj2: { $class: 'com.example.Pojo', $: { id: 8, name: 'q' } },
    };
    const b = write((w) => {
      w.writeValue(value);
      w.writeValue('after');
    });
    const r = new Hessian2Reader(b);
    const back = r.readValue() as Record<string, unknown>;
    expect(back['s']).toBe('x');
    expect(back['n']).toEqual([1, 2, 3, 'four', null, true, false, [], {}]);
    expect(back['long']).toBe(12345678901234);
    expect(back['bin']).toEqual(Buffer.from([1, 2, 3]));
    expect((back['big'] as Buffer).length).toBe(40000);
    expect(back['when']).toEqual(new Date(1700000000000));
    expect(back['typed']).toEqual({ a: 1 });
    expect(back['obj']).toEqual({ $class: 'com.example.Pojo', $: { id: 7, name: 'p' } });
    expect(back['obj2']).toEqual({ $class: 'com.example.Pojo', $: { id: 8, name: 'q' } });
    const readEnd = r.pos;
    const s = new Hessian2Reader(b);
    s.skipValue();
    expect(s.pos).toBe(readEnd);
    expect(s.readString()).toBe('after');
    // hessian.js reads the same bytes to the same values.
    const js = viaHessianJs(b) as Record<string, unknown>;
    expect(js['n']).toEqual([1, 2, 3, 'four', null, true, false, [], {}]);
    expect(js['obj']).toEqual({ id: 7, name: 'p' });
  });

  it('keeps a "__proto__" key as data', () => {
    const b = write((w) => w.writeMap([['__proto__', { polluted: true }]]));
    const m = new Hessian2Reader(b).readMap()!;
    expect(Object.getPrototypeOf(m)).toBe(Object.prototype);
    expect(Object.keys(m)).toEqual(['__proto__']);
  });

  it('refuses nesting deeper than MAX_DEPTH with a typed error, for read and skip', () => {
    const deep = Buffer.concat([Buffer.alloc(MAX_DEPTH + 5, 0x79), Buffer.from([0x4e])]);
    expect(() => new Hessian2Reader(deep).readValue()).toThrow(DubboHessianError);
    expect(() => new Hessian2Reader(deep).skipValue()).toThrow(DubboHessianError);
  });

  it('walks a long run of class definitions without recursing', () => {
    // 'C', name "a", 0 fields, 200,000 times, then null.
    const defs = Buffer.alloc(200_000 * 4 + 1);
    for (let i = 0; i < 200_000; i++) defs.set([0x43, 0x01, 0x61, 0x90], i * 4);
    defs[defs.length - 1] = 0x4e;
    const s = new Hessian2Reader(defs);
    s.skipValue();
    expect(s.atEnd()).toBe(true);
    expect(new Hessian2Reader(defs).readValue()).toBeNull();
  });

  it('refuses lengths beyond the body before allocating', () => {
    // 'X' fixed untyped list announcing 2^31-1 entries in a 6-byte body.
    const b = Buffer.from('58497fffffff4e', 'hex');
    expect(() => new Hessian2Reader(b).readValue()).toThrow(/bad list length/);
    expect(() => new Hessian2Reader(Buffer.from('53ffff61', 'hex')).readValue()).toThrow(DubboHessianError);
  });
});

describe('Hessian2 writer refusals', () => {
  it('turns a cycle into DubboEncodeError instead of a stack overflow', () => {
    const a: Record<string, unknown> = {};
    a['self'] = a;
    expect(() => write((w) => w.writeValue(a))).toThrow(DubboEncodeError);
  });

  it('refuses values Hessian cannot carry', () => {
    expect(() => write((w) => w.writeValue(() => 1))).toThrow(DubboEncodeError);
    expect(() => write((w) => w.writeInt(1.5))).toThrow(DubboEncodeError);
    expect(() => write((w) => w.writeLong(2n ** 64n))).toThrow(DubboEncodeError);
    expect(() => write((w) => w.writeTyped('long', 'not a number'))).toThrow(DubboEncodeError);
  });
});

it('keeps every digit of a long given as a decimal string', () => {
  const b = write((w) => w.writeTyped('long', '9007199254740993'));
  expect(new Hessian2Reader(b).readValue()).toBe(9007199254740993n);
});
