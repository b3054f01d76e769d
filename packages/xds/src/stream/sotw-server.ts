// Server side of State of the World xDS, for one type on one stream: classifies requests and decides
// what to send. Pure: the gRPC server feeds it requests and snapshots and writes what it returns.
import { XdsStreamError } from './errors.js';
import {
  hasErrorDetail,
  type RequestKind,
  type RequestResult,
  statusMessage,
  type TypeSyncStatus,
} from './outcome.js';
import { NO_CHANGE, Subscription, type SubscriptionChange, subscriptionChanged } from './subscriptions.js';
import {
  type Any,
  checkTypeUrl,
  createNonceSource,
  type DiscoveryRequest,
  type DiscoveryResponse,
  isFullStateType,
  type NonceSource,
  type ResourceSnapshot,
  resolveLimits,
  type StreamLimits,
  setVersion,
  type VersionedResource,
} from './types.js';

export interface SotwServerOptions {
  readonly typeUrl: string;
  /** Share one source across the types of an ADS stream; defaults to a fresh one. */
  readonly nonce?: NonceSource;
  readonly limits?: Partial<StreamLimits>;
  /** Whether "*" and the legacy empty list mean wildcard; defaults to true for LDS and CDS only. */
  readonly wildcard?: boolean;
}

/** A response with every field set, ready for `DiscoveryResponse.encode`. */
export interface SotwResponse extends DiscoveryResponse {
  readonly versionInfo: string;
  /** The resources, sorted by name (computed on first read). */
  readonly resources: Any[];
  /** The same resources in no particular order: servers that encode them themselves use this. */
  readonly selected: readonly VersionedResource[];
  readonly typeUrl: string;
  readonly nonce: string;
}

// A stable order makes equal states produce byte-equal responses.
const byName = (a: VersionedResource, b: VersionedResource): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

interface Sent {
  readonly version: string;
  readonly nonce: string;
}

export class SotwServerState {
  readonly typeUrl: string;
  private readonly limits: StreamLimits;
  private readonly nextNonce: NonceSource;
  private readonly subscription: Subscription;
  private requested = false;
  private pending = false;
  private lastSent: Sent | undefined;
  private lastAcked: Sent | undefined;
  private lastNack: { nonce: string; rejectedVersion: string; message: string } | undefined;
  private clientInitialVersion = '';

  constructor(options: SotwServerOptions) {
    this.typeUrl = options.typeUrl;
    this.limits = resolveLimits(options.limits);
    this.nextNonce = options.nonce ?? createNonceSource();
    this.subscription = new Subscription(
      this.typeUrl,
      options.wildcard ?? isFullStateType(this.typeUrl),
      this.limits,
    );
  }

  /** The version the client said it had when it (re)connected: empty on a first connection. */
  get initialClientVersion(): string {
    return this.clientInitialVersion;
  }

  get wildcard(): boolean {
    return this.subscription.wildcard;
  }

  subscribedNames(): readonly string[] {
    return this.subscription.view().names;
  }

  /**
   * The explicitly subscribed names, unsorted and not copied (hot paths; subscribedNames() sorts a
   * copy): the same set object while unchanged, shared by streams with equal subscriptions.
   */
  subscribedNamesUnsorted(): ReadonlySet<string> {
    return this.subscription.nameSet();
  }

  /** Whether `name` is explicitly subscribed. */
  isSubscribed(name: string): boolean {
    return this.subscription.has(name);
  }

  /** Classifies a request and updates the state; a `stale` or `invalid` request changes nothing. */
  receive(request: DiscoveryRequest): RequestResult {
    const mismatch = checkTypeUrl(this.typeUrl, request.typeUrl);
    if (mismatch) return { kind: 'invalid', typeUrl: this.typeUrl, error: mismatch };
    const nonce = request.responseNonce ?? '';
    const names = request.resourceNames ?? [];
    const versionInfo = request.versionInfo ?? '';
    const nack = hasErrorDetail(request.errorDetail);

    if (!this.requested) {
      const change = this.subscription.replace(names);
      if (change instanceof XdsStreamError) return { kind: 'invalid', typeUrl: this.typeUrl, error: change };
      this.requested = true;
      this.pending = true;
      this.clientInitialVersion = versionInfo;
      return this.outcome('initial', change, versionInfo, true);
    }

    // Requests answer responses in order; one that has not seen our latest response speaks for a state
    // the client has already left, so acting on it (its names, its "NACK") would be acting on the past.
    const latest = this.lastSent?.nonce ?? '';
    if (nonce !== latest) return this.outcome('stale', NO_CHANGE, versionInfo, false);

    const change = this.subscription.replace(names);
    if (change instanceof XdsStreamError) return { kind: 'invalid', typeUrl: this.typeUrl, error: change };
    const changed = subscriptionChanged(change);
    if (changed) this.pending = true;

    let answers: { nonce: string; accepted: boolean } | undefined;
    if (nonce !== '') {
      answers = { nonce, accepted: !nack };
      if (nack) {
        // The client keeps running versionInfo; lastSent stays as is so the rejected version is not
        // pushed again: the next push happens when the resources change.
        this.lastNack = {
          nonce,
          rejectedVersion: this.lastSent?.version ?? '',
          message: statusMessage(request.errorDetail),
        };
      } else {
        this.lastAcked = { version: versionInfo, nonce };
      }
    }
    // error_detail only means NACK on a request that answers a response.
    const rejected = answers !== undefined && !answers.accepted;
    const kind: RequestKind = rejected
      ? 'nack'
      : changed
        ? 'subscription-change'
        : answers
          ? 'ack'
          : 'unchanged';
    return this.outcome(
      kind,
      change,
      versionInfo,
      changed,
      answers,
      rejected ? request.errorDetail : undefined,
    );
  }

  /**
   * The response to send for the current snapshot, or undefined when the client already has it.
   * Sends the whole subscribed set (Listener and Cluster require it; for the other types it is
   * allowed and keeps one code path). The version is a digest of the (name, version) pairs sent
   * (`setVersion`), so it changes exactly when this client's view changes, and two clients shown the
   * same resources get the same version (servers key encoding caches on it).
   */
  respond(snapshot: ResourceSnapshot): SotwResponse | undefined {
    if (!this.requested) return undefined;
    const chosen = this.select(snapshot);
    const version = setVersion(chosen);
    if (!this.pending && this.lastSent?.version === version) return undefined;
    const nonce = this.nextNonce();
    this.lastSent = { version, nonce };
    this.pending = false;
    let sorted: Any[] | undefined;
    return {
      versionInfo: version,
      // Sorting 10,000 names per stream is wasted on servers that encode `selected` from a cache.
      get resources(): Any[] {
        sorted ??= [...chosen].sort(byName).map((r) => r.resource);
        return sorted;
      },
      selected: chosen,
      typeUrl: this.typeUrl,
      nonce,
    };
  }

  status(): TypeSyncStatus {
    return {
      typeUrl: this.typeUrl,
      variant: 'sotw',
      wildcard: this.subscription.wildcard,
      subscribedNames: this.subscription.size,
      ...(this.lastSent
        ? { lastSentVersion: this.lastSent.version, lastSentNonce: this.lastSent.nonce }
        : {}),
      ...(this.lastAcked
        ? { lastAckedVersion: this.lastAcked.version, lastAckedNonce: this.lastAcked.nonce }
        : {}),
      ...(this.lastNack ? { lastNack: { ...this.lastNack } } : {}),
      synced: this.lastSent !== undefined && this.lastAcked?.nonce === this.lastSent.nonce,
      pending: this.pending,
    };
  }

  private select(snapshot: ResourceSnapshot): VersionedResource[] {
    const out: VersionedResource[] = [];
    if (this.subscription.wildcard) {
      for (const resource of snapshot.values()) out.push(resource);
    } else if (snapshot instanceof Map && snapshot.size < this.subscription.size) {
      // A partial snapshot (an endpoint push of a few assignments to a 10,000-name subscription):
      // walk the smaller side. Only a plain Map is known to enumerate every resource it would answer.
      for (const resource of snapshot.values()) if (this.subscription.has(resource.name)) out.push(resource);
    } else {
      for (const name of this.subscription.names()) {
        const resource = snapshot.get(name);
        if (resource) out.push(resource);
      }
    }
    return out;
  }

  private outcome(
    kind: RequestKind,
    change: SubscriptionChange,
    versionInfo: string,
    mustRespond: boolean,
    answers?: { nonce: string; accepted: boolean },
    errorDetail?: DiscoveryRequest['errorDetail'],
  ): RequestResult {
    return {
      kind,
      typeUrl: this.typeUrl,
      change,
      versionInfo,
      mustRespond,
      ...(answers ? { answers } : {}),
      ...(errorDetail ? { errorDetail } : {}),
    };
  }
}
