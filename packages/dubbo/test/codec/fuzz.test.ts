// Hostile input: random, truncated, bit-flipped and oversized frames must end in a result, a need-more-data
// answer or a DubboError — never another exception, a hang or a crash. Seeded, so a failure is reproducible.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  classifyFrame,
  DubboError,
  decodeFrame,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  FrameDecoder,
  HEADER_LENGTH,
  peekRequest,
  peekResponse,
} from '../../src/index.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'dubbo-java.json'), 'utf8'),
) as {
  frames: { hex: string }[];
};
const corpus: Buffer[] = [
  ...fixture.frames.map((f) => Buffer.from(f.hex, 'hex')).filter((b) => b.length < 4096),
  encodeRequest({
    id: 1n,
    service: 's.S',
    method: 'm',
    parameterTypes: 'Ljava/lang/Object;Ljava/util/List;',
    args: [
      { $class: 'com.x.Pojo', $: { a: 1, b: [1, 2, { c: 'd' }] } },
      [new Date(0), Buffer.from('xyz'), 1.25, 2n ** 40n],
    ],
    attachments: { k: 'v' },
  }),
  encodeResponse({ id: 2n, value: new Map<unknown, unknown>([[1, 'a']]), attachments: { k: 'v' } }),
];

/** Runs every decoder over one frame; anything but success or a DubboError fails the test. */
function exercise(frame: Buffer): void {
  const steps: (() => unknown)[] = [
    () => classifyFrame(frame),
    () => peekRequest(frame),
    () => decodeRequest(frame),
    () => peekResponse(frame),
    () => decodeResponse(frame),
    () => decodeFrame(frame, 0, 1 << 16),
  ];
  for (const step of steps) {
    try {
      step();
    } catch (err) {
      if (!(err instanceof DubboError)) {
        throw new Error(`non-Dubbo error ${String(err)} for frame ${frame.toString('hex').slice(0, 400)}`);
      }
    }
  }
}

/** Keeps the header's body length equal to the actual body, so decoders see a "complete" but hostile frame. */
function fixLength(b: Buffer): Buffer {
  if (b.length >= HEADER_LENGTH) b.writeInt32BE(b.length - HEADER_LENGTH, 12);
  return b;
}

describe('fuzz (seeded)', () => {
  const rnd = mulberry32(0x5eed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)]!;

  it('random bytes behind a valid header', () => {
    for (let i = 0; i < 3000; i++) {
      const body = Buffer.alloc(int(64));
      for (let k = 0; k < body.length; k++) body[k] = int(256);
      const head = Buffer.from(pick(corpus).subarray(0, HEADER_LENGTH));
      exercise(fixLength(Buffer.concat([head, body])));
    }
  });

  it('bit flips and byte changes in real frames', () => {
    for (let i = 0; i < 4000; i++) {
      const b = Buffer.from(pick(corpus));
      const flips = 1 + int(4);
      for (let k = 0; k < flips; k++) {
        const at = HEADER_LENGTH + int(b.length - HEADER_LENGTH);
        b[at] = rnd() < 0.5 ? b[at]! ^ (1 << int(8)) : int(256);
      }
      exercise(b);
    }
  });

  it('truncated real frames (header length kept consistent, and not)', () => {
    for (const f of corpus) {
      for (let cut = 0; cut < f.length; cut++) {
        const t = Buffer.from(f.subarray(0, cut));
        exercise(t);
        exercise(fixLength(Buffer.from(t)));
      }
    }
  });

  it('random chunking and garbage through the streaming decoder', () => {
    for (let i = 0; i < 500; i++) {
      const parts = Array.from({ length: 1 + int(5) }, () => pick(corpus));
      const stream = Buffer.from(Buffer.concat(parts));
      const corrupt = rnd() < 0.5;
      if (corrupt) stream[int(stream.length)] = int(256);
      const d = new FrameDecoder({ maxBodyLength: 1 << 16 });
      let got = 0;
      try {
        for (let off = 0; off < stream.length; ) {
          const n = 1 + int(40);
          for (const frame of d.push(stream.subarray(off, off + n))) {
            exercise(frame);
            got++;
          }
          off += n;
        }
        if (!corrupt) expect(got).toBe(parts.length);
      } catch (err) {
        expect(corrupt).toBe(true);
        expect(err).toBeInstanceOf(DubboError);
      }
    }
  });

  it('a run of 200,000 class definitions as an argument: typed error, no stack overflow', () => {
    const defs = Buffer.alloc(200_000 * 4 + 1);
    for (let i = 0; i < 200_000; i++) defs.set([0x43, 0x01, 0x61, 0x90], i * 4);
    defs[defs.length - 1] = 0x4e;
    const f = encodeRequest({
      id: 1n,
      service: 's',
      method: 'm',
      parameterTypes: 'Ljava/lang/Object;',
      rawArgs: defs,
    });
    expect(peekRequest(f).argCount).toBe(1);
    exercise(f);
  });

  it('oversized and negative lengths are refused without buffering', () => {
    for (let i = 0; i < 200; i++) {
      const b = Buffer.from(pick(corpus).subarray(0, HEADER_LENGTH));
      b.writeInt32BE(rnd() < 0.5 ? -1 - int(1 << 30) : (1 << 16) + 1 + int(1 << 30), 12);
      expect(() => new FrameDecoder({ maxBodyLength: 1 << 16 }).push(b)).toThrow(DubboError);
    }
  });
});
