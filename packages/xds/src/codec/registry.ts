// Codecs keyed by type URL: how an Any, a DiscoveryResponse resource or a typed_config is decoded
// without the caller knowing the type up front.
import { XdsUnknownTypeUrlError } from '../errors.js';
import { typeNameOf, typeUrlOf } from '../type-urls.js';
import { createCodec, type MessageCodec } from './codec.js';
import { KNOWN_CODECS } from './codecs.js';
import { staticTypeByName } from './static-types.js';

export type AnyCodec = MessageCodec<unknown, never>;

export interface CodecRegistryOptions {
  /**
   * Also resolve any message the generated protos define (default true), so an unexpected but valid
   * Envoy extension config can still be unpacked and shown. False limits the registry to what was
   * registered explicitly.
   */
  generated?: boolean;
}

export class CodecRegistry {
  private readonly byUrl = new Map<string, AnyCodec>();
  private readonly generated: boolean;

  constructor(codecs: Iterable<AnyCodec> = [], options: CodecRegistryOptions = {}) {
    this.generated = options.generated ?? true;
    for (const codec of codecs) this.register(codec);
  }

  register(codec: AnyCodec): this {
    this.byUrl.set(codec.typeUrl, codec);
    return this;
  }

  /** The codec for a type URL (any host prefix is accepted, as Any resolution does), or undefined. */
  get(typeUrl: string): AnyCodec | undefined {
    const known = this.byUrl.get(typeUrl);
    if (known !== undefined) return known;
    const name = typeNameOf(typeUrl);
    const canonical = this.byUrl.get(typeUrlOf(name));
    if (canonical !== undefined) return canonical;
    if (!this.generated) return undefined;
    const type = staticTypeByName(name);
    if (type === undefined) return undefined;
    const codec = createCodec(name, type) as AnyCodec;
    this.byUrl.set(codec.typeUrl, codec);
    return codec;
  }

  /** Like get, but an unknown type URL is an XdsUnknownTypeUrlError. */
  require(typeUrl: string, path = ''): AnyCodec {
    const codec = this.get(typeUrl);
    if (codec === undefined) throw new XdsUnknownTypeUrlError(typeUrl, path);
    return codec;
  }

  has(typeUrl: string): boolean {
    return this.get(typeUrl) !== undefined;
  }

  /** Type URLs registered so far (explicit ones plus generated ones resolved already). */
  typeUrls(): string[] {
    return [...this.byUrl.keys()];
  }
}

/** The registry of every named codec plus, on demand, every generated message. */
export const defaultRegistry: CodecRegistry = new CodecRegistry(KNOWN_CODECS);
