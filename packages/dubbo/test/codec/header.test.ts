import { describe, expect, it } from 'vitest';
import {
  DubboBadMagicError,
  DubboTruncatedError,
  decodeHeader,
  encodeHeader,
  HEADER_LENGTH,
  isEventFrame,
  isRequestFrame,
  readRequestId,
  writeRequestId,
} from '../../src/index.js';

describe('header', () => {
  it('round-trips every flag combination and a full 64-bit id', () => {
    for (const isRequest of [true, false]) {
      for (const twoWay of [true, false]) {
        for (const event of [true, false]) {
          const h = {
            isRequest,
            twoWay,
            event,
            serializationId: 2,
            status: isRequest ? 0 : 70,
            requestId: -2n,
            bodyLength: 9,
          };
          const back = decodeHeader(encodeHeader(h));
          expect(back).toEqual(h);
        }
      }
    }
  });

  it('lays out the bytes as Dubbo does: magic, flag, status, id, length', () => {
    const b = encodeHeader({
      isRequest: true,
      twoWay: true,
      event: false,
      serializationId: 2,
      status: 0,
      requestId: 0x0102030405060708n,
      bodyLength: 0x100,
    });
    expect(Buffer.from(b).toString('hex')).toBe('dabbc200010203040506070800000100');
  });

  it('rejects a bad magic and a short header with typed errors', () => {
    expect(() => decodeHeader(new Uint8Array(16))).toThrow(DubboBadMagicError);
    expect(() => decodeHeader(Uint8Array.of(0xda, 0xbb))).toThrow(DubboTruncatedError);
  });

  it('rewrites the request id in place without touching anything else', () => {
    const frame = Buffer.alloc(HEADER_LENGTH + 3, 7);
    encodeHeader(
      {
        isRequest: true,
        twoWay: true,
        event: true,
        serializationId: 2,
        status: 0,
        requestId: 5n,
        bodyLength: 3,
      },
      frame,
    );
    const before = Buffer.from(frame);
    writeRequestId(frame, 0x7fffffffffffffffn);
    expect(readRequestId(frame)).toBe(0x7fffffffffffffffn);
    expect(frame.subarray(0, 4)).toEqual(before.subarray(0, 4));
    expect(frame.subarray(12)).toEqual(before.subarray(12));
    expect(isRequestFrame(frame)).toBe(true);
    expect(isEventFrame(frame)).toBe(true);
  });
});
