// Server side of incremental (Delta) xDS, for one type on one stream. It remembers which version of
// each resource the client holds, so a response carries only what differs: changed or new resources,
// and the names the client holds that are gone. Pure: no I/O, no clock.
import { XdsStreamError } from './errors.js';
import { HeldVersions } from './held-versions.js';
import {
  hasErrorDetail,
  type RequestKind,
  type RequestResult,
  statusMessage,
  type TypeSyncStatus,
} from './outcome.js';
import { Subscription, type SubscriptionChange, subscriptionChanged } from './subscriptions.js';
import {
  changeDigest,
  checkResourceName,
  checkTypeUrl,
  createNonceSource,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  digestOf,
  isFullStateType,
  type NonceSource,
  type ResourceSnapshot,
  resolveLimits,
  type StreamLimits,
  tooManyNames,
  type VersionedResource,
  WILDCARD,
} from './types.js';

export interface DeltaServerOptions {
  readonly typeUrl: string;
  readonly nonce?: NonceSource;
  readonly limits?: Partial<StreamLimits>;
  /** Whether "*" and the legacy empty first request mean wildcard; defaults to LDS and CDS only. */
  readonly wildcard?: boolean;
}

/** A response with every field set, ready for `DeltaDiscoveryResponse.encode`. */
export interface DeltaResponse extends DeltaDiscoveryResponse {
  readonly systemVersionInfo: string;
  /** The resources, sorted by name (computed on first read). */
  readonly resources: VersionedResource[];
  /** The same resources in no particular order: servers that encode them themselves use this. */
  readonly selected: readonly VersionedResource[];
  readonly typeUrl: string;
  readonly removedResources: string[];
  readonly nonce: string;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface InFlight {
  readonly systemVersion: string;
}

export class DeltaServerState {
  readonly typeUrl: string;
  private readonly limits: StreamLimits;
  private readonly nextNonce: NonceSource;
  private readonly subscription: Subscription;
  private requested = false;
  private pendingInitial = false;
  /** A subscription change has not been answered yet (for /debug/syncz). */
  private owed = false;
  /** The version of each resource the client holds, as far as this stream knows. */
  private readonly clientVersions: HeldVersions;
  /**
   * Names to send (or report removed) whatever the versions say: names the client (re)subscribed,
   * since it may have forgotten them, and names it unsubscribed while also holding the wildcard,
   * since it cannot tell whether the wildcard still covers them.
   */
  private readonly forced = new Set<string>();
  /** Responses not yet answered, oldest first; bounded, the oldest are forgotten. */
  private readonly inFlight = new Map<string, InFlight>();
  private lastSent: { nonce: string; version: string } | undefined;
  private lastAcked: { nonce: string; version: string } | undefined;
  private lastNack: { nonce: string; rejectedVersion: string; message: string } | undefined;

  constructor(options: DeltaServerOptions) {
    this.typeUrl = options.typeUrl;
    this.limits = resolveLimits(options.limits);
    this.nextNonce = options.nonce ?? createNonceSource();
    this.subscription = new Subscription(
      this.typeUrl,
      options.wildcard ?? isFullStateType(this.typeUrl),
      this.limits,
    );
    this.clientVersions = new HeldVersions(this.typeUrl);
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

  /** The versions this stream believes the client holds (for /debug and tests). */
  heldVersions(): ReadonlyMap<string, string> {
    return this.clientVersions.toMap();
  }

  receive(request: DeltaDiscoveryRequest): RequestResult {
    const mismatch = checkTypeUrl(this.typeUrl, request.typeUrl);
    if (mismatch) return { kind: 'invalid', typeUrl: this.typeUrl, error: mismatch };
    const subscribe = request.resourceNamesSubscribe ?? [];
    const unsubscribe = request.resourceNamesUnsubscribe ?? [];
    const nonce = request.responseNonce ?? '';
    const nack = hasErrorDetail(request.errorDetail);
    const initial = !this.requested;

    // initial_resource_versions only means something on the first request of a stream: it is how a
    // reconnecting client says what it already has. Checked before anything changes.
    let initialVersions: [string, string][] = [];
    if (initial && request.initialResourceVersions) {
      initialVersions = Object.entries(request.initialResourceVersions);
      if (initialVersions.length > this.limits.maxResourceNamesPerType) {
        return {
          kind: 'invalid',
          typeUrl: this.typeUrl,
          error: tooManyNames(this.typeUrl, initialVersions.length, this.limits),
        };
      }
      for (const [name] of initialVersions) {
        const bad = checkResourceName(name, this.limits);
        if (bad) return { kind: 'invalid', typeUrl: this.typeUrl, error: bad };
      }
    }

    const change = this.subscription.apply(subscribe, unsubscribe);
    if (change instanceof XdsStreamError) return { kind: 'invalid', typeUrl: this.typeUrl, error: change };
    this.requested = true;

    const held = new Map(initialVersions);
    for (const [name, version] of initialVersions) this.clientVersions.set(name, version);
    // A request that (re)subscribes a name owes a response even when the subscription set is unchanged.
    let forcedByThisRequest = false;
    for (const name of subscribe) {
      if (name === WILDCARD) continue;
      // A subscribe must be answered even for a resource the server thinks the client has; only
      // what the client declared it holds on reconnect is exempt (that is what the declaration is for).
      if (!held.has(name)) {
        this.forced.add(name);
        forcedByThisRequest = true;
      }
    }
    // Only names that were really subscribed count: phantom unsubscriptions are ignored, which also
    // keeps `forced` bounded by the subscription limit whatever the client sends.
    for (const name of change.removed) {
      if (this.subscription.wildcard) {
        this.forced.add(name);
        forcedByThisRequest = true;
      } else {
        // The client drops what it unsubscribes; no removal needs to be sent.
        this.forced.delete(name);
        this.clientVersions.delete(name);
      }
    }
    if (change.wildcardBefore && !change.wildcard) {
      // Leaving the wildcard: the client keeps only what it names explicitly.
      const dropped = [...this.clientVersions.keys()].filter((name) => !this.subscription.has(name));
      for (const name of dropped) this.clientVersions.delete(name);
    }

    const changed = subscriptionChanged(change) || forcedByThisRequest;
    if (changed) this.owed = true;
    if (initial) {
      this.pendingInitial = true;
      return this.outcome('initial', change, true);
    }

    let answers: { nonce: string; accepted: boolean } | undefined;
    let stale = false;
    if (nonce !== '') {
      if (this.inFlight.has(nonce)) {
        answers = { nonce, accepted: !nack };
        const entry = this.inFlight.get(nonce) as InFlight;
        // Answers come in order: everything sent before this nonce has been answered too.
        for (const key of this.inFlight.keys()) {
          this.inFlight.delete(key);
          if (key === nonce) break;
        }
        if (nack) {
          // What was sent stays recorded as held: resending the same rejected version would loop.
          this.lastNack = {
            nonce,
            rejectedVersion: entry.systemVersion,
            message: statusMessage(request.errorDetail),
          };
        } else {
          this.lastAcked = { nonce, version: entry.systemVersion };
        }
      } else {
        // Unknown or forgotten nonce: it says nothing about acceptance, but its subscription changes
        // still count (the Delta protocol forbids rejecting them for a stale nonce).
        stale = true;
      }
    }
    const kind: RequestKind =
      answers && !answers.accepted
        ? 'nack'
        : changed
          ? 'subscription-change'
          : answers
            ? 'ack'
            : stale
              ? 'stale'
              : 'unchanged';
    return this.outcome(
      kind,
      change,
      changed,
      answers,
      answers && !answers.accepted ? request.errorDetail : undefined,
    );
  }

  /**
   * The response for the current snapshot, or undefined when the client has everything already.
   * The first request of a stream is always answered, even with an empty response, so the client's
   * initial fetch completes.
   */
  respond(snapshot: ResourceSnapshot): DeltaResponse | undefined {
    if (!this.requested) return undefined;
    const send = new Map<string, VersionedResource>();
    const removed = new Set<string>();
    const wildcard = this.subscription.wildcard;

    if (wildcard) {
      for (const resource of snapshot.values()) {
        if (this.clientVersions.get(resource.name) !== resource.version || this.forced.has(resource.name)) {
          send.set(resource.name, resource);
        }
      }
    }
    for (const name of this.subscription.names()) {
      const resource = snapshot.get(name);
      if (resource) {
        if (this.clientVersions.get(name) !== resource.version || this.forced.has(name))
          send.set(name, resource);
      } else if (this.clientVersions.has(name) || this.forced.has(name)) {
        // Gone, or never existed: removed_resources is how Delta says "does not exist".
        removed.add(name);
      }
    }
    for (const name of this.forced) {
      if (send.has(name) || removed.has(name) || this.subscription.has(name)) continue;
      // Unsubscribed under a wildcard: resend if the wildcard covers it, else tell the client to drop it.
      const resource = wildcard ? snapshot.get(name) : undefined;
      if (resource) send.set(name, resource);
      else removed.add(name);
    }
    const forgotten: string[] = [];
    for (const name of this.clientVersions.keys()) {
      if (send.has(name) || removed.has(name)) continue;
      const interested = this.subscription.has(name) || wildcard;
      if (!interested) forgotten.push(name);
      else if (!snapshot.has(name)) removed.add(name);
    }
    for (const name of forgotten) this.clientVersions.delete(name);

    this.forced.clear();
    this.owed = false;
    return this.finish(send, removed);
  }

  /**
   * Like `respond`, but looks only at `names` (an endpoint change: the pilot knows which assignments
   * may have changed): O(names) instead of O(everything the client holds). Falls back to `respond`
   * while a subscription change is still owed an answer.
   */
  respondChanged(snapshot: ResourceSnapshot, names: Iterable<string>): DeltaResponse | undefined {
    if (!this.requested) return undefined;
    if (this.pendingInitial || this.owed || this.forced.size > 0) return this.respond(snapshot);
    const send = new Map<string, VersionedResource>();
    const removed = new Set<string>();
    for (const name of names) {
      if (!this.subscription.has(name) && !this.subscription.wildcard) continue;
      const resource = snapshot.get(name);
      if (resource) {
        if (this.clientVersions.get(name) !== resource.version) send.set(name, resource);
      } else if (this.clientVersions.has(name)) {
        removed.add(name);
      }
    }
    return this.finish(send, removed);
  }

  private finish(send: Map<string, VersionedResource>, removed: Set<string>): DeltaResponse | undefined {
    if (send.size === 0 && removed.size === 0 && !this.pendingInitial) return undefined;
    this.pendingInitial = false;
    const selected = [...send.values()];
    const removedList = [...removed];
    const change = changeDigest(selected, removedList);
    this.clientVersions.apply(selected, removedList, change);
    // system_version_info is informational: chaining the previous one with this response's changes
    // costs O(changes) rather than rehashing every resource the client holds on each push.
    const version = digestOf(this.lastSent?.version ?? '', change)
      .toString(16)
      .padStart(12, '0');
    const nonce = this.nextNonce();
    this.inFlight.set(nonce, { systemVersion: version });
    while (this.inFlight.size > this.limits.maxInFlightResponses) {
      const oldest = this.inFlight.keys().next().value;
      if (oldest === undefined) break;
      this.inFlight.delete(oldest);
    }
    this.lastSent = { nonce, version };
    let sorted: VersionedResource[] | undefined;
    return {
      systemVersionInfo: version,
      // Sorting 10,000 names per stream is wasted on servers that encode `selected` from a cache.
      get resources(): VersionedResource[] {
        sorted ??= [...selected].sort((a, b) => byName(a.name, b.name));
        return sorted;
      },
      selected,
      typeUrl: this.typeUrl,
      removedResources: removedList.sort(byName),
      nonce,
    };
  }

  status(): TypeSyncStatus {
    return {
      typeUrl: this.typeUrl,
      variant: 'delta',
      wildcard: this.subscription.wildcard,
      subscribedNames: this.subscription.size,
      ...(this.lastSent
        ? { lastSentVersion: this.lastSent.version, lastSentNonce: this.lastSent.nonce }
        : {}),
      ...(this.lastAcked
        ? { lastAckedVersion: this.lastAcked.version, lastAckedNonce: this.lastAcked.nonce }
        : {}),
      ...(this.lastNack ? { lastNack: { ...this.lastNack } } : {}),
      synced:
        this.lastSent !== undefined &&
        this.inFlight.size === 0 &&
        this.lastAcked?.nonce === this.lastSent.nonce,
      pending: this.pendingInitial || this.owed,
    };
  }

  private outcome(
    kind: RequestKind,
    change: SubscriptionChange,
    mustRespond: boolean,
    answers?: { nonce: string; accepted: boolean },
    errorDetail?: DeltaDiscoveryRequest['errorDetail'],
  ): RequestResult {
    return {
      kind,
      typeUrl: this.typeUrl,
      change,
      versionInfo: '',
      mustRespond,
      ...(answers ? { answers } : {}),
      ...(errorDetail ? { errorDetail } : {}),
    };
  }
}
