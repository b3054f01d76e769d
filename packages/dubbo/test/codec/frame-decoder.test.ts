import { describe, expect, it } from 'vitest';
import {
  DubboBadMagicError,
  DubboFrameTooLargeError,
  decodeFrame,
  encodeHeartbeatRequest,
  encodeRequest,
  encodeResponse,
  FrameDecoder,
} from '../../src/index.js';

const frames = [
  encodeRequest({
    id: 1n,
    service: 'a.B',
    method: 'm',
    parameterTypes: 'Ljava/lang/String;',
    args: ['x'],
    attachments: { path: 'a.B' },
  }),
  encodeHeartbeatRequest(2n),
  encodeResponse({ id: 1n, value: 'y'.repeat(3000), attachments: {} }),
];
const stream = Buffer.concat(frames);

describe('FrameDecoder', () => {
  it('yields whole frames however the stream is split', () => {
    for (let step = 1; step <= stream.length; step += step < 20 ? 1 : 97) {
      const d = new FrameDecoder();
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += step) out.push(...d.push(stream.subarray(i, i + step)));
      expect(out).toEqual(frames);
      expect(d.buffered).toBe(0);
    }
  });

  it('returns coalesced frames from one chunk without copying them', () => {
    const d = new FrameDecoder();
    const out = d.push(stream);
    expect(out).toHaveLength(3);
    expect(out[0]!.buffer).toBe(stream.buffer);
  });

  it('rejects a bogus length before buffering the body', () => {
    const d = new FrameDecoder({ maxBodyLength: 1024 });
    const big = Buffer.from(frames[2]!);
    expect(() => d.push(big)).toThrow(DubboFrameTooLargeError);
    const neg = Buffer.from(frames[1]!);
    neg.writeInt32BE(-1, 12);
    expect(() => new FrameDecoder().push(neg)).toThrow(DubboFrameTooLargeError);
    try {
      d.push(big);
    } catch (e) {
      expect(e).toMatchObject({
        code: 'DUBBO_ERR_FRAME_TOO_LARGE',
        bodyLength: big.length - 16,
        limit: 1024,
      });
    }
  });

  it('rejects bad magic as soon as two bytes are in', () => {
    expect(() => new FrameDecoder().push(Buffer.from('GET / HTTP/1.1\r\n'))).toThrow(DubboBadMagicError);
    expect(() => new FrameDecoder().push(Buffer.concat([frames[1]!, Buffer.from([0xda, 0x00])]))).toThrow(
      DubboBadMagicError,
    );
  });

  it('decodeFrame reports how many bytes are missing', () => {
    expect(decodeFrame(stream.subarray(0, 5))).toEqual({ needMore: 11 });
    const first = frames[0]!;
    expect(decodeFrame(first.subarray(0, first.length - 3))).toEqual({ needMore: 3 });
    const r = decodeFrame(stream);
    expect('frame' in r && r.next).toBe(first.length);
  });
});

describe('FrameDecoder with a large frame', () => {
  it('joins a frame near the 8 MiB limit from 4 KiB chunks once, not per chunk', () => {
    const big = encodeResponse({ id: 9n, value: Buffer.alloc(8 * 1024 * 1024 - 4096, 1) });
    const d = new FrameDecoder();
    const out: Buffer[] = [];
    const t0 = performance.now();
    for (let i = 0; i < big.length; i += 4096) out.push(...d.push(big.subarray(i, i + 4096)));
    expect(performance.now() - t0).toBeLessThan(5000); // quadratic joining takes minutes here
    expect(out).toHaveLength(1);
    expect(out[0]!.equals(big)).toBe(true);
  });
});
