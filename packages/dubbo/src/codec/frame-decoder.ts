// Streaming framer: TCP delivers frames split and coalesced arbitrarily; this turns chunks into whole frames.
// It never copies a frame that lies inside one chunk (a subarray is returned), and checks the announced body
// length against the limit before buffering anything, so a bogus length cannot make it allocate or wait forever.
import { DubboBadMagicError, DubboFrameTooLargeError } from '../errors.js';
import { DEFAULT_MAX_BODY_LENGTH, HEADER_LENGTH, MAGIC_HIGH, MAGIC_LOW } from './header.js';

export interface FrameDecoderOptions {
  /** Largest accepted body, in bytes (Dubbo's `payload`). Default 8 MiB. */
  maxBodyLength?: number;
}

export class FrameDecoder {
  private readonly maxBodyLength: number;
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Bytes the buffered data must reach before another frame can come out (header, then whole frame). */
  private needed = 0;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxBodyLength = options.maxBodyLength ?? DEFAULT_MAX_BODY_LENGTH;
  }

  /** Bytes buffered while waiting for the rest of a frame. */
  get buffered(): number {
    return this.pendingLength;
  }

  /**
   * Adds a chunk; returns every frame now complete (header + body), in order. Throws DubboBadMagicError or
   * DubboFrameTooLargeError: after either the stream has lost framing and the connection should be closed.
   */
  push(chunk: Uint8Array): Buffer[] {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.pendingLength > 0) {
      this.pending.push(buf);
      this.pendingLength += buf.length;
      // A large frame arrives in many chunks: collect them and join once, not once per chunk.
      if (this.pendingLength < this.needed) return [];
      buf = Buffer.concat(this.pending, this.pendingLength);
      this.pending = [];
      this.pendingLength = 0;
    }
    const frames: Buffer[] = [];
    let off = 0;
    let needed = 0;
    while (buf.length - off >= 2) {
      if (buf[off] !== MAGIC_HIGH || buf[off + 1] !== MAGIC_LOW)
        throw new DubboBadMagicError(buf.readUInt16BE(off));
      if (buf.length - off < HEADER_LENGTH) {
        needed = HEADER_LENGTH;
        break;
      }
      const bodyLength = buf.readInt32BE(off + 12);
      if (bodyLength < 0 || bodyLength > this.maxBodyLength)
        throw new DubboFrameTooLargeError(bodyLength, this.maxBodyLength);
      const total = HEADER_LENGTH + bodyLength;
      if (buf.length - off < total) {
        needed = total;
        break;
      }
      frames.push(buf.subarray(off, off + total));
      off += total;
    }
    if (off < buf.length) {
      // Keep our own copy of the tail: the caller may reuse the chunk's memory.
      const tail = Buffer.from(buf.subarray(off));
      this.pending.push(tail);
      this.pendingLength = tail.length;
      this.needed = Math.max(needed, 2);
    }
    return frames;
  }

  reset(): void {
    this.pending = [];
    this.pendingLength = 0;
    this.needed = 0;
  }
}

export type DecodeFrameResult = { frame: Buffer; next: number } | { needMore: number };

/** Stateless variant: one frame at `offset` of `buf`, or how many more bytes are needed. */
export function decodeFrame(
  buf: Uint8Array,
  offset = 0,
  maxBodyLength = DEFAULT_MAX_BODY_LENGTH,
): DecodeFrameResult {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const have = b.length - offset;
  if (have >= 1 && b[offset] !== MAGIC_HIGH)
    throw new DubboBadMagicError(have >= 2 ? b.readUInt16BE(offset) : b[offset]! << 8);
  if (have >= 2 && b[offset + 1] !== MAGIC_LOW) throw new DubboBadMagicError(b.readUInt16BE(offset));
  if (have < HEADER_LENGTH) return { needMore: HEADER_LENGTH - have };
  const bodyLength = b.readInt32BE(offset + 12);
  if (bodyLength < 0 || bodyLength > maxBodyLength)
    throw new DubboFrameTooLargeError(bodyLength, maxBodyLength);
  const total = HEADER_LENGTH + bodyLength;
  if (have < total) return { needMore: total - have };
  return { frame: b.subarray(offset, offset + total), next: offset + total };
}
