// The slice of hessian.js (CommonJS, untyped) that args.ts uses.
declare module 'hessian.js' {
  interface ByteBufferLike {
    position(): number;
  }
  export class DecoderV2 {
    constructor(buf: Buffer, classCache?: unknown);
    byteBuffer: ByteBufferLike;
    read(withType?: boolean): unknown;
  }
}
