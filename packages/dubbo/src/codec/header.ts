// The fixed 16-byte Dubbo2 header (ExchangeCodec):
//   0-1 magic 0xdabb | 2 flags: 0x80 request, 0x40 two-way, 0x20 event, low 5 bits serialization id
//   3 status (responses only) | 4-11 request id (int64, big-endian) | 12-15 body length (int32, big-endian)
import { DubboBadMagicError, DubboTruncatedError } from '../errors.js';

export const MAGIC = 0xdabb;
export const MAGIC_HIGH = 0xda;
export const MAGIC_LOW = 0xbb;
export const HEADER_LENGTH = 16;

export const FLAG_REQUEST = 0x80;
export const FLAG_TWO_WAY = 0x40;
export const FLAG_EVENT = 0x20;
export const SERIALIZATION_MASK = 0x1f;

/** Serialization ids from Dubbo's Constants; only Hessian2 bodies are decoded here. */
export const SerializationId = {
  HESSIAN2: 2,
  JAVA: 3,
  COMPACTED_JAVA: 4,
  FASTJSON: 6,
  NATIVE_JAVA: 7,
  KRYO: 8,
  FST: 9,
  PROTOSTUFF: 12,
  AVRO: 11,
  GSON: 16,
  PROTOBUF_JSON: 21,
  FASTJSON2: 23,
} as const;

/** The response status byte, as org.apache.dubbo.remoting.exchange.Response defines it. */
export const Status = {
  OK: 20,
  SERIALIZATION_ERROR: 25,
  CLIENT_TIMEOUT: 30,
  SERVER_TIMEOUT: 31,
  CHANNEL_INACTIVE: 35,
  BAD_REQUEST: 40,
  BAD_RESPONSE: 50,
  SERVICE_NOT_FOUND: 60,
  SERVICE_ERROR: 70,
  SERVER_ERROR: 80,
  CLIENT_ERROR: 90,
  SERVER_THREADPOOL_EXHAUSTED_ERROR: 100,
} as const;

export type StatusName = keyof typeof Status;

/** Dubbo's default `payload` limit: 8 MiB of body. */
export const DEFAULT_MAX_BODY_LENGTH = 8 * 1024 * 1024;

export interface FrameHeader {
  isRequest: boolean;
  twoWay: boolean;
  event: boolean;
  serializationId: number;
  /** Meaningful on responses only; requests carry 0. */
  status: number;
  /** Dubbo request ids are Java longs; bigint keeps all 64 bits. */
  requestId: bigint;
  bodyLength: number;
}

export function decodeHeader(buf: Uint8Array, offset = 0): FrameHeader {
  if (buf.length - offset < HEADER_LENGTH)
    throw new DubboTruncatedError(`header needs ${HEADER_LENGTH} bytes`);
  const view = new DataView(buf.buffer, buf.byteOffset + offset, HEADER_LENGTH);
  const magic = view.getUint16(0);
  if (magic !== MAGIC) throw new DubboBadMagicError(magic);
  const flag = view.getUint8(2);
  return {
    isRequest: (flag & FLAG_REQUEST) !== 0,
    twoWay: (flag & FLAG_TWO_WAY) !== 0,
    event: (flag & FLAG_EVENT) !== 0,
    serializationId: flag & SERIALIZATION_MASK,
    status: view.getUint8(3),
    requestId: view.getBigInt64(4),
    // Java writes an int; a negative one can only come from a hostile peer and is rejected by the limit check.
    bodyLength: view.getInt32(12),
  };
}

export function encodeHeader(
  h: FrameHeader,
  target: Uint8Array = new Uint8Array(HEADER_LENGTH),
  offset = 0,
): Uint8Array {
  const view = new DataView(target.buffer, target.byteOffset + offset, HEADER_LENGTH);
  view.setUint16(0, MAGIC);
  let flag = h.serializationId & SERIALIZATION_MASK;
  if (h.isRequest) flag |= FLAG_REQUEST;
  if (h.twoWay) flag |= FLAG_TWO_WAY;
  if (h.event) flag |= FLAG_EVENT;
  view.setUint8(2, flag);
  view.setUint8(3, h.isRequest ? 0 : h.status);
  view.setBigInt64(4, BigInt.asIntN(64, h.requestId));
  view.setInt32(12, h.bodyLength);
  return target;
}

export function readRequestId(frame: Uint8Array): bigint {
  return new DataView(frame.buffer, frame.byteOffset, HEADER_LENGTH).getBigInt64(4);
}

/**
 * Overwrites the request id in place: the only change a multiplexing proxy makes to a forwarded frame,
 * so the body bytes are never re-encoded.
 */
export function writeRequestId(frame: Uint8Array, id: bigint): void {
  new DataView(frame.buffer, frame.byteOffset, HEADER_LENGTH).setBigInt64(4, BigInt.asIntN(64, id));
}

export function isRequestFrame(frame: Uint8Array): boolean {
  return ((frame[2] ?? 0) & FLAG_REQUEST) !== 0;
}

export function isEventFrame(frame: Uint8Array): boolean {
  return ((frame[2] ?? 0) & FLAG_EVENT) !== 0;
}
