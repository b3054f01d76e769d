import { describe, expect, it } from 'vitest';
import {
  DubboEncodeError,
  DubboNotARequestError,
  DubboUnsupportedSerializationError,
  decodeRequest,
  encodeHeartbeatRequest,
  encodeRequest,
  encodeResponse,
  peekRequest,
  rawArgsOf,
  readRequestId,
  writeRequestId,
} from '../../src/index.js';

const req = {
  id: 42n,
  service: 'com.example.Orders',
  version: '2.1.0',
  method: 'place',
  parameterTypes: 'Ljava/lang/String;JLjava/util/Map;[I',
  args: ['sku-1', 5, { qty: 2, note: 'gift' }, [1, 2]],
  attachments: {
    path: 'com.example.Orders',
    interface: 'com.example.Orders',
    version: '2.1.0',
    'x-user': 'u1',
  },
};

describe('request codec', () => {
  it('fast path reads routing fields and the argument range without decoding arguments', () => {
    const frame = encodeRequest(req);
    const r = peekRequest(frame);
    expect(r).toMatchObject({
      id: 42n,
      twoWay: true,
      dubboVersion: '2.0.2',
      service: 'com.example.Orders',
      version: '2.1.0',
      method: 'place',
      argCount: 4,
      attachments: req.attachments,
    });
    expect(r.frame).toBe(frame);
  });

  it('full decode returns the arguments; a J parameter given a JS number goes out as a long', () => {
    const d = decodeRequest(encodeRequest(req));
    expect(d.args).toEqual(['sku-1', 5, { qty: 2, note: 'gift' }, [1, 2]]);
    const longByte = encodeRequest(req)[peekRequest(encodeRequest(req)).argsStart + 6];
    expect(longByte).toBe(0xe5); // compact long 5, not compact int 0x95
  });

  it('re-encoding with raw arguments and new attachments keeps the argument bytes', () => {
    const frame = encodeRequest(req);
    const r = peekRequest(frame);
    const again = encodeRequest({
      ...r,
      rawArgs: rawArgsOf(r),
      attachments: { ...r.attachments, 'x-route': 'canary' },
    });
    const r2 = peekRequest(again);
    expect(rawArgsOf(r2)).toEqual(rawArgsOf(r));
    expect(r2.attachments['x-route']).toBe('canary');
  });

  it('multiplexing rewrites only the id', () => {
    const frame = Buffer.from(encodeRequest(req));
    writeRequestId(frame, 9001n);
    expect(readRequestId(frame)).toBe(9001n);
    expect(decodeRequest(frame).args[0]).toBe('sku-1');
  });

  it('refuses responses, events and other serializations with typed errors', () => {
    expect(() => peekRequest(encodeResponse({ id: 1n, value: 1 }))).toThrow(DubboNotARequestError);
    expect(() => peekRequest(encodeHeartbeatRequest(1n))).toThrow(DubboNotARequestError);
    const kryo = Buffer.from(encodeRequest(req));
    kryo[2] = (kryo[2]! & 0xe0) | 8;
    expect(() => peekRequest(kryo)).toThrow(DubboUnsupportedSerializationError);
  });

  it('refuses an argument count that differs from the descriptor', () => {
    expect(() => encodeRequest({ ...req, args: ['only one'] })).toThrow(DubboEncodeError);
  });

  it('a one-way request clears the two-way flag', () => {
    const frame = encodeRequest({ ...req, twoWay: false });
    expect(frame[2]).toBe(0x82);
    expect(peekRequest(frame).twoWay).toBe(false);
  });
});
