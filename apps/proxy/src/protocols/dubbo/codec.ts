// The proxy's side of the Dubbo2 codec: what the filter and the two connection sides need on top of
// @strait/dubbo (which owns the wire format). Nothing here re-encodes a forwarded frame; only local
// replies (errors, heartbeats, READONLY) are built.
import type { Socket } from 'node:net';
import {
  decodeValues,
  encodeResponse,
  FLAG_EVENT,
  FLAG_REQUEST,
  FLAG_TWO_WAY,
  HEADER_LENGTH,
  peekResponse,
  type RequestRoute,
  ResponseType,
  Status,
} from '@strait/dubbo/codec';

export { Status };

const corked = new WeakSet<Socket>();

/**
 * Writes a frame, batching every frame written in the same tick into one writev: a burst of calls
 * decoded from one read costs one syscall per side instead of one per frame.
 */
export function corkedWrite(socket: Socket, frame: Uint8Array): void {
  if (!corked.has(socket)) {
    corked.add(socket);
    socket.cork();
    process.nextTick(() => {
      corked.delete(socket);
      socket.uncork();
    });
  }
  socket.write(frame);
}

/** What one whole frame is, from its flag byte alone (no body read). */
export type FrameClass = 'call' | 'response' | 'event';

export function frameClass(frame: Uint8Array): FrameClass {
  const flag = frame[2] ?? 0;
  if ((flag & FLAG_EVENT) !== 0) return 'event';
  return (flag & FLAG_REQUEST) !== 0 ? 'call' : 'response';
}

export function isTwoWay(frame: Uint8Array): boolean {
  return ((frame[2] ?? 0) & FLAG_TWO_WAY) !== 0;
}

/** A non-OK response carrying `message`, as a provider would send it (the consumer raises it). */
export function errorResponse(id: bigint, status: number, message: string): Buffer {
  return encodeResponse({ id, status, errorMessage: message });
}

export type ResponseOutcome = 'success' | 'exception' | 'error';

/**
 * Classifies a response for stats without decoding its value. The response type is a Hessian2 compact int
 * (one byte 0x90 + type for 0..5, how every Dubbo writes it); anything else falls back to peekResponse.
 */
export function responseOutcome(frame: Buffer): ResponseOutcome {
  if (frame[3] !== Status.OK) return 'error';
  const b = frame[HEADER_LENGTH];
  let type: number | undefined;
  if (b !== undefined && b >= 0x90 && b <= 0x95) type = b - 0x90;
  else {
    try {
      type = peekResponse(frame).type;
    } catch {
      return 'error';
    }
  }
  return type === ResponseType.RESPONSE_WITH_EXCEPTION ||
    type === ResponseType.RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS
    ? 'exception'
    : 'success';
}

/** Full decoding of a peeked request's arguments (params_match only); undefined when they do not decode. */
export function decodeArguments(route: RequestRoute): unknown[] | undefined {
  try {
    return decodeValues(route.frame.subarray(route.argsStart, route.argsEnd), route.argCount);
  } catch {
    return undefined;
  }
}
