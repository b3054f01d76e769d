// Event frames (flag 0x20). Dubbo 3.3.4 (checked against the fixture it generates, test/fixtures/dubbo-java.json):
//   heartbeat request   da bb e2 00 <id> 00000001 4e      request | two-way | event, body Hessian2 null
//   heartbeat response  da bb 22 14 <id> 00000001 4e      event, status OK, body null
//   READONLY event      da bb a2 00 <id> 00000002 01 52   request | event, ONE-way, body the string "R"
// A provider sends READONLY on every channel when it starts shutting down: the consumer must stop sending new
// requests on that connection. "W" (WRITEABLE) undoes it.
import {
  encodeHeader,
  FLAG_EVENT,
  FLAG_REQUEST,
  FLAG_TWO_WAY,
  HEADER_LENGTH,
  SerializationId,
  Status,
} from './header.js';

export const READONLY_EVENT = 'R';
export const WRITEABLE_EVENT = 'W';

const NULL_BODY = Uint8Array.of(0x4e);

function eventFrame(flags: number, status: number, id: bigint, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  encodeHeader(
    {
      isRequest: (flags & FLAG_REQUEST) !== 0,
      twoWay: (flags & FLAG_TWO_WAY) !== 0,
      event: (flags & FLAG_EVENT) !== 0,
      serializationId: SerializationId.HESSIAN2,
      status,
      requestId: id,
      bodyLength: body.length,
    },
    out,
  );
  out.set(body, HEADER_LENGTH);
  return out;
}

export function encodeHeartbeatRequest(id: bigint): Buffer {
  return eventFrame(FLAG_REQUEST | FLAG_TWO_WAY | FLAG_EVENT, 0, id, NULL_BODY);
}

export function encodeHeartbeatResponse(id: bigint): Buffer {
  return eventFrame(FLAG_EVENT, Status.OK, id, NULL_BODY);
}

/** The one-way READONLY event request a shutting-down provider (or a draining proxy) sends. */
export function encodeReadonlyEvent(id: bigint): Buffer {
  return eventFrame(FLAG_REQUEST | FLAG_EVENT, 0, id, Uint8Array.of(0x01, 0x52));
}

export function encodeWriteableEvent(id: bigint): Buffer {
  return eventFrame(FLAG_REQUEST | FLAG_EVENT, 0, id, Uint8Array.of(0x01, 0x57));
}
