// Classifies one complete frame: the entry point the SDK and a proxy use after the frame decoder.

import { DubboUnsupportedSerializationError } from '../errors.js';
import { READONLY_EVENT, WRITEABLE_EVENT } from './event.js';
import { decodeHeader, type FrameHeader, HEADER_LENGTH, SerializationId } from './header.js';
import { Hessian2Reader } from './hessian2.js';

export type FrameKind =
  | 'request'
  | 'response'
  | 'heartbeat-request'
  | 'heartbeat-response'
  | 'readonly'
  | 'writeable'
  | 'event';

export interface ClassifiedFrame {
  kind: FrameKind;
  header: FrameHeader;
  /** For kind 'event': the decoded event payload (an event Strait does not know). */
  eventData?: unknown;
}

/** Reads the header and, for events, the tiny payload that says which event it is. */
export function classifyFrame(frame: Uint8Array): ClassifiedFrame {
  const header = decodeHeader(frame);
  if (!header.event) return { kind: header.isRequest ? 'request' : 'response', header };
  if (header.serializationId !== SerializationId.HESSIAN2)
    throw new DubboUnsupportedSerializationError(header.serializationId);
  const r = new Hessian2Reader(
    frame,
    HEADER_LENGTH,
    Math.min(frame.length, HEADER_LENGTH + header.bodyLength),
  );
  // Dubbo 2.x heartbeats may have an empty body; 3.x writes Hessian2 null.
  const data = header.bodyLength === 0 ? null : r.readValue();
  if (data === null) return { kind: header.isRequest ? 'heartbeat-request' : 'heartbeat-response', header };
  if (header.isRequest && data === READONLY_EVENT) return { kind: 'readonly', header };
  if (header.isRequest && data === WRITEABLE_EVENT) return { kind: 'writeable', header };
  return { kind: 'event', header, eventData: data };
}
