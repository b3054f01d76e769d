// One ADS connection on the server: a state per type URL, created on the type's first request,
// sharing one nonce source. The number of types is bounded since type URLs come from the client.
import { DeltaServerState } from './delta-server.js';
import { XdsStreamError, XdsStreamErrorCode } from './errors.js';
import type { RequestResult, TypeSyncStatus } from './outcome.js';
import { SotwServerState } from './sotw-server.js';
import {
  createNonceSource,
  type DeltaDiscoveryRequest,
  type DiscoveryRequest,
  type NonceSource,
  type ResourceSnapshot,
  resolveLimits,
  type StreamLimits,
} from './types.js';

export interface ServerConnectionOptions {
  readonly nonce?: NonceSource;
  readonly limits?: Partial<StreamLimits>;
  /** Which types give "*" and the legacy empty list wildcard meaning; defaults to LDS and CDS. */
  readonly wildcard?: (typeUrl: string) => boolean;
}

interface TypeState<Req, Res> {
  receive(request: Req): RequestResult;
  respond(snapshot: ResourceSnapshot): Res | undefined;
  status(): TypeSyncStatus;
}

class ServerConnection<Req extends { typeUrl?: string | null }, Res, S extends TypeState<Req, Res>> {
  private readonly states = new Map<string, S>();
  private readonly limits: StreamLimits;

  constructor(
    private readonly create: (typeUrl: string) => S,
    limits: StreamLimits,
  ) {
    this.limits = limits;
  }

  /** Routes a request to its type's state, creating it on first use. */
  receive(request: Req): RequestResult {
    const typeUrl = request.typeUrl ?? '';
    if (typeUrl === '') {
      return { kind: 'invalid', typeUrl, error: new XdsStreamError(XdsStreamErrorCode.MissingTypeUrl) };
    }
    let state = this.states.get(typeUrl);
    if (!state) {
      if (this.states.size >= this.limits.maxTypesPerConnection) {
        const error = new XdsStreamError(
          XdsStreamErrorCode.TooManyTypes,
          `type ${typeUrl} would exceed the limit of ${this.limits.maxTypesPerConnection} types per connection`,
          { typeUrl, limit: this.limits.maxTypesPerConnection },
        );
        return { kind: 'invalid', typeUrl, error };
      }
      state = this.create(typeUrl);
      this.states.set(typeUrl, state);
    }
    return state.receive(request);
  }

  /** What to send for one type, or undefined (type never requested, or nothing new). */
  respond(typeUrl: string, snapshot: ResourceSnapshot): Res | undefined {
    return this.states.get(typeUrl)?.respond(snapshot);
  }

  state(typeUrl: string): S | undefined {
    return this.states.get(typeUrl);
  }

  typeUrls(): string[] {
    return [...this.states.keys()];
  }

  status(): TypeSyncStatus[] {
    return [...this.states.values()].map((state) => state.status());
  }
}

export class SotwServerConnection extends ServerConnection<
  DiscoveryRequest,
  ReturnType<SotwServerState['respond']> & object,
  SotwServerState
> {
  constructor(options: ServerConnectionOptions = {}) {
    const limits = resolveLimits(options.limits);
    const nonce = options.nonce ?? createNonceSource();
    super(
      (typeUrl) =>
        new SotwServerState({
          typeUrl,
          nonce,
          limits,
          ...(options.wildcard ? { wildcard: options.wildcard(typeUrl) } : {}),
        }),
      limits,
    );
  }
}

export class DeltaServerConnection extends ServerConnection<
  DeltaDiscoveryRequest,
  ReturnType<DeltaServerState['respond']> & object,
  DeltaServerState
> {
  constructor(options: ServerConnectionOptions = {}) {
    const limits = resolveLimits(options.limits);
    const nonce = options.nonce ?? createNonceSource();
    super(
      (typeUrl) =>
        new DeltaServerState({
          typeUrl,
          nonce,
          limits,
          ...(options.wildcard ? { wildcard: options.wildcard(typeUrl) } : {}),
        }),
      limits,
    );
  }
}
