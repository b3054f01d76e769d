import { describe, expect, it } from 'vitest';
import {
  DubboNotAResponseError,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  peekResponse,
  ResponseType,
  responseTypeOf,
  Status,
} from '../../src/index.js';

describe('response codec', () => {
  it('chooses the response type from the fields', () => {
    expect(responseTypeOf({ id: 1n, value: 1 })).toBe(ResponseType.RESPONSE_VALUE);
    expect(responseTypeOf({ id: 1n, value: null })).toBe(ResponseType.RESPONSE_NULL_VALUE);
    expect(responseTypeOf({ id: 1n, exception: {} })).toBe(ResponseType.RESPONSE_WITH_EXCEPTION);
    expect(responseTypeOf({ id: 1n, value: 1, attachments: {} })).toBe(
      ResponseType.RESPONSE_VALUE_WITH_ATTACHMENTS,
    );
    expect(responseTypeOf({ id: 1n, attachments: {} })).toBe(
      ResponseType.RESPONSE_NULL_VALUE_WITH_ATTACHMENTS,
    );
    expect(responseTypeOf({ id: 1n, exception: {}, attachments: {} })).toBe(
      ResponseType.RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS,
    );
  });

  it('round-trips values, exceptions and attachments', () => {
    const v = decodeResponse(
      encodeResponse({ id: 3n, value: { a: [1, 'b'] }, attachments: { dubbo: '2.0.2' } }),
    );
    expect(v).toMatchObject({
      id: 3n,
      status: 20,
      type: 4,
      value: { a: [1, 'b'] },
      attachments: { dubbo: '2.0.2' },
    });
    const e = decodeResponse(
      encodeResponse({
        id: 4n,
        exception: { $class: 'java.lang.IllegalStateException', $: { detailMessage: 'bad' } },
      }),
    );
    expect(e.type).toBe(ResponseType.RESPONSE_WITH_EXCEPTION);
    expect(e.exception).toMatchObject({ name: 'java.lang.IllegalStateException', message: 'bad' });
  });

  it('carries only an error message for non-OK status', () => {
    const frame = encodeResponse({
      id: 5n,
      status: Status.SERVER_THREADPOOL_EXHAUSTED_ERROR,
      errorMessage: 'busy',
    });
    expect(frame[3]).toBe(100);
    const r = peekResponse(frame);
    expect(r).toMatchObject({ status: 100, errorMessage: 'busy' });
    expect(r.type).toBeUndefined();
  });

  it('fast path skips the value and still finds the attachments', () => {
    const big = {
      list: Array.from({ length: 500 }, (_, i) => ({ $class: 'com.example.Item', $: { i, s: `s${i}` } })),
    };
    const r = peekResponse(encodeResponse({ id: 6n, value: big, attachments: { trace: 't1' } }));
    expect(r.attachments).toEqual({ trace: 't1' });
    expect(r.valueEnd - r.valueStart).toBeGreaterThan(3000);
  });

  it('refuses a request frame', () => {
    expect(() =>
      peekResponse(encodeRequest({ id: 1n, service: 's', method: 'm', parameterTypes: '' })),
    ).toThrow(DubboNotAResponseError);
  });
});
