export { type DecodeValuesOptions, decodeValues } from './args.js';
export { countParameters, descriptorToJavaClass, parseDescriptor, toDescriptor } from './descriptor.js';
export {
  encodeHeartbeatRequest,
  encodeHeartbeatResponse,
  encodeReadonlyEvent,
  encodeWriteableEvent,
  READONLY_EVENT,
  WRITEABLE_EVENT,
} from './event.js';
export {
  type DecodeFrameResult,
  decodeFrame,
  FrameDecoder,
  type FrameDecoderOptions,
} from './frame-decoder.js';
export {
  DEFAULT_MAX_BODY_LENGTH,
  decodeHeader,
  encodeHeader,
  FLAG_EVENT,
  FLAG_REQUEST,
  FLAG_TWO_WAY,
  type FrameHeader,
  HEADER_LENGTH,
  isEventFrame,
  isRequestFrame,
  MAGIC,
  readRequestId,
  SERIALIZATION_MASK,
  SerializationId,
  Status,
  type StatusName,
  writeRequestId,
} from './header.js';
export { type ClassDef, Hessian2Reader, type HessianObject, MAX_DEPTH } from './hessian2.js';
export { Hessian2Writer, HessianRaw, isJavaTyped, type JavaTyped } from './hessian2-writer.js';
export { type ClassifiedFrame, classifyFrame, type FrameKind } from './message.js';
export {
  type Attachments,
  type DecodedRequest,
  DUBBO_PROTOCOL_VERSION,
  type DubboRequest,
  decodeRequest,
  encodeRequest,
  peekRequest,
  type RequestRoute,
  rawArgsOf,
} from './request.js';
export {
  type DecodedResponse,
  type DubboResponse,
  decodeResponse,
  encodeResponse,
  isExceptionType,
  peekResponse,
  type ResponseRoute,
  ResponseType,
  type ResponseTypeValue,
  responseTypeOf,
} from './response.js';
