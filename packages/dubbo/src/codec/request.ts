// Dubbo2 request bodies (DubboCodec.encodeRequestData), all Hessian2, in this order:
//   dubbo version | service path | service version | method name | parameter types descriptor
//   | one value per parameter | attachments map
// `peekRequest` is the routing fast path: it reads the envelope and attachments and SKIPS the arguments,
// returning their byte range so a proxy can forward the frame untouched.
import { DubboEncodeError, DubboNotARequestError, DubboUnsupportedSerializationError } from '../errors.js';
import { type DecodeValuesOptions, decodeValues } from './args.js';
import { countParameters, descriptorToJavaClass, parseDescriptor } from './descriptor.js';
import { decodeHeader, encodeHeader, HEADER_LENGTH, SerializationId } from './header.js';
import { Hessian2Reader } from './hessian2.js';
import { Hessian2Writer, HessianRaw } from './hessian2-writer.js';

/** Dubbo's protocol version string ("dubbo" attachment / first body field) for 2.7+ and 3.x. */
export const DUBBO_PROTOCOL_VERSION = '2.0.2';

/** Attachment values are usually strings; Dubbo 3 allows any Hessian value. Order is kept as on the wire. */
export type Attachments = Record<string, unknown>;

export interface DubboRequest {
  id: bigint;
  /** false for one-way calls (no response expected). Default true. */
  twoWay?: boolean;
  /** Default 2 (Hessian2), the only one encoded here. */
  serializationId?: number;
  /** Default "2.0.2". */
  dubboVersion?: string;
  /** The interface name (Dubbo's `path`). */
  service: string;
  /** The service version, or null when the provider is unversioned. */
  version?: string | null;
  method: string;
  /** JVM descriptor of the parameter types, e.g. "Ljava/lang/String;I". */
  parameterTypes: string;
  /** Argument values; each is written as its descriptor type says (see Hessian2Writer.writeTyped). */
  args?: readonly unknown[];
  /** Already-encoded argument bytes, written verbatim instead of `args` (forwarding without decoding). */
  rawArgs?: Uint8Array;
  attachments?: Attachments;
}

/** What the fast path reads: everything a router needs, nothing it doesn't. */
export interface RequestRoute {
  id: bigint;
  twoWay: boolean;
  serializationId: number;
  dubboVersion: string;
  service: string;
  version: string | null;
  method: string;
  parameterTypes: string;
  attachments: Attachments;
  /** The whole frame, unchanged (header + body). */
  frame: Buffer;
  /** Arguments occupy frame[argsStart, argsEnd). */
  argsStart: number;
  argsEnd: number;
  argCount: number;
  /** Hessian type names the arguments defined (needed to re-encode attachments after raw arguments). */
  types: readonly string[];
}

export interface DecodedRequest extends RequestRoute {
  args: unknown[];
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Reads the routing fields of one complete request frame without decoding its arguments. */
export function peekRequest(frameBytes: Uint8Array): RequestRoute {
  const frame = asBuffer(frameBytes);
  const h = decodeHeader(frame);
  if (!h.isRequest) throw new DubboNotARequestError('the request flag (0x80) is not set');
  if (h.event) throw new DubboNotARequestError('it is an event (heartbeat or read-only)');
  if (h.serializationId !== SerializationId.HESSIAN2)
    throw new DubboUnsupportedSerializationError(h.serializationId);
  const end = HEADER_LENGTH + h.bodyLength;
  if (h.bodyLength < 0 || end > frame.length)
    throw new DubboNotARequestError('the frame is shorter than its header says');
  const r = new Hessian2Reader(frame, HEADER_LENGTH, end);
  const dubboVersion = r.readString() ?? '';
  const service = r.readString() ?? '';
  const version = r.readString();
  const method = r.readString() ?? '';
  const parameterTypes = r.readString() ?? '';
  const argCount = countParameters(parameterTypes);
  const argsStart = r.pos;
  for (let i = 0; i < argCount; i++) r.skipValue();
  const argsEnd = r.pos;
  // Very old clients end the body after the arguments; an absent map means no attachments.
  const attachments = r.atEnd() ? {} : (r.readMap() ?? {});
  return {
    id: h.requestId,
    twoWay: h.twoWay,
    serializationId: h.serializationId,
    dubboVersion,
    service,
    version,
    method,
    parameterTypes,
    attachments,
    frame,
    argsStart,
    argsEnd,
    argCount,
    types: r.types,
  };
}

/** Decodes a request frame completely: the fast-path fields plus every argument through hessian.js. */
export function decodeRequest(frame: Uint8Array, options: DecodeValuesOptions = {}): DecodedRequest {
  const route = peekRequest(frame);
  const args = decodeValues(route.frame.subarray(route.argsStart, route.argsEnd), route.argCount, options);
  return { ...route, args };
}

/** The raw argument bytes of a peeked request, ready to be passed back as `rawArgs`. */
export function rawArgsOf(route: RequestRoute): Buffer {
  return route.frame.subarray(route.argsStart, route.argsEnd);
}

export function encodeRequest(req: DubboRequest, types: readonly string[] = []): Buffer {
  const w = new Hessian2Writer(512, req.rawArgs !== undefined ? types : []);
  // Header space first; the body length is patched in once the body is written.
  w.writeRaw(new Uint8Array(HEADER_LENGTH));
  w.writeString(req.dubboVersion ?? DUBBO_PROTOCOL_VERSION);
  w.writeString(req.service);
  w.writeString(req.version ?? null);
  w.writeString(req.method);
  w.writeString(req.parameterTypes);
  if (req.rawArgs !== undefined) {
    w.writeRaw(req.rawArgs);
  } else {
    const args = req.args ?? [];
    const types = parseDescriptor(req.parameterTypes);
    // The peer reads exactly as many values as the descriptor names: any other count corrupts the body.
    if (types.length !== args.length) {
      throw new DubboEncodeError(
        `${args.length} arguments for ${types.length} parameter types "${req.parameterTypes}"`,
      );
    }
    for (let i = 0; i < args.length; i++) {
      const t = types[i];
      const v = args[i];
      if (t === undefined || v instanceof HessianRaw) w.writeValue(v);
      else writeArgument(w, v, t);
    }
  }
  w.writeMap(Object.entries(req.attachments ?? {}));
  const out = Buffer.from(w.bytes());
  encodeHeader(
    {
      isRequest: true,
      twoWay: req.twoWay ?? true,
      event: false,
      serializationId: req.serializationId ?? SerializationId.HESSIAN2,
      status: 0,
      requestId: req.id,
      bodyLength: out.length - HEADER_LENGTH,
    },
    out,
  );
  return out;
}

const BY_DECLARED_TYPE = new Set([
  'I',
  'J',
  'Z',
  'D',
  'F',
  'S',
  'B',
  'C',
  'Ljava/lang/String;',
  'Ljava/lang/Integer;',
  'Ljava/lang/Long;',
  'Ljava/lang/Boolean;',
  'Ljava/lang/Double;',
  'Ljava/lang/Float;',
  'Ljava/lang/Short;',
  'Ljava/lang/Byte;',
]);

/**
 * Primitive and boxed declared types decide the wire form (a JS number for a `long` parameter is written as a
 * long); for interfaces and Object the runtime value decides, as in Java.
 */
function writeArgument(w: Hessian2Writer, v: unknown, descriptor: string): void {
  if (BY_DECLARED_TYPE.has(descriptor)) {
    const inner =
      typeof v === 'object' && v !== null && '$' in v && '$class' in v ? (v as { $: unknown }).$ : v;
    w.writeTyped(descriptorToJavaClass(descriptor), inner);
  } else {
    w.writeValue(v);
  }
}
