import { describe, expect, it } from 'vitest';
import {
  classifyFrame,
  encodeHeader,
  encodeHeartbeatRequest,
  encodeHeartbeatResponse,
  encodeReadonlyEvent,
  encodeRequest,
  encodeResponse,
  encodeWriteableEvent,
  HEADER_LENGTH,
} from '../../src/index.js';

describe('classifyFrame', () => {
  it('tells requests, responses and each event apart', () => {
    expect(classifyFrame(encodeRequest({ id: 1n, service: 's', method: 'm', parameterTypes: '' })).kind).toBe(
      'request',
    );
    expect(classifyFrame(encodeResponse({ id: 1n, value: 1 })).kind).toBe('response');
    expect(classifyFrame(encodeHeartbeatRequest(1n)).kind).toBe('heartbeat-request');
    expect(classifyFrame(encodeHeartbeatResponse(1n)).kind).toBe('heartbeat-response');
    expect(classifyFrame(encodeReadonlyEvent(1n)).kind).toBe('readonly');
    expect(classifyFrame(encodeWriteableEvent(1n)).kind).toBe('writeable');
  });

  it('treats an empty event body (Dubbo 2.x heartbeats) as a heartbeat', () => {
    const frame = encodeHeader({
      isRequest: true,
      twoWay: true,
      event: true,
      serializationId: 2,
      status: 0,
      requestId: 3n,
      bodyLength: 0,
    });
    expect(classifyFrame(frame).kind).toBe('heartbeat-request');
  });

  it('reports an unknown event with its payload', () => {
    const frame = Buffer.concat([
      Buffer.from(encodeReadonlyEvent(4n).subarray(0, HEADER_LENGTH)),
      Buffer.from([0x01, 0x58]),
    ]);
    const c = classifyFrame(frame);
    expect(c.kind).toBe('event');
    expect(c.eventData).toBe('X');
  });
});
