// Dubbo2 response bodies (DubboCodec.encodeResponseData). With status OK: a response type written as a Hessian2
// int, then the value or exception (absent for the NULL types), then attachments for the *_WITH_ATTACHMENTS
// types. Any other status carries only an error message string.
import { DubboNotAResponseError, DubboUnsupportedSerializationError } from '../errors.js';
import { type DecodeValuesOptions, decodeValues } from './args.js';
import { decodeHeader, encodeHeader, HEADER_LENGTH, SerializationId, Status } from './header.js';
import { Hessian2Reader } from './hessian2.js';
import { Hessian2Writer } from './hessian2-writer.js';
import type { Attachments } from './request.js';

export const ResponseType = {
  RESPONSE_WITH_EXCEPTION: 0,
  RESPONSE_VALUE: 1,
  RESPONSE_NULL_VALUE: 2,
  RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS: 3,
  RESPONSE_VALUE_WITH_ATTACHMENTS: 4,
  RESPONSE_NULL_VALUE_WITH_ATTACHMENTS: 5,
} as const;

export type ResponseTypeValue = (typeof ResponseType)[keyof typeof ResponseType];

export interface DubboResponse {
  id: bigint;
  /** Default 20 (OK). */
  status?: number;
  serializationId?: number;
  /** Chosen from the other fields when absent (exception → value → null; +3 when attachments are set). */
  type?: ResponseTypeValue;
  value?: unknown;
  /** Set for RESPONSE_WITH_EXCEPTION*; a Java Throwable (decoded by hessian.js into an Error). */
  exception?: unknown;
  /** Already-encoded value or exception, written verbatim. */
  rawValue?: Uint8Array;
  /** Present means a *_WITH_ATTACHMENTS type. */
  attachments?: Attachments;
  /** The message of a non-OK status. */
  errorMessage?: string;
}

export interface ResponseRoute {
  id: bigint;
  status: number;
  serializationId: number;
  /** Undefined when the status is not OK. */
  type?: ResponseTypeValue;
  attachments?: Attachments;
  errorMessage?: string;
  frame: Buffer;
  /** The value/exception occupies frame[valueStart, valueEnd) (empty for NULL types and errors). */
  valueStart: number;
  valueEnd: number;
}

export interface DecodedResponse extends ResponseRoute {
  value?: unknown;
  exception?: unknown;
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export function isExceptionType(t: number): boolean {
  return (
    t === ResponseType.RESPONSE_WITH_EXCEPTION || t === ResponseType.RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS
  );
}

function hasValue(t: number): boolean {
  return t !== ResponseType.RESPONSE_NULL_VALUE && t !== ResponseType.RESPONSE_NULL_VALUE_WITH_ATTACHMENTS;
}

/** Reads status, response type and attachments of a response frame; skips the value. */
export function peekResponse(frameBytes: Uint8Array): ResponseRoute {
  const frame = asBuffer(frameBytes);
  const h = decodeHeader(frame);
  if (h.isRequest) throw new DubboNotAResponseError();
  if (h.serializationId !== SerializationId.HESSIAN2)
    throw new DubboUnsupportedSerializationError(h.serializationId);
  const end = HEADER_LENGTH + h.bodyLength;
  const r = new Hessian2Reader(frame, HEADER_LENGTH, Math.min(end, frame.length));
  const base = { id: h.requestId, status: h.status, serializationId: h.serializationId, frame };
  if (h.status !== Status.OK) {
    const errorMessage = r.readString() ?? '';
    return { ...base, errorMessage, valueStart: r.pos, valueEnd: r.pos };
  }
  const typeAt = r.pos;
  const type = r.readInt();
  if (type < 0 || type > 5) r.fail(`unknown response type ${type}`, typeAt);
  const valueStart = r.pos;
  if (hasValue(type)) r.skipValue();
  const valueEnd = r.pos;
  const route: ResponseRoute = { ...base, type: type as ResponseTypeValue, valueStart, valueEnd };
  if (type >= 3) route.attachments = r.readMap() ?? {};
  return route;
}

export function decodeResponse(frame: Uint8Array, options: DecodeValuesOptions = {}): DecodedResponse {
  const route = peekResponse(frame);
  if (route.type === undefined || !hasValue(route.type)) {
    return route.type === undefined ? route : { ...route, value: null };
  }
  const [v] = decodeValues(route.frame.subarray(route.valueStart, route.valueEnd), 1, options);
  return isExceptionType(route.type) ? { ...route, exception: v } : { ...route, value: v };
}

export function responseTypeOf(res: DubboResponse): ResponseTypeValue {
  if (res.type !== undefined) return res.type;
  const attach = res.attachments !== undefined ? 3 : 0;
  if (res.exception !== undefined)
    return (ResponseType.RESPONSE_WITH_EXCEPTION + attach) as ResponseTypeValue;
  if ((res.value === undefined || res.value === null) && res.rawValue === undefined) {
    return (ResponseType.RESPONSE_NULL_VALUE + attach) as ResponseTypeValue;
  }
  return (ResponseType.RESPONSE_VALUE + attach) as ResponseTypeValue;
}

export function encodeResponse(res: DubboResponse): Buffer {
  const w = new Hessian2Writer(256);
  w.writeRaw(new Uint8Array(HEADER_LENGTH));
  const status = res.status ?? Status.OK;
  if (status !== Status.OK) {
    w.writeString(res.errorMessage ?? '');
  } else {
    const type = responseTypeOf(res);
    w.writeInt(type);
    if (hasValue(type)) {
      if (res.rawValue !== undefined) w.writeRaw(res.rawValue);
      else w.writeValue(isExceptionType(type) ? res.exception : res.value);
    }
    if (type >= 3) w.writeMap(Object.entries(res.attachments ?? {}));
  }
  const out = Buffer.from(w.bytes());
  encodeHeader(
    {
      isRequest: false,
      twoWay: false,
      event: false,
      serializationId: res.serializationId ?? SerializationId.HESSIAN2,
      status,
      requestId: res.id,
      bodyLength: out.length - HEADER_LENGTH,
    },
    out,
  );
  return out;
}
